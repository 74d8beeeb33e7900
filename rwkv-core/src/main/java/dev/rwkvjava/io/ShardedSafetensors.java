package dev.rwkvjava.io;

import dev.rwkvjava.ModelFileException;

import dev.rwkvjava.LoadMode;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * A checkpoint split into several safetensors files ({@code model-00001-of-00003.safetensors}, ...) with an index
 * {@code model.safetensors.index.json} whose {@code weight_map} names each tensor's shard. Every shard is mapped;
 * together they are one store.
 */
final class ShardedSafetensors implements TensorStore {
    /** Largest index accepted: a weight map of a few thousand names is far smaller. */
    static final long MAX_INDEX_BYTES = 16L * 1024 * 1024;
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build();

    private final Path index;
    private final List<SafetensorsFile> shards;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, SafetensorsFile> owner;

    private ShardedSafetensors(Path index, List<SafetensorsFile> shards, Map<String, TensorInfo> tensors,
                               Map<String, SafetensorsFile> owner) {
        this.index = index;
        this.shards = shards;
        this.tensors = tensors;
        this.owner = owner;
    }

    /** The shard files an index names, each once, in the order they first appear. */
    static List<Path> shardsOf(Path index) {
        Map<String, String> map = weightMap(index);
        LinkedHashSet<Path> files = new LinkedHashSet<>();
        Path dir = index.toAbsolutePath().getParent();
        for (String file : map.values()) {
            files.add(dir.resolve(file));
        }
        for (Path f : files) {
            if (!Files.isRegularFile(f)) {
                throw new ModelFileException(index, null, "shard " + f.getFileName() + " is missing");
            }
        }
        return List.copyOf(files);
    }

    /** Tensor name → shard file name, validated: plain file names in the index's folder. */
    private static Map<String, String> weightMap(Path index) {
        JsonNode root;
        try {
            if (Files.size(index) > MAX_INDEX_BYTES) {
                throw new ModelFileException(index, null, "index of " + Files.size(index) + " bytes is larger than "
                        + MAX_INDEX_BYTES + " bytes");
            }
            root = JSON.readTree(index.toFile());
        } catch (IOException e) {
            throw new ModelFileException(index, null, "cannot read the shard index: "
                    + e.getMessage().lines().findFirst().orElse(""), e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) {
            throw new ModelFileException(index, null, "no 'weight_map' object in the shard index");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String file = e.getValue().isTextual() ? e.getValue().asText() : null;
            if (file == null || file.isEmpty() || file.startsWith(".") || file.contains("/") || file.contains("\\")
                    || !file.endsWith(".safetensors")) {
                throw new ModelFileException(index, e.getKey(), "shard '" + e.getValue()
                        + "' is not a .safetensors file name in the index's folder");
            }
            out.put(e.getKey(), file);
        }
        return out;
    }

    /** Opens every shard; each tensor must be in the shard the index names, and in one shard only. */
    static ShardedSafetensors open(Path index, List<Path> files, LoadMode mode) {
        Map<String, String> map = weightMap(index);
        List<SafetensorsFile> shards = new ArrayList<>();
        try {
            Map<String, TensorInfo> tensors = new LinkedHashMap<>();
            Map<String, SafetensorsFile> owner = new LinkedHashMap<>();
            for (Path f : files) {
                SafetensorsFile shard = SafetensorsFile.open(f, mode);
                shards.add(shard);
                for (TensorInfo t : shard.tensors()) {
                    if (tensors.putIfAbsent(t.name(), t) != null) {
                        throw new ModelFileException(f, t.name(), "also in shard " + owner.get(t.name()).path().getFileName());
                    }
                    owner.put(t.name(), shard);
                    String listed = map.get(t.name());
                    if (listed != null && !listed.equals(f.getFileName().toString())) {
                        throw new ModelFileException(f, t.name(), "the index places it in " + listed);
                    }
                }
            }
            for (String name : map.keySet()) {
                if (!tensors.containsKey(name)) {
                    throw new ModelFileException(index, name, "listed in the index but in no shard");
                }
            }
            return new ShardedSafetensors(index, List.copyOf(shards), Collections.unmodifiableMap(tensors),
                    Collections.unmodifiableMap(owner));
        } catch (RuntimeException | Error e) {
            shards.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    @Override
    public Path path() {
        return index;
    }

    @Override
    public ModelFormat format() {
        return ModelFormat.SAFETENSORS;
    }

    @Override
    public Collection<TensorInfo> tensors() {
        return tensors.values();
    }

    @Override
    public TensorInfo find(String name) {
        return tensors.get(name);
    }

    @Override
    public MemorySegment data(TensorInfo tensor) {
        SafetensorsFile shard = owner.get(tensor.name());
        if (shard == null || !tensor.equals(tensors.get(tensor.name()))) {
            throw new IllegalArgumentException("tensor " + tensor.name() + " is not from " + index);
        }
        return shard.data(tensor);
    }

    @Override
    public Map<String, String> metadata() {
        return shards.get(0).metadata();
    }

    @Override
    public long fileSize() {
        long n = 0;
        for (SafetensorsFile s : shards) {
            n += s.fileSize();
        }
        return n;
    }

    @Override
    public void close() {
        shards.forEach(SafetensorsFile::close);
    }
}
