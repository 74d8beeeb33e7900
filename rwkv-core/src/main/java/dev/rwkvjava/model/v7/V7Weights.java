package dev.rwkvjava.model.v7;

import dev.rwkvjava.model.Embedding;
import dev.rwkvjava.model.LayerNorm;
import dev.rwkvjava.model.ModelConfig;
import dev.rwkvjava.model.ModelTensors;
import dev.rwkvjava.model.OutputHead;
import dev.rwkvjava.RwkvVersion;
import dev.rwkvjava.tensor.Matrix;

/**
 * The tensors of an RWKV-7 model, typed and shape-checked. Matrices stay in the mapped file; the small low-rank
 * ones, [in, out] in BlinkDL's layout, are used as W·x matrices [out, in]: in place when the file stores them so,
 * else transposed once at load.
 */
record V7Weights(Embedding embedding, Layer[] layers, OutputHead head) {

    /** A low-rank product up·f(down·x): {@code down} [D, C], {@code up} [C, D]. */
    record Lora(Matrix down, Matrix up) {
    }

    /**
     * One block. {@code vMix} and {@code v0} are null in layer 0, whose value is v_first; {@code deepEmbed} is
     * null unless the model is DeepEmbed. The token-shift mixes weight the previous token: x + (prev − x)·mix.
     */
    record Layer(LayerNorm ln1, LayerNorm ln2,
                 float[] mixR, float[] mixW, float[] mixK, float[] mixV, float[] mixA, float[] mixG,
                 float[] w0, Lora w, float[] a0, Lora a, float[] v0, Lora vMix, Lora g,
                 float[] kK, float[] kA, float[] rK,
                 Matrix receptance, Matrix key, Matrix value, Matrix output, LayerNorm lnX,
                 float[] ffnMixK, Matrix ffnKey, Matrix ffnValue, DeepEmbedGate.Weights deepEmbed) {
    }

    static V7Weights load(ModelTensors t, ModelConfig cfg) {
        int c = cfg.nEmbd();
        int f = cfg.ffnSize();
        Layer[] layers = new Layer[cfg.nLayer()];
        for (int i = 0; i < layers.length; i++) {
            String p = "blocks." + i + ".att.";
            boolean first = i == 0;
            layers[i] = new Layer(
                    LayerNorm.load(t, "blocks." + i + ".ln1", c), LayerNorm.load(t, "blocks." + i + ".ln2", c),
                    t.vector(p + "x_r", c), t.vector(p + "x_w", c), t.vector(p + "x_k", c),
                    t.vector(p + "x_v", c), t.vector(p + "x_a", c), t.vector(p + "x_g", c),
                    t.vector(p + "w0", c), lora(t, p + "w", c), t.vector(p + "a0", c), lora(t, p + "a", c),
                    first ? null : t.vector(p + "v0", c), first ? null : lora(t, p + "v", c), lora(t, p + "g", c),
                    t.vector(p + "k_k", c), t.vector(p + "k_a", c), t.floats(p + "r_k", cfg.heads(), cfg.headSize()),
                    t.matrix(p + "receptance.weight", c, c), t.matrix(p + "key.weight", c, c),
                    t.matrix(p + "value.weight", c, c), t.matrix(p + "output.weight", c, c),
                    LayerNorm.load(t, p + "ln_x", c),
                    t.vector("blocks." + i + ".ffn.x_k", c), t.matrix("blocks." + i + ".ffn.key.weight", f, c),
                    t.matrix("blocks." + i + ".ffn.value.weight", c, f),
                    cfg.version() == RwkvVersion.V7_DEEPEMBED ? DeepEmbedGate.Weights.load(t, i, cfg) : null);
        }
        float eps = cfg.layerNormEps();
        return new V7Weights(new Embedding(t, cfg.vocabSize(), c, eps), layers,
                new OutputHead(t, cfg.vocabSize(), c, eps));
    }

    /** Largest low-rank size D of any layer. */
    int maxLoraRank() {
        int m = 0;
        for (Layer l : layers) {
            for (Lora x : new Lora[] {l.w(), l.a(), l.vMix(), l.g()}) {
                m = x == null ? m : Math.max(m, x.down().rows());
            }
        }
        return m;
    }

    /** {@code prefix1} [C, D] and {@code prefix2} [D, C] (applied as x·W), as W·x matrices [D, C] and [C, D]. */
    private static Lora lora(ModelTensors t, String prefix, int c) {
        int d = (int) t.require(prefix + "1").dim(1);
        return new Lora(t.transposedMatrix(prefix + "1", c, d), t.transposedMatrix(prefix + "2", d, c));
    }
}
