package dev.rwkvjava.model;

import dev.rwkvjava.kernel.Kernels;
import dev.rwkvjava.tensor.Matrix;

/**
 * The channel mix (FFN) of RWKV-4, 5 and 6, for a chunk of tokens:
 * <pre>
 *   xx = LN2(x); xk, xr = token shift of xx; x += σ(Wr·xr) ⊙ Wv·relu(Wk·xk)²
 * </pre>
 * RWKV-6 differs only in how its shift coefficients are written ({@link TokenShift#MAA}). Holds its own scratch
 * for up to maxChunk tokens; one chunk at a time.
 */
public final class ChannelMix {

    /** One layer's FFN weights. */
    public record Weights(LayerNorm ln2, TokenShift shift, float[] mixK, float[] mixR,
                          Matrix key, Matrix receptance, Matrix value) {

        /** RWKV-4/5 tensors {@code ffn.time_mix_{k,r}}, or RWKV-6's {@code ffn.time_maa_{k,r}} when shift is MAA. */
        public static Weights load(ModelTensors t, int layer, int c, int ffn, TokenShift shift) {
            String p = "blocks." + layer + ".";
            String mix = p + (shift == TokenShift.MIX ? "ffn.time_mix_" : "ffn.time_maa_");
            return new Weights(LayerNorm.load(t, p + "ln2", c), shift, t.vector(mix + "k", c), t.vector(mix + "r", c),
                    t.matrix(p + "ffn.key.weight", ffn, c), t.matrix(p + "ffn.receptance.weight", c, c),
                    t.matrix(p + "ffn.value.weight", c, ffn));
        }
    }

    private final Kernels k;
    private final Projections proj;
    private final int c;
    private final int ffn;
    private final float eps;
    private final float[] xx, xk, xr, r, hidden, out;

    public ChannelMix(Kernels kernels, Projections proj, int maxChunk, int c, int ffn, float layerNormEps) {
        this.k = kernels;
        this.proj = proj;
        this.c = c;
        this.ffn = ffn;
        this.eps = layerNormEps;
        int tc = maxChunk * c;
        xx = new float[tc];
        xk = new float[tc];
        xr = new float[tc];
        r = new float[tc];
        out = new float[tc];
        hidden = new float[maxChunk * ffn];
    }

    /**
     * Adds the FFN output to rows [0, n) of x [n, C]; {@code prevOff} is the layer's ffn x_prev in the states (one
     * state for a chunk of one sequence, one per row for a batch: see {@link TokenShift}).
     */
    public void apply(Weights w, float[] x, int n, float[][] states, int prevOff) {
        apply(w, x, n, states, prevOff, 1f);
    }

    /**
     * As {@link #apply(Weights, float[], int, float[][], int)}, with the value projection's input multiplied by
     * {@code valueScale} (a power of two), for a value matrix stored divided by it: the products, and so the
     * result, are then exactly those of the undivided matrix.
     */
    public void apply(Weights w, float[] x, int n, float[][] states, int prevOff, float valueScale) {
        // xx = LN2(x)
        for (int t = 0; t < n; t++) {
            k.layerNorm(x, t * c, w.ln2().weight(), w.ln2().bias(), eps, xx, t * c, c);
        }
        // xk, xr: token shift with the previous token's xx
        w.shift().apply(k, xx, states, prevOff, n, c, w.mixK(), xk);
        w.shift().apply(k, xx, states, prevOff, n, c, w.mixR(), xr);
        TokenShift.save(xx, n, c, states, prevOff);
        // hidden = relu(Wk·xk)²; r = σ(Wr·xr)
        proj.add(w.key(), xk, hidden).add(w.receptance(), xr, r).run(n);
        k.reluSquareInPlace(hidden, 0, n * ffn);
        if (valueScale != 1f) {
            for (int i = 0; i < n * ffn; i++) {
                hidden[i] *= valueScale;
            }
        }
        k.sigmoidInPlace(r, 0, n * c);
        // x += r ⊙ Wv·hidden
        proj.add(w.value(), hidden, out).run(n);
        k.mul(r, 0, out, 0, out, 0, n * c);
        k.addInPlace(x, 0, out, 0, n * c);
    }
}
