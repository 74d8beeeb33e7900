package dev.rwkvjava.io;

import dev.rwkvjava.ModelFileException;

import dev.rwkvjava.LoadMode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Where a model's files are, resolved once from what the user named (a weights file or a model folder): the weights
 * format and file(s), the folder, and the folder's {@code config.json}. The loader reads these and looks nothing up
 * again.
 *
 * <p>In a folder the weights are, in this order of preference: the shards listed by
 * {@code model.safetensors.index.json}; {@code model.safetensors}; the only {@code .safetensors} file;
 * {@code pytorch_model.bin}; the only file with a weights extension ({@code .pth}, {@code .pt}, {@code .bin},
 * {@code .gguf}). A folder with several candidates and none of the preferred names is an error that lists them.
 */
public final class ModelFiles {
    /** Extensions of files that may hold weights (the format itself is read from the content). */
    private static final List<String> WEIGHT_EXTENSIONS = List.of(".safetensors", ".pth", ".pt", ".bin", ".gguf");
    /** The index of a sharded safetensors checkpoint. */
    public static final String SHARD_INDEX = "model.safetensors.index.json";

    private final Path path;
    private final ModelFormat format;
    private final List<Path> weights;
    private final Path folder;
    private final Path config;

    private ModelFiles(Path path, ModelFormat format, List<Path> weights, Path folder, Path config) {
        this.path = path;
        this.format = format;
        this.weights = List.copyOf(weights);
        this.folder = folder;
        this.config = config;
    }

    /**
     * Resolves a weights file or a model folder.
     *
     * @throws ModelFileException naming the path when it holds no model this engine reads
     */
    public static ModelFiles of(Path path) {
        Objects.requireNonNull(path, "path");
        if (!Files.exists(path)) {
            throw new ModelFileException(path, null, "no such file or directory");
        }
        if (!Files.isDirectory(path)) {
            ModelFormat format = ModelFormat.detect(path);
            Path parent = path.toAbsolutePath().getParent();
            Path config = parent == null ? null : existing(parent.resolve("config.json"));
            return new ModelFiles(path, format, List.of(path), null, config);
        }
        Path config = existing(path.resolve("config.json"));
        Path index = path.resolve(SHARD_INDEX);
        if (Files.isRegularFile(index)) {
            return new ModelFiles(path, ModelFormat.SAFETENSORS, ShardedSafetensors.shardsOf(index), path, config);
        }
        Path file = weightsIn(path);
        return new ModelFiles(path, ModelFormat.detect(file), List.of(file), path, config);
    }

    private static Path weightsIn(Path dir) {
        List<Path> found = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) {
                String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                if (!n.startsWith(".") && Files.isRegularFile(p) && WEIGHT_EXTENSIONS.stream().anyMatch(n::endsWith)) {
                    found.add(p);
                }
            }
        } catch (IOException e) {
            throw new ModelFileException(dir, null, "cannot list directory: " + e.getMessage(), e);
        }
        if (found.isEmpty()) {
            throw new ModelFileException(dir, null, "directory holds no weights file (.safetensors, .pth, .bin, .gguf)");
        }
        Path preferred = existing(dir.resolve("model.safetensors"));
        if (preferred != null) {
            return preferred;
        }
        List<Path> safetensors = found.stream().filter(p -> name(p).endsWith(".safetensors")).toList();
        if (safetensors.size() == 1) {
            return safetensors.get(0);
        }
        if (safetensors.isEmpty()) {
            Path hf = existing(dir.resolve("pytorch_model.bin"));
            if (hf != null) {
                return hf;
            }
            if (found.size() == 1) {
                return found.get(0);
            }
        }
        List<Path> listed = safetensors.isEmpty() ? found : safetensors;
        throw new ModelFileException(dir, null, "directory holds several weights files "
                + listed.stream().map(p -> p.getFileName().toString()).toList() + "; name the one to load");
    }

    private static String name(Path p) {
        return p.getFileName().toString().toLowerCase(Locale.ROOT);
    }

    private static Path existing(Path p) {
        return Files.isRegularFile(p) ? p : null;
    }

    /** What the user named. */
    public Path path() {
        return path;
    }

    public ModelFormat format() {
        return format;
    }

    /** The weights file, or the first shard of a sharded checkpoint. */
    public Path weights() {
        return weights.get(0);
    }

    /** Every weights file (several for a sharded checkpoint). */
    public List<Path> weightFiles() {
        return weights;
    }

    /** The model folder, when a folder was named. */
    public Optional<Path> folder() {
        return Optional.ofNullable(folder);
    }

    /** The {@code config.json} of the folder, or beside the weights file. */
    public Optional<Path> config() {
        return Optional.ofNullable(config);
    }

    /** Where to look for a tokenizer: the folder, else the weights file's own folder. */
    public Path tokenizerSearchPath() {
        return folder != null ? folder : weights();
    }

    /** Opens the weights as one store. */
    public TensorStore open(LoadMode mode) {
        if (isSharded()) {
            return ShardedSafetensors.open(folder.resolve(SHARD_INDEX), weights, mode);
        }
        return format.open(weights(), mode);
    }

    private boolean isSharded() {
        return folder != null && Files.isRegularFile(folder.resolve(SHARD_INDEX));
    }

    @Override
    public String toString() {
        return format.label() + " " + weights + (config != null ? " with " + config : "");
    }
}
