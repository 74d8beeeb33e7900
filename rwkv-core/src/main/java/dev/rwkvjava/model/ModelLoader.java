package dev.rwkvjava.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rwkvjava.ModelFileException;
import dev.rwkvjava.io.ModelFiles;
import dev.rwkvjava.io.ModelFormat;
import dev.rwkvjava.kernel.Kernels;
import dev.rwkvjava.kernel.WorkerPool;
import dev.rwkvjava.model.v4.V4Forward;
import dev.rwkvjava.model.v5.V5Forward;
import dev.rwkvjava.model.v6.V6Forward;
import dev.rwkvjava.model.v7.V7Forward;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Detects a model's version from its canonical tensors and builds that version's forward pass. */
public final class ModelLoader {
    /** LayerNorm epsilon of every RWKV version unless the model's configuration says otherwise. */
    public static final float DEFAULT_LAYER_NORM_EPS = 1e-5f;
    /** Largest {@code config.json} read: real ones are a few kilobytes. */
    static final long MAX_CONFIG_BYTES = 1024 * 1024;

    private ModelLoader() {
    }

    /** Builds the forward pass for the model in {@code tensors}, whose files are {@code files}. */
    public static ForwardPass build(ModelTensors tensors, ModelFiles files, Kernels kernels, WorkerPool pool,
                                   int maxChunk) {
        float eps = layerNormEps(tensors, files);
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

    /**
     * The layer-norm epsilon: from a GGUF file's metadata, else from the model's {@code config.json} when that
     * describes an RWKV model ({@code layer_norm_epsilon} in transformers' configs, {@code norm_eps} in fla's),
     * else the default. A {@code config.json} of another kind of model is not this model's, and is ignored.
     */
    public static float layerNormEps(ModelTensors tensors, ModelFiles files) {
        if (tensors.store().format() == ModelFormat.GGUF) {
            String arch = tensors.store().metadata().get("general.architecture");
            String v = tensors.store().metadata().get(arch + ".attention.layer_norm_epsilon");
            return v == null ? DEFAULT_LAYER_NORM_EPS : checkedEps(tensors.path(), arch + ".attention.layer_norm_epsilon", v);
        }
        Path config = files.config().orElse(null);
        if (config == null) {
            return DEFAULT_LAYER_NORM_EPS;
        }
        JsonNode root;
        try {
            if (Files.size(config) > MAX_CONFIG_BYTES) {
                return DEFAULT_LAYER_NORM_EPS;
            }
            root = new ObjectMapper().readTree(config.toFile());
        } catch (IOException e) {
            if (files.folder().isEmpty()) {
                return DEFAULT_LAYER_NORM_EPS; // beside a file named directly: not necessarily this model's
            }
            throw new ModelFileException(config, null, "cannot read config.json: "
                    + String.valueOf(e.getMessage()).lines().findFirst().orElse(""), e);
        }
        JsonNode type = root == null ? null : root.get("model_type");
        if (type == null || !type.asText().toLowerCase(Locale.ROOT).startsWith("rwkv")) {
            return DEFAULT_LAYER_NORM_EPS;
        }
        for (String key : new String[] {"layer_norm_epsilon", "norm_eps"}) {
            JsonNode eps = root.get(key);
            if (eps != null) {
                return checkedEps(config, key, eps.asText());
            }
        }
        return DEFAULT_LAYER_NORM_EPS;
    }

    /** An epsilon must be a small positive number: anything else would turn every norm into NaN or noise. */
    private static float checkedEps(Path file, String key, String value) {
        float eps;
        try {
            eps = Float.parseFloat(value.trim());
        } catch (NumberFormatException e) {
            eps = Float.NaN;
        }
        if (!(eps > 0 && eps < 0.1f)) {
            throw new ModelFileException(file, null, key + " is " + value
                    + ": a layer-norm epsilon must be a positive number below 0.1");
        }
        return eps;
    }
}
