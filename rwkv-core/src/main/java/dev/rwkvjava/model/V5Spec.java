package dev.rwkvjava.model;

import dev.rwkvjava.model.naming.CanonicalTensor;

import java.util.List;

import static dev.rwkvjava.model.VersionDetector.expect;

/**
 * The tensors of RWKV 5.0, 5.1 and 5.2 (data README, section 5) and the head dimensions they imply. The three
 * differ in the gate (5.1 on) and in the shape of the decay: per head [H] up to 5.1, per channel [H, N] in 5.2.
 */
final class V5Spec {

    /** Dimensions read from the tensors; zero when they could not be determined (a problem is then recorded). */
    record Dims(int ffn, int heads, int headSize) {
        static final Dims UNKNOWN = new Dims(0, 0, 0);
    }

    private V5Spec() {
    }

    static Dims check(ModelTensors t, RwkvVersion version, int layers, int c, int vocab, List<String> problems) {
        VersionDetector.common(t, c, vocab, layers, problems);
        int ffn = ffnSize(t, problems);
        CanonicalTensor decay = first(t, layers, "att.time_decay");
        if (decay == null) {
            problems.add("tensor 'blocks.0.att.time_decay' is missing");
            return Dims.UNKNOWN;
        }
        boolean perChannel = version == RwkvVersion.V5_2;
        long heads = decay.rank() == 0 ? 0 : decay.dim(0);
        boolean ok = heads > 0 && c % heads == 0
                && (perChannel ? decay.hasShape(heads, c / heads) : decay.elementCount() == heads);
        if (!ok) {
            problems.add("tensor '" + decay.name() + "' has shape " + decay.shapeString() + ", expected "
                    + (perChannel ? "[H, N] with H·N = " : "[H] with H dividing ") + c);
            return Dims.UNKNOWN;
        }
        int h = (int) heads;
        int n = c / h;
        for (int i = 0; i < layers; i++) {
            String p = "blocks." + i + ".att.";
            for (String s : new String[] {"time_mix_k", "time_mix_v", "time_mix_r", "ln_x.weight", "ln_x.bias"}) {
                expect(t, p + s, problems, c);
            }
            for (String s : new String[] {"key", "value", "receptance", "output"}) {
                expect(t, p + s + ".weight", problems, c, c);
            }
            if (version != RwkvVersion.V5_0) {
                expect(t, p + "time_mix_g", problems, c);
                expect(t, p + "gate.weight", problems, c, c);
            }
            if (perChannel) {
                expect(t, p + "time_decay", problems, h, n);
                expect(t, p + "time_faaaa", problems, h, n);
            } else {
                expect(t, p + "time_decay", problems, h);
                perHeadBonus(t, p, h, problems);
            }
            channelMix(t, i, "time_mix", c, ffn, problems);
        }
        return new Dims(ffn, h, n);
    }

    /** Up to 5.1 the bonus is {@code time_first} (used as exp(u)) or, in later checkpoints, {@code time_faaaa}. */
    private static void perHeadBonus(ModelTensors t, String p, int h, List<String> problems) {
        boolean first = t.has(p + "time_first");
        boolean faaaa = t.has(p + "time_faaaa");
        if (first && faaaa) {
            problems.add("both '" + p + "time_first' and '" + p + "time_faaaa' are present (one bonus expected)");
        } else if (!first && !faaaa) {
            problems.add("tensor '" + p + "time_first' (or '" + p + "time_faaaa') is missing");
        } else {
            expect(t, p + (first ? "time_first" : "time_faaaa"), problems, h);
        }
    }

    /** The FFN tensors of RWKV-5 and 6; {@code mix} is "time_mix" or RWKV-6's "time_maa". */
    static void channelMix(ModelTensors t, int layer, String mix, int c, int ffn, List<String> problems) {
        String p = "blocks." + layer + ".ffn.";
        expect(t, p + mix + "_k", problems, c);
        expect(t, p + mix + "_r", problems, c);
        expect(t, p + "receptance.weight", problems, c, c);
        if (ffn > 0) {
            expect(t, p + "key.weight", problems, ffn, c);
            expect(t, p + "value.weight", problems, c, ffn);
        }
    }

    /** The FFN width, from layer 0's key matrix [F, C]; 0 (and a problem) when that is missing. */
    static int ffnSize(ModelTensors t, List<String> problems) {
        CanonicalTensor k = t.find("blocks.0.ffn.key.weight");
        if (k == null || k.rank() != 2) {
            problems.add(k == null ? "tensor 'blocks.0.ffn.key.weight' is missing"
                    : "tensor 'blocks.0.ffn.key.weight' has shape " + k.shapeString() + ", expected [F, C]");
            return 0;
        }
        return (int) Math.min(k.dim(0), Integer.MAX_VALUE);
    }

    /** The tensor {@code blocks.i.<suffix>} of the first layer that has it, or null. */
    static CanonicalTensor first(ModelTensors t, int layers, String suffix) {
        for (int i = 0; i < layers; i++) {
            CanonicalTensor info = t.find("blocks." + i + "." + suffix);
            if (info != null) {
                return info;
            }
        }
        return null;
    }
}
