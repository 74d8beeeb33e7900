package dev.rwkvjava.model.v7;

import dev.rwkvjava.kernel.Kernels;
import dev.rwkvjava.kernel.WorkerPool;
import dev.rwkvjava.model.ForwardPass;
import dev.rwkvjava.model.LayeredForward;
import dev.rwkvjava.model.ModelConfig;
import dev.rwkvjava.model.ModelTensors;
import dev.rwkvjava.model.Projections;
import dev.rwkvjava.RwkvVersion;
import dev.rwkvjava.model.TokenShift;
import dev.rwkvjava.state.StateLayout;

/**
 * The RWKV-7 forward pass (and RWKV-7 DeepEmbed, whose FFN adds a per-token gate, {@link DeepEmbedGate}).
 * Per layer, with x the residual stream of a chunk of T tokens and H heads of N channels:
 * <pre>
 *   time mix:    xx = LN1(x); x_r = xx + (prev − xx)·mix_r (same for w, k, v, a, g)
 *                r = Wr·x_r; k = Wk·x_k; v = Wv·x_v
 *                decay = exp(−0.606531·σ(w0 + W2·tanh(W1·x_w)));  a = σ(a0 + A2·A1·x_a);  g = G2·σ(G1·x_g)
 *                layer 0: v_first = v;  later layers: v += (v_first − v)·σ(v0 + V2·V1·x_v)
 *                kk = normalise(k·k_k) per head;  k = k·(1 + (a − 1)·k_a)
 *                per head, token by token: S = S·diag(decay) − (S·kk)(kk·a)ᵀ + v kᵀ;  o = S r
 *                o = GroupNorm_H(o) + (Σ_head r·k·r_k)·v;  x += Wo·(o·g)
 *   channel mix: xx = LN2(x); x_k as above; x += Wv·relu(Wk·x_k)²
 * </pre>
 * where prev is the previous token's xx (from the state for the chunk's first token). Every product runs over
 * the whole chunk through {@link Projections}, the independent ones in one batch; only the state update is
 * token by token.
 */
public final class V7Forward extends LayeredForward {
    /** State tensors per layer, in the reference's order. */
    private static final int ATT_X = 0, WKV = 1, FFN_X = 2, PARTS = 3;
    private static final float DECAY_SCALE = -0.606531f;
    private static final float GROUP_NORM_EPS = 64e-5f;
    private static final float NORMALIZE_EPS = 1e-12f;

    private final V7Weights w;
    private final StateLayout layout;
    private final int[][] stateOffsets;
    private final DeepEmbedGate gate;

    // Scratch for a chunk of up to maxChunk tokens, row-major [T, C] (low-rank: [T, D]; hidden: [T, F]).
    private final float[] xx, xr, xw, xk, xv, xa, xg, r, decay, key, v, a, g, vMix, vFirst, kk, b, o, projOut;
    private final float[] lowW, lowA, lowV, lowG, hidden;

    public V7Forward(ModelTensors t, ModelConfig cfg, Kernels kernels, WorkerPool pool, int maxChunk) {
        this(V7Weights.load(t, cfg), cfg, kernels, pool, maxChunk);
    }

    /** A pass over already loaded weights, with scratch of its own. */
    private V7Forward(V7Weights w, ModelConfig cfg, Kernels kernels, WorkerPool pool, int maxChunk) {
        this.w = w;
        int c = cfg.nEmbd();
        int h = cfg.heads();
        int n = cfg.headSize();
        int lora = w.maxLoraRank();
        super(cfg, kernels, new Projections(kernels, pool,
                Math.max(Math.max(c, cfg.ffnSize()), Math.max(lora, V7Schema.DEEPEMBED_RANK))), maxChunk, w.embedding(), w.head());
        StateLayout.Builder lb = StateLayout.builder("RWKV-" + cfg.version().label() + " C=" + c + " L="
                + cfg.nLayer() + " H=" + h);
        stateOffsets = new int[cfg.nLayer()][PARTS];
        for (int i = 0; i < cfg.nLayer(); i++) {
            stateOffsets[i][ATT_X] = lb.add("blocks." + i + ".att.x_prev", 0f, c);
            stateOffsets[i][WKV] = lb.add("blocks." + i + ".att.wkv", 0f, h, n, n);
            stateOffsets[i][FFN_X] = lb.add("blocks." + i + ".ffn.x_prev", 0f, c);
        }
        this.layout = lb.build();
        this.gate = cfg.version() == RwkvVersion.V7_DEEPEMBED ? new DeepEmbedGate(cfg, kernels, maxChunk) : null;
        int tc = maxChunk * c;
        xx = new float[tc];
        xr = new float[tc];
        xw = new float[tc];
        xk = new float[tc];
        xv = new float[tc];
        xa = new float[tc];
        xg = new float[tc];
        r = new float[tc];
        decay = new float[tc];
        key = new float[tc];
        v = new float[tc];
        a = new float[tc];
        g = new float[tc];
        vFirst = new float[tc];
        kk = new float[tc];
        b = new float[tc];
        o = new float[tc];
        projOut = new float[tc];
        vMix = new float[tc];
        lowW = new float[maxChunk * lora];
        lowA = new float[maxChunk * lora];
        lowV = new float[maxChunk * lora];
        lowG = new float[maxChunk * lora];
        hidden = new float[maxChunk * cfg.ffnSize()];
    }

    @Override
    public ForwardPass newWorkspace() {
        return new V7Forward(w, cfg, k, proj.pool(), maxChunk);
    }

    @Override
    public StateLayout stateLayout() {
        return layout;
    }

    @Override
    protected void blocks(int[] tokens, int off, int n, float[][] states) {
        int c = cfg.nEmbd();
        if (gate != null) {
            gate.keepEmbeddings(x, n, c);
        }
        for (int i = 0; i < w.layers().length; i++) {
            V7Weights.Layer l = w.layers()[i];
            timeMix(l, stateOffsets[i], states, n, c);
            channelMix(l, stateOffsets[i], states, tokens, off, n, c);
        }
    }

    private void timeMix(V7Weights.Layer l, int[] so, float[][] states, int n, int c) {
        layerNorm(l.ln1().weight(), l.ln1().bias(), n, c);
        shiftMix(states, so[ATT_X], n, c, l.mixR(), xr);
        shiftMix(states, so[ATT_X], n, c, l.mixW(), xw);
        shiftMix(states, so[ATT_X], n, c, l.mixK(), xk);
        shiftMix(states, so[ATT_X], n, c, l.mixV(), xv);
        shiftMix(states, so[ATT_X], n, c, l.mixA(), xa);
        shiftMix(states, so[ATT_X], n, c, l.mixG(), xg);
        TokenShift.save(xx, n, c, states, so[ATT_X]);
        project(l, n);
        prepareKeys(l, n, c);
        recurrence(l, states, so[WKV], n, c);
        k.mul(o, 0, g, 0, o, 0, n * c);
        proj.add(l.output(), o, projOut).run(n);
        k.addInPlace(x, 0, projOut, 0, n * c);
    }

    /** r, k, v, and the low-rank decay, a, value mix and gate: two batches of products over the chunk. */
    private void project(V7Weights.Layer l, int n) {
        proj.add(l.receptance(), xr, r).add(l.key(), xk, key).add(l.value(), xv, v)
                .add(l.w().down(), xw, lowW).add(l.a().down(), xa, lowA).add(l.g().down(), xg, lowG);
        if (l.vMix() != null) {
            proj.add(l.vMix().down(), xv, lowV);
        }
        proj.run(n);
        k.tanhInPlace(lowW, 0, n * l.w().down().rows());
        k.sigmoidInPlace(lowG, 0, n * l.g().down().rows());
        proj.add(l.w().up(), lowW, decay).add(l.a().up(), lowA, a).add(l.g().up(), lowG, g);
        if (l.vMix() != null) {
            proj.add(l.vMix().up(), lowV, vMix);
        }
        proj.run(n);
    }

    /** decay, a, v (v_first mix), kk = normalise(k·k_k) per head, k·(1 + (a − 1)·k_a) and b = kk·a. */
    private void prepareKeys(V7Weights.Layer l, int n, int c) {
        addSigmoid(decay, l.w0(), n, c);
        k.expInPlace(decay, 0, n * c, DECAY_SCALE);
        addSigmoid(a, l.a0(), n, c);
        if (l.vMix() == null) {
            System.arraycopy(v, 0, vFirst, 0, n * c);
        } else {
            addSigmoid(vMix, l.v0(), n, c);
            for (int i = 0; i < n * c; i++) {
                v[i] += (vFirst[i] - v[i]) * vMix[i];
            }
        }
        int hs = cfg.headSize();
        for (int t = 0; t < n; t++) {
            k.mul(key, t * c, l.kK(), 0, kk, t * c, c);
            for (int h = 0; h < cfg.heads(); h++) {
                k.l2Normalize(kk, t * c + h * hs, hs, NORMALIZE_EPS);
            }
            for (int j = 0; j < c; j++) {
                key[t * c + j] *= 1 + (a[t * c + j] - 1) * l.kA()[j];
            }
        }
        k.mul(kk, 0, a, 0, b, 0, n * c);
    }

    /** Token by token, head by head: the state update and o = S r; then o = GroupNorm(o) + bonus. */
    private void recurrence(V7Weights.Layer l, float[][] states, int wkvOff, int n, int c) {
        int heads = cfg.heads();
        int hs = cfg.headSize();
        for (int t = 0; t < n; t++) {
            float[] state = TokenShift.stateOf(states, t);
            for (int h = 0; h < heads; h++) {
                int at = t * c + h * hs;
                k.wkv7(state, wkvOff + h * hs * hs, r, decay, key, v, kk, b, at, o, at, hs);
            }
            k.groupNorm(o, t * c, heads, l.lnX().weight(), l.lnX().bias(), GROUP_NORM_EPS, o, t * c, c);
            for (int h = 0; h < heads; h++) {
                addBonus(l.rK(), t * c, h * hs, hs);
            }
        }
    }

    /** o += (Σ_j r·k·r_k)·v over the head's channels [h0, h0 + hs) of token row {@code row}. */
    private void addBonus(float[] rK, int row, int h0, int hs) {
        float s = 0;
        for (int j = h0; j < h0 + hs; j++) {
            s += r[row + j] * key[row + j] * rK[j];
        }
        for (int j = h0; j < h0 + hs; j++) {
            o[row + j] += s * v[row + j];
        }
    }

    private void channelMix(V7Weights.Layer l, int[] so, float[][] states, int[] tokens, int off, int n, int c) {
        layerNorm(l.ln2().weight(), l.ln2().bias(), n, c);
        shiftMix(states, so[FFN_X], n, c, l.ffnMixK(), xk);
        TokenShift.save(xx, n, c, states, so[FFN_X]);

        proj.add(l.ffnKey(), xk, hidden);
        if (gate != null) {
            gate.queue(l.deepEmbed(), proj, xx);
        }
        proj.run(n);
        k.reluSquareInPlace(hidden, 0, n * cfg.ffnSize());
        if (gate != null) {
            gate.apply(l.deepEmbed(), proj, tokens, off, n, hidden);
        }
        proj.add(l.ffnValue(), hidden, projOut).run(n);
        k.addInPlace(x, 0, projOut, 0, n * c);
    }

    /** xx = LayerNorm(x) row by row. */
    private void layerNorm(float[] weight, float[] bias, int n, int c) {
        for (int t = 0; t < n; t++) {
            k.layerNorm(x, t * c, weight, bias, cfg.layerNormEps(), xx, t * c, c);
        }
    }

    /**
     * dst[t] = xx[t] + (prev − xx[t])·mix, where prev is xx[t-1], or the state's x_prev for a chunk's first row and
     * for every row of a batch ({@link TokenShift#prevArray}).
     */
    private void shiftMix(float[][] states, int prevOff, int n, int c, float[] mix, float[] dst) {
        for (int t = 0; t < n; t++) {
            k.lerp(xx, t * c, TokenShift.prevArray(states, xx, t), TokenShift.prevOffset(states, t, prevOff, c), mix,
                    dst, t * c, c);
        }
    }

    /** y = σ(y + bias) for every row of y [T, C]. */
    private void addSigmoid(float[] y, float[] bias, int n, int c) {
        for (int t = 0; t < n; t++) {
            k.addInPlace(y, t * c, bias, 0, c);
        }
        k.sigmoidInPlace(y, 0, n * c);
    }

}
