package dev.rwkvjava.model.v5;

import dev.rwkvjava.model.ChannelMix;
import dev.rwkvjava.model.Embedding;
import dev.rwkvjava.model.LayerNorm;
import dev.rwkvjava.model.ModelConfig;
import dev.rwkvjava.model.ModelTensors;
import dev.rwkvjava.model.OutputHead;
import dev.rwkvjava.RwkvVersion;
import dev.rwkvjava.model.TokenShift;
import dev.rwkvjava.tensor.Matrix;

/** The tensors of an RWKV 5.0, 5.1 or 5.2 model, typed and shape-checked; matrices stay in the mapped file. */
record V5Weights(Embedding embedding, Layer[] layers, OutputHead head) {

    /** From 5.1 on, the attention output is multiplied by silu(W_g·xg), xg shifted with {@code mix}. */
    record Gate(float[] mix, Matrix weight) {
    }

    /**
     * One block. {@code decay} = exp(-exp(time_decay)) and {@code bonus} are per key channel [C] (5.0 and 5.1
     * store one value per head, repeated here over its channels); {@code gate} is null in 5.0, which has none.
     */
    record Layer(LayerNorm ln1, float[] mixK, float[] mixV, float[] mixR,
                 Matrix receptance, Matrix key, Matrix value, Matrix output,
                 float[] decay, float[] bonus, LayerNorm lnX, Gate gate, ChannelMix.Weights ffn) {
    }

    static V5Weights load(ModelTensors t, ModelConfig cfg) {
        int c = cfg.nEmbd();
        int h = cfg.heads();
        int n = cfg.headSize();
        boolean perHead = cfg.version() != RwkvVersion.V5_2;
        Layer[] layers = new Layer[cfg.nLayer()];
        for (int i = 0; i < layers.length; i++) {
            String p = "blocks." + i + ".att.";
            float[] decay = perHead ? repeat(t.vector(p + "time_decay", h), n) : t.floats(p + "time_decay", h, n);
            for (int j = 0; j < c; j++) {
                decay[j] = (float) Math.exp(-(float) Math.exp(decay[j]));
            }
            Gate gate = cfg.version() == RwkvVersion.V5_0 ? null
                    : new Gate(t.vector(p + "time_mix_g", c), t.matrix(p + "gate.weight", c, c));
            layers[i] = new Layer(LayerNorm.load(t, "blocks." + i + ".ln1", c),
                    t.vector(p + "time_mix_k", c), t.vector(p + "time_mix_v", c), t.vector(p + "time_mix_r", c),
                    t.matrix(p + "receptance.weight", c, c), t.matrix(p + "key.weight", c, c),
                    t.matrix(p + "value.weight", c, c), t.matrix(p + "output.weight", c, c),
                    decay, perHead ? perHeadBonus(t, p, h, n) : t.floats(p + "time_faaaa", h, n),
                    LayerNorm.load(t, p + "ln_x", c), gate,
                    ChannelMix.Weights.load(t, i, c, cfg.ffnSize(), TokenShift.MIX));
        }
        float eps = cfg.layerNormEps();
        return new V5Weights(new Embedding(t, cfg.vocabSize(), c, eps), layers,
                new OutputHead(t, cfg.vocabSize(), c, eps));
    }

    /** Up to 5.1 the bonus is exp(time_first) per head, or {@code time_faaaa} as is where a checkpoint has that. */
    private static float[] perHeadBonus(ModelTensors t, String p, int h, int n) {
        if (t.has(p + "time_faaaa")) {
            return repeat(t.vector(p + "time_faaaa", h), n);
        }
        float[] u = t.vector(p + "time_first", h);
        for (int j = 0; j < h; j++) {
            u[j] = (float) Math.exp(u[j]);
        }
        return repeat(u, n);
    }

    /** Each of the per-head values repeated over the head's n channels. */
    private static float[] repeat(float[] perHead, int n) {
        float[] out = new float[perHead.length * n];
        for (int j = 0; j < out.length; j++) {
            out[j] = perHead[j / n];
        }
        return out;
    }
}
