package dev.rwkvjava.model;

import dev.rwkvjava.RwkvVersion;

import dev.rwkvjava.ModelFileException;
import dev.rwkvjava.model.v4.V4Schema;
import dev.rwkvjava.model.v5.V5Schema;
import dev.rwkvjava.model.v6.V6Schema;
import dev.rwkvjava.model.v7.V7Schema;
import dev.rwkvjava.model.naming.CanonicalTensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tells the RWKV version and dimensions of a model from the complete set of its tensor names and shapes
 * (never from their order). This is the only place that decides the version.
 */
public final class VersionDetector {
    private static final Pattern BLOCK = Pattern.compile("blocks\\.(\\d+)\\..+");

    private VersionDetector() {
    }

    /** Detects the version and dimensions, or throws naming what is missing or mis-shaped. */
    public static ModelConfig detect(ModelTensors t, float layerNormEps) {
        CanonicalTensor emb = t.require("emb.weight");
        if (emb.rank() != 2) {
            throw new ModelFileException(t.path(), emb.name(), "shape " + emb.shapeString() + " where [vocab, n_embd] was expected");
        }
        int vocab = toInt(t, emb, emb.dim(0));
        int c = toInt(t, emb, emb.dim(1));
        // n_embd is read from the embedding; a second source catches a mis-shaped embedding here, where it can be
        // named (otherwise every tensor sized by n_embd would be reported as wrong instead).
        CanonicalTensor lnOut = t.find("ln_out.weight");
        if (lnOut != null && lnOut.rank() == 1 && lnOut.dim(0) != c) {
            throw new ModelFileException(t.path(), emb.name(), "shape " + emb.shapeString()
                    + " where [vocab, n_embd] was expected, with n_embd = " + lnOut.dim(0) + " (the length of "
                    + lnOut.name() + ")");
        }
        int layers = countLayers(t);
        RwkvVersion version = classify(t);
        VersionSchema schema = schema(version);
        List<String> problems = new ArrayList<>();
        Map<String, Integer> dims = schema.dimensions(t, c, vocab, problems);
        if (dims != null) {
            schema.check(t, dims, layers, problems);
        }
        if (!problems.isEmpty()) {
            throw new ModelFileException(t.path(), null, "looks closest to RWKV " + version.label() + " but "
                    + String.join("; ", problems));
        }
        return new ModelConfig(version, c, layers, vocab, dims.get("F"), dims.getOrDefault("H", 0),
                dims.getOrDefault("N", 0), layerNormEps);
    }

    /** The schema of a version: the one place that maps versions to their tensor lists. */
    public static VersionSchema schema(RwkvVersion version) {
        return switch (version) {
            case V4 -> V4Schema.INSTANCE;
            case V5_0, V5_1, V5_2 -> V5Schema.of(version);
            case V6_0 -> V6Schema.INSTANCE;
            case V7 -> V7Schema.V7;
            case V7_DEEPEMBED -> V7Schema.DEEP_EMBED;
            default -> throw new IllegalArgumentException("RWKV " + version.label() + " has no schema");
        };
    }

    /** The version whose distinguishing tensors the file has. */
    static RwkvVersion classify(ModelTensors t) {
        boolean v7 = t.has("blocks.0.att.r_k") || t.has("blocks.0.att.x_r") || t.has("blocks.0.att.w0");
        if (v7) {
            return V7Schema.hasDeepEmbedTensors(t) ? RwkvVersion.V7_DEEPEMBED : RwkvVersion.V7;
        }
        if (anyName(t, n -> n.contains(".time_maa_"))) {
            return RwkvVersion.V6_0;
        }
        if (anyName(t, n -> n.contains(".att.ln_x."))) {
            if (!anyName(t, n -> n.endsWith(".att.gate.weight"))) {
                return RwkvVersion.V5_0;
            }
            // 5.2 decays (and bonuses) per channel [H, N]; 5.1 per head [H]
            return anyName(t, n -> (n.endsWith(".att.time_decay") || n.endsWith(".att.time_faaaa"))
                    && t.find(n).rank() == 2 && t.find(n).dim(1) > 1) ? RwkvVersion.V5_2 : RwkvVersion.V5_1;
        }
        return RwkvVersion.V4;
    }

    /** Whether any tensor name (in any layer) satisfies the test. */
    private static boolean anyName(ModelTensors t, Predicate<String> test) {
        return t.names().stream().anyMatch(test);
    }

    /** Number of layers: the largest block index plus one; every index below must be present. */
    static int countLayers(ModelTensors t) {
        boolean[] seen = new boolean[1024];
        int max = -1;
        for (String n : t.names()) {
            Matcher m = BLOCK.matcher(n);
            if (m.matches()) {
                int i;
                try {
                    i = Integer.parseInt(m.group(1));
                } catch (NumberFormatException e) {
                    throw new ModelFileException(t.path(), n, "block index out of range");
                }
                if (i >= seen.length) {
                    throw new ModelFileException(t.path(), n, "block index " + i + " is implausibly large");
                }
                seen[i] = true;
                max = Math.max(max, i);
            }
        }
        if (max < 0) {
            throw new ModelFileException(t.path(), null, "no 'blocks.N.' tensors: not an RWKV model");
        }
        for (int i = 0; i <= max; i++) {
            if (!seen[i]) {
                throw new ModelFileException(t.path(), null, "layer " + i + " has no tensors, but layer " + max + " does");
            }
        }
        return max + 1;
    }

    public static int toInt(ModelTensors t, CanonicalTensor info, long v) {
        if (v <= 0 || v > Integer.MAX_VALUE / 16) {
            throw new ModelFileException(t.path(), info.name(), "dimension " + v + " is out of range");
        }
        return (int) v;
    }
}
