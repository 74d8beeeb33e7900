package dev.rwkvjava.model;

import dev.rwkvjava.model.naming.CanonicalTensor;

import java.util.List;

import static dev.rwkvjava.model.VersionDetector.expect;

/**
 * The tensors of RWKV 6.0 (data README, section 5): data-dependent token shift ({@code time_maa_*} with the
 * low-rank {@code time_maa_w1/w2}) and decay ({@code time_decay_w1/w2}), per-channel bonus {@code time_faaaa}.
 */
final class V6Spec {
    /** The five shifted inputs that get a low-rank correction, in the order of {@code time_maa_w2}'s slices. */
    static final String[] LORA_MIXES = {"w", "k", "v", "r", "g"};

    private V6Spec() {
    }

    static V5Spec.Dims check(ModelTensors t, int layers, int c, int vocab, List<String> problems) {
        VersionDetector.common(t, c, vocab, layers, problems);
        int ffn = V5Spec.ffnSize(t, problems);
        CanonicalTensor bonus = V5Spec.first(t, layers, "att.time_faaaa");
        CanonicalTensor maaW1 = t.find("blocks.0.att.time_maa_w1");
        CanonicalTensor decayW1 = t.find("blocks.0.att.time_decay_w1");
        if (bonus == null || bonus.rank() != 2 || bonus.dim(0) * bonus.dim(1) != c) {
            problems.add(bonus == null ? "tensor 'blocks.0.att.time_faaaa' is missing" : "tensor '" + bonus.name()
                    + "' has shape " + bonus.shapeString() + ", expected [H, N] with H·N = " + c);
            return V5Spec.Dims.UNKNOWN;
        }
        if (maaW1 == null || maaW1.rank() != 2 || maaW1.dim(1) % LORA_MIXES.length != 0) {
            problems.add(maaW1 == null ? "tensor 'blocks.0.att.time_maa_w1' is missing" : "tensor '" + maaW1.name()
                    + "' has shape " + maaW1.shapeString() + ", expected [C, 5·D_MIX]");
            return V5Spec.Dims.UNKNOWN;
        }
        if (decayW1 == null || decayW1.rank() != 2) {
            problems.add(decayW1 == null ? "tensor 'blocks.0.att.time_decay_w1' is missing" : "tensor '"
                    + decayW1.name() + "' has shape " + decayW1.shapeString() + ", expected [C, D_DECAY]");
            return V5Spec.Dims.UNKNOWN;
        }
        int h = (int) bonus.dim(0);
        int n = (int) bonus.dim(1);
        long mixRank = maaW1.dim(1) / LORA_MIXES.length;
        long decayRank = decayW1.dim(1);
        for (int i = 0; i < layers; i++) {
            String p = "blocks." + i + ".att.";
            for (String s : new String[] {"time_maa_x", "time_maa_w", "time_maa_k", "time_maa_v", "time_maa_r",
                    "time_maa_g", "time_decay", "ln_x.weight", "ln_x.bias"}) {
                expect(t, p + s, problems, c);
            }
            expect(t, p + "time_maa_w1", problems, c, LORA_MIXES.length * mixRank);
            expect(t, p + "time_maa_w2", problems, LORA_MIXES.length, mixRank, c);
            expect(t, p + "time_decay_w1", problems, c, decayRank);
            expect(t, p + "time_decay_w2", problems, decayRank, c);
            expect(t, p + "time_faaaa", problems, h, n);
            for (String s : new String[] {"receptance", "key", "value", "output", "gate"}) {
                expect(t, p + s + ".weight", problems, c, c);
            }
            V5Spec.channelMix(t, i, "time_maa", c, ffn, problems);
        }
        return new V5Spec.Dims(ffn, h, n);
    }
}
