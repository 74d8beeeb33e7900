package dev.rwkvjava.model;

import dev.rwkvjava.io.ModelFileException;
import dev.rwkvjava.model.naming.CanonicalTensor;

import java.util.ArrayList;
import java.util.List;
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
        List<String> problems = new ArrayList<>();
        int ffn = 0;
        int heads = 0;
        int headSize = 0;
        switch (version) {
            case V4 -> {
                CanonicalTensor k = t.find("blocks.0.ffn.key.weight");
                ffn = k == null ? 0 : (int) k.dim(0);
                V4Spec.check(t, layers, c, vocab, ffn, problems);
            }
            case V5_0, V5_1, V5_2, V6_0 -> {
                V5Spec.Dims d = version == RwkvVersion.V6_0 ? V6Spec.check(t, layers, c, vocab, problems)
                        : V5Spec.check(t, version, layers, c, vocab, problems);
                ffn = d.ffn();
                heads = d.heads();
                headSize = d.headSize();
            }
            case V7, V7_DEEPEMBED -> {
                V7Spec.Dims d = V7Spec.check(t, version, layers, c, vocab, problems);
                ffn = d.ffn();
                heads = d.heads();
                headSize = d.headSize();
            }
            default -> throw new ModelFileException(t.path(), null, "looks like RWKV " + version.label()
                    + ", which this version of the engine does not run yet");
        }
        if (!problems.isEmpty()) {
            throw new ModelFileException(t.path(), null, "looks closest to RWKV " + version.label() + " but "
                    + String.join("; ", problems));
        }
        return new ModelConfig(version, c, layers, vocab, ffn, heads, headSize, layerNormEps);
    }

    /** The version whose distinguishing tensors the file has. */
    static RwkvVersion classify(ModelTensors t) {
        boolean v7 = t.has("blocks.0.att.r_k") || t.has("blocks.0.att.x_r") || t.has("blocks.0.att.w0");
        if (v7) {
            return V7Spec.hasDeepEmbedTensors(t) ? RwkvVersion.V7_DEEPEMBED : RwkvVersion.V7;
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

    static int toInt(ModelTensors t, CanonicalTensor info, long v) {
        if (v <= 0 || v > Integer.MAX_VALUE / 16) {
            throw new ModelFileException(t.path(), info.name(), "dimension " + v + " is out of range");
        }
        return (int) v;
    }

    /** Appends a problem when the tensor is missing or has another shape. */
    static void expect(ModelTensors t, String name, List<String> problems, long... shape) {
        CanonicalTensor info = t.find(name);
        if (info == null) {
            problems.add("tensor '" + name + "' is missing");
        } else if (!shapeMatches(info, shape)) {
            problems.add("tensor '" + name + "' has shape " + info.shapeString() + ", expected "
                    + java.util.Arrays.toString(shape));
        }
    }

    /** Vectors may be stored flat [n] or as [1, 1, n]. */
    private static boolean shapeMatches(CanonicalTensor info, long[] shape) {
        if (info.hasShape(shape)) {
            return true;
        }
        if (shape.length == 1) {
            long[] s = info.shape();
            boolean ok = info.elementCount() == shape[0];
            for (long d : s) {
                ok &= d == 1 || d == shape[0];
            }
            return ok;
        }
        return false;
    }

    /** The tensors of RWKV-4. */
    static final class V4Spec {
        static void check(ModelTensors t, int layers, int c, int vocab, int ffn, List<String> problems) {
            common(t, c, vocab, layers, problems);
            if (ffn <= 0) {
                problems.add("tensor 'blocks.0.ffn.key.weight' is missing");
                return;
            }
            for (int i = 0; i < layers; i++) {
                String p = "blocks." + i + ".";
                for (String s : new String[] {"att.time_decay", "att.time_first", "att.time_mix_k", "att.time_mix_v",
                        "att.time_mix_r", "ffn.time_mix_k", "ffn.time_mix_r"}) {
                    expect(t, p + s, problems, c);
                }
                for (String s : new String[] {"att.key", "att.value", "att.receptance", "att.output", "ffn.receptance"}) {
                    expect(t, p + s + ".weight", problems, c, c);
                }
                expect(t, p + "ffn.key.weight", problems, ffn, c);
                expect(t, p + "ffn.value.weight", problems, c, ffn);
            }
        }
    }

    /** Tensors every version has: embedding, ln0, per-layer ln1/ln2, ln_out, head. */
    static void common(ModelTensors t, int c, int vocab, int layers, List<String> problems) {
        expect(t, "blocks.0.ln0.weight", problems, c);
        expect(t, "blocks.0.ln0.bias", problems, c);
        for (int i = 0; i < layers; i++) {
            for (String s : new String[] {"ln1.weight", "ln1.bias", "ln2.weight", "ln2.bias"}) {
                expect(t, "blocks." + i + "." + s, problems, c);
            }
        }
        expect(t, "ln_out.weight", problems, c);
        expect(t, "ln_out.bias", problems, c);
        expect(t, "head.weight", problems, vocab, c);
    }
}
