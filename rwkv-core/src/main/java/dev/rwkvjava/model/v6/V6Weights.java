package dev.rwkvjava.model.v6;

import dev.rwkvjava.model.ChannelMix;
import dev.rwkvjava.model.Embedding;
import dev.rwkvjava.model.LayerNorm;
import dev.rwkvjava.model.ModelConfig;
import dev.rwkvjava.model.ModelTensors;
import dev.rwkvjava.model.OutputHead;
import dev.rwkvjava.model.TokenShift;
import dev.rwkvjava.tensor.Matrix;

/**
 * The tensors of an RWKV 6.0 model, typed and shape-checked. The large matrices stay in the mapped file; the small
 * low-rank factors, stored [in, out], are transposed once at load into heap matrices [out, in] for the kernels.
 *
 * @param mixRank   D_MIX, the rank of the token-shift correction
 * @param decayRank D_DECAY, the rank of the decay correction
 */
record V6Weights(Embedding embedding, Layer[] layers, OutputHead head, int mixRank, int decayRank) {
    /** The inputs that get a low-rank shift correction, in the order of {@code time_maa_w2}'s slices. */
    static final int W = 0, K = 1, V = 2, R = 3, G = 4, MIXES = 5;
    private static final String[] MIX_NAMES = {"w", "k", "v", "r", "g"};

    /**
     * One block. {@code maa[s]} is {@code time_maa_{w,k,v,r,g}}; {@code maaDown[s]} [D_MIX, C] and
     * {@code maaUp[s]} [C, D_MIX] are slice s of {@code time_maa_w1} and {@code time_maa_w2}; {@code decayDown}
     * [D_DECAY, C] and {@code decayUp} [C, D_DECAY] are {@code time_decay_w1/w2}; {@code decayBase} is
     * {@code time_decay} and {@code bonus} {@code time_faaaa}, both [C].
     */
    record Layer(LayerNorm ln1, float[] maaX, float[][] maa, Matrix[] maaDown, Matrix[] maaUp,
                 float[] decayBase, Matrix decayDown, Matrix decayUp, float[] bonus,
                 Matrix receptance, Matrix key, Matrix value, Matrix gate, Matrix output, LayerNorm lnX,
                 ChannelMix.Weights ffn) {
    }

    static V6Weights load(ModelTensors t, ModelConfig cfg) {
        int c = cfg.nEmbd();
        int dm = (int) t.require("blocks.0.att.time_maa_w1").dim(1) / MIXES;
        int dd = (int) t.require("blocks.0.att.time_decay_w1").dim(1);
        Layer[] layers = new Layer[cfg.nLayer()];
        for (int i = 0; i < layers.length; i++) {
            String p = "blocks." + i + ".att.";
            float[] w1 = t.floats(p + "time_maa_w1", c, MIXES * dm);
            float[] w2 = t.floats(p + "time_maa_w2", MIXES, dm, c);
            float[][] maa = new float[MIXES][];
            Matrix[] down = new Matrix[MIXES];
            Matrix[] up = new Matrix[MIXES];
            for (int s = 0; s < MIXES; s++) {
                maa[s] = t.vector(p + "time_maa_" + MIX_NAMES[s], c);
                // w1 columns [s·D, (s+1)·D) as [D, C]; w2 slice s [D, C] as [C, D]
                down[s] = transposed(t, p + "time_maa_w1", "[" + MIX_NAMES[s] + "]ᵀ", w1, s * dm, c, dm, MIXES * dm);
                up[s] = transposed(t, p + "time_maa_w2", "[" + MIX_NAMES[s] + "]ᵀ", w2, s * dm * c, dm, c, c);
            }
            layers[i] = new Layer(LayerNorm.load(t, "blocks." + i + ".ln1", c),
                    t.vector(p + "time_maa_x", c), maa, down, up,
                    t.vector(p + "time_decay", c),
                    transposed(t, p + "time_decay_w1", "ᵀ", t.floats(p + "time_decay_w1", c, dd), 0, c, dd, dd),
                    transposed(t, p + "time_decay_w2", "ᵀ", t.floats(p + "time_decay_w2", dd, c), 0, dd, c, c),
                    t.floats(p + "time_faaaa", cfg.heads(), cfg.headSize()),
                    t.matrix(p + "receptance.weight", c, c), t.matrix(p + "key.weight", c, c),
                    t.matrix(p + "value.weight", c, c), t.matrix(p + "gate.weight", c, c),
                    t.matrix(p + "output.weight", c, c), LayerNorm.load(t, p + "ln_x", c),
                    ChannelMix.Weights.load(t, i, c, cfg.ffnSize(), TokenShift.MAA));
        }
        float eps = cfg.layerNormEps();
        return new V6Weights(new Embedding(t, cfg.vocabSize(), c, eps), layers,
                new OutputHead(t, cfg.vocabSize(), c, eps), dm, dd);
    }

    /**
     * The transpose [cols, rows] of the [rows, cols] block of {@code src} (the values of tensor {@code name}) whose
     * element (i, j) is at {@code off + i·stride + j}; float32, or quantized when the model's quantization covers
     * the tensor.
     */
    private static Matrix transposed(ModelTensors t, String name, String suffix, float[] src, int off, int rows,
                                     int cols, int stride) {
        float[] out = new float[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                out[j * rows + i] = src[off + i * stride + j];
            }
        }
        return t.derivedMatrix(name, name + suffix, out, cols, rows);
    }
}
