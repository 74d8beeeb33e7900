package dev.rwkvjava.io;

import dev.rwkvjava.ModelFileException;

import dev.rwkvjava.LoadMode;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.rwkvjava.tensor.DType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file, memory-mapped whole (or, with {@link LoadMode#READ}, read whole into memory the process
 * owns) and read in place. The header is validated strictly when the file is
 * opened; any violation is a {@link ModelFileException} naming the file and the tensor.
 *
 * <p>Layout: 8-byte little-endian header length n, n bytes of JSON
 * {@code {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}}, then the data area;
 * offsets are relative to the start of the data area.
 */
public final class SafetensorsFile implements TensorStore {
    /** Largest header accepted (the format's own reference reader uses the same bound). */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, Arena arena, MemorySegment file, long dataStart,
                            Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Maps and validates the file. */
    public static SafetensorsFile open(Path path) {
        return open(path, LoadMode.MAP);
    }

    /** Maps or reads the file, as {@code mode} says, and validates it. */
    public static SafetensorsFile open(Path path, LoadMode mode) {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment seg;
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                long size = ch.size();
                if (size == 0) {
                    seg = MemorySegment.ofArray(new byte[0]);
                } else if (mode == LoadMode.READ) {
                    seg = readWhole(path, ch, size, arena);
                } else {
                    seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
                }
            }
            Header h = parseHeader(path, seg);
            return new SafetensorsFile(path, arena, seg, h.dataStart, h.tensors, h.metadata);
        } catch (IOException e) {
            arena.close();
            throw new ModelFileException(path, null, "cannot read file: " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * A file over bytes the caller owns (closing it frees nothing), validated as {@link #open} does; {@code path}
     * only names it in messages.
     */
    static SafetensorsFile of(Path path, MemorySegment bytes) {
        Header h = parseHeader(path, bytes);
        return new SafetensorsFile(path, null, bytes, h.dataStart, h.tensors, h.metadata);
    }

    private static final int CACHE_LINE = 64;

    /** Where the data area starts if the header length is sane (validated later either way), else 0. */
    private static long dataStartHint(FileChannel ch, long size) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, b.position()) < 0) {
                return 0;
            }
        }
        long n = b.getLong(0);
        return n > 0 && n <= MAX_HEADER_BYTES && 8 + n <= size ? 8 + n : 0;
    }

    /** Bytes per read call: large enough to stream at disk speed, small enough for a ByteBuffer view. */
    private static final int READ_CHUNK = 64 << 20;

    private static MemorySegment readWhole(Path path, FileChannel ch, long size, Arena arena) throws IOException {
        // The block starts on a huge page (the system may back it with large pages), and the file is placed in it
        // so that the data area starts on a cache line: tensors whose offsets are multiples of 64 then never
        // split a vector load across two lines.
        long shift = Math.floorMod(-dataStartHint(ch, size), CACHE_LINE);
        MemorySegment seg = arena.allocate(size + shift, 2 << 20).asSlice(shift, size);
        for (long pos = 0; pos < size; ) {
            ByteBuffer chunk = seg.asSlice(pos, Math.min(READ_CHUNK, size - pos)).asByteBuffer();
            while (chunk.hasRemaining()) {
                if (ch.read(chunk, pos + chunk.position()) < 0) {
                    throw new ModelFileException(path, null, "file ended at byte " + (pos + chunk.position())
                            + " while reading its " + size + " bytes (changed while loading?)");
                }
            }
            pos += chunk.capacity();
        }
        return seg;
    }

    private record Header(long dataStart, Map<String, TensorInfo> tensors, Map<String, String> metadata) {
    }

    private static Header parseHeader(Path path, MemorySegment seg) {
        long fileSize = seg.byteSize();
        if (fileSize < 8) {
            throw new ModelFileException(path, null, "not a safetensors file: " + fileSize
                    + " bytes, too short for the 8-byte header length");
        }
        long n = seg.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (n < 2 || n > MAX_HEADER_BYTES) {
            throw new ModelFileException(path, null, "header length " + n + " is out of range (2 to "
                    + MAX_HEADER_BYTES + " bytes): not a safetensors file or corrupt");
        }
        if (8 + n > fileSize) {
            throw new ModelFileException(path, null, "header length " + n + " runs past the end of the file ("
                    + fileSize + " bytes): file truncated or corrupt");
        }
        byte[] headerBytes = seg.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE);
        JsonNode root;
        try {
            root = JSON.readTree(new String(headerBytes, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new ModelFileException(path, null, "header is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelFileException(path, null, "header is not a JSON object");
        }
        long dataStart = 8 + n;
        long dataSize = fileSize - dataStart;
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = Map.of();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            if (name.equals("__metadata__")) {
                metadata = parseMetadata(path, e.getValue());
                continue;
            }
            tensors.put(name, parseTensor(path, name, e.getValue(), dataSize));
        }
        checkNoOverlap(path, tensors.values());
        return new Header(dataStart, Collections.unmodifiableMap(tensors), metadata);
    }

    private static Map<String, String> parseMetadata(Path path, JsonNode node) {
        if (!node.isObject()) {
            throw new ModelFileException(path, null, "__metadata__ must be an object of strings");
        }
        Map<String, String> m = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new ModelFileException(path, null, "__metadata__ value of '" + e.getKey() + "' is not a string");
            }
            m.put(e.getKey(), e.getValue().asText());
        }
        return Collections.unmodifiableMap(m);
    }

    private static TensorInfo parseTensor(Path path, String name, JsonNode node, long dataSize) {
        if (!node.isObject()) {
            throw new ModelFileException(path, name, "entry is not a JSON object");
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new ModelFileException(path, name, "missing or non-string 'dtype'");
        }
        DType dtype = DType.fromSafetensorsName(dtypeNode.asText());
        if (dtype == null) {
            throw new ModelFileException(path, name, "unknown dtype '" + dtypeNode.asText() + "'");
        }
        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null || !shapeNode.isArray()) {
            throw new ModelFileException(path, name, "missing or non-array 'shape'");
        }
        long[] shape = new long[shapeNode.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0) {
                throw new ModelFileException(path, name, "shape " + shapeNode + " has an invalid dimension " + d);
            }
            shape[i] = d.asLong();
            try {
                elements = Math.multiplyExact(elements, shape[i]);
            } catch (ArithmeticException ex) {
                throw new ModelFileException(path, name, "shape " + shapeNode + " is too large");
            }
        }
        JsonNode off = node.get("data_offsets");
        if (off == null || !off.isArray() || off.size() != 2
                || !off.get(0).isIntegralNumber() || !off.get(1).isIntegralNumber()
                || !off.get(0).canConvertToLong() || !off.get(1).canConvertToLong()) {
            throw new ModelFileException(path, name, "'data_offsets' must be an array of two integers, got " + off);
        }
        long begin = off.get(0).asLong();
        long end = off.get(1).asLong();
        if (begin < 0 || end < begin) {
            throw new ModelFileException(path, name, "data_offsets [" + begin + ", " + end + "] are invalid (need 0 <= begin <= end)");
        }
        if (end > dataSize) {
            throw new ModelFileException(path, name, "data_offsets [" + begin + ", " + end
                    + "] lie outside the data area of " + dataSize + " bytes (file truncated or corrupt)");
        }
        long expected;
        try {
            expected = Math.multiplyExact(elements, dtype.bytes());
        } catch (ArithmeticException ex) {
            throw new ModelFileException(path, name, "shape " + shapeNode + " is too large");
        }
        if (end - begin != expected) {
            throw new ModelFileException(path, name, "data_offsets [" + begin + ", " + end + "] hold " + (end - begin)
                    + " bytes, but shape " + shapeNode + " of " + dtype + " needs " + expected);
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!k.equals("dtype") && !k.equals("shape") && !k.equals("data_offsets")) {
                throw new ModelFileException(path, name, "unexpected key '" + k + "' in tensor entry");
            }
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static void checkNoOverlap(Path path, Collection<TensorInfo> all) {
        List<TensorInfo> sorted = new ArrayList<>();
        for (TensorInfo t : all) {
            if (t.byteSize() > 0) {
                sorted.add(t);
            }
        }
        sorted.sort(Comparator.comparingLong(TensorInfo::begin));
        for (int i = 1; i < sorted.size(); i++) {
            TensorInfo prev = sorted.get(i - 1);
            TensorInfo cur = sorted.get(i);
            if (cur.begin() < prev.end()) {
                throw new ModelFileException(path, cur.name(), "data_offsets [" + cur.begin() + ", " + cur.end()
                        + "] overlap tensor '" + prev.name() + "' [" + prev.begin() + ", " + prev.end() + "]");
            }
        }
    }

    @Override
    public ModelFormat format() {
        return ModelFormat.SAFETENSORS;
    }

    @Override
    public Path path() {
        return path;
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
    public MemorySegment data(TensorInfo t) {
        if (tensors.get(t.name()) != t) {
            throw new IllegalArgumentException("tensor " + t.name() + " does not belong to " + path);
        }
        return file.asSlice(dataStart + t.begin(), t.byteSize()).asReadOnly();
    }

    @Override
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public long fileSize() {
        return file.byteSize();
    }

    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }
}
