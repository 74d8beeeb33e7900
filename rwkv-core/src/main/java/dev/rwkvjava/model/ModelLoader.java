package dev.rwkvjava.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rwkvjava.io.LoadMode;
import dev.rwkvjava.io.ModelFileException;
import dev.rwkvjava.io.SafetensorsFile;
import dev.rwkvjava.io.TensorStore;
import dev.rwkvjava.kernel.Kernels;
import dev.rwkvjava.kernel.WorkerPool;
import dev.rwkvjava.model.v4.V4Forward;
import dev.rwkvjava.model.v5.V5Forward;
import dev.rwkvjava.model.v6.V6Forward;
import dev.rwkvjava.model.v7.V7Forward;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/** Opens a weights file, detects its version and builds that version's forward pass. */
public final class ModelLoader {
    /** LayerNorm epsilon of every RWKV version unless config.json says otherwise. */
    public static final float DEFAULT_LAYER_NORM_EPS = 1e-5f;

    private ModelLoader() {
    }

    /** The weights file for a path: the file itself, or the single safetensors file of a directory. */
    public static Path weightsFile(Path path) {
        if (!Files.exists(path)) {
            throw new ModelFileException(path, null, "no such file or directory");
        }
        if (!Files.isDirectory(path)) {
            return path;
        }
        try (Stream<Path> s = Files.list(path)) {
            List<Path> found = s.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".safetensors"))
                    .sorted().toList();
            if (found.size() == 1) {
                return found.get(0);
            }
            Path model = path.resolve("model.safetensors");
            if (Files.isRegularFile(model)) {
                return model;
            }
            throw new ModelFileException(path, null, found.isEmpty()
                    ? "directory holds no .safetensors weights file"
                    : "directory holds several .safetensors files " + found + "; name the one to load");
        } catch (IOException e) {
            throw new ModelFileException(path, null, "cannot list directory: " + e.getMessage(), e);
        }
    }

    /** Opens the store for a weights file, by its format. */
    public static TensorStore openStore(Path file, LoadMode mode) {
        return SafetensorsFile.open(file, mode);
    }

    /** Builds the forward pass for the model in {@code tensors}. */
    public static ForwardPass build(ModelTensors tensors, Kernels kernels, WorkerPool pool, int maxChunk) {
        float eps = configEps(tensors.path());
        ModelConfig cfg = VersionDetector.detect(tensors, eps);
        return switch (cfg.version()) {
            case V4 -> new V4Forward(tensors, cfg, kernels, pool, maxChunk);
            case V5_0, V5_1, V5_2 -> new V5Forward(tensors, cfg, kernels, pool, maxChunk);
            case V6_0 -> new V6Forward(tensors, cfg, kernels, pool, maxChunk);
            case V7, V7_DEEPEMBED -> new V7Forward(tensors, cfg, kernels, pool, maxChunk);
            default -> throw new ModelFileException(tensors.path(), null, "RWKV " + cfg.version().label()
                    + " is not supported yet");
        };
    }

    /** layer_norm_epsilon from a Hugging Face config.json beside the weights, when there is one. */
    static float configEps(Path weights) {
        Path dir = weights.toAbsolutePath().getParent();
        Path config = dir == null ? null : dir.resolve("config.json");
        if (config == null || !Files.isRegularFile(config)) {
            return DEFAULT_LAYER_NORM_EPS;
        }
        try {
            JsonNode root = new ObjectMapper().readTree(config.toFile());
            JsonNode eps = root.get("layer_norm_epsilon");
            return eps != null && eps.isNumber() ? (float) eps.asDouble() : DEFAULT_LAYER_NORM_EPS;
        } catch (IOException e) {
            throw new ModelFileException(config, null, "cannot read config.json: " + e.getMessage(), e);
        }
    }
}
