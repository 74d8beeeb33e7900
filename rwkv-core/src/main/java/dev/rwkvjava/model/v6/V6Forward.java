package dev.rwkvjava.model.v6;

import dev.rwkvjava.kernel.Kernels;
import dev.rwkvjava.kernel.WorkerPool;
import dev.rwkvjava.model.ChannelMix;
import dev.rwkvjava.model.ForwardPass;
import dev.rwkvjava.model.LayeredForward;
import dev.rwkvjava.model.ModelConfig;
import dev.rwkvjava.model.ModelTensors;
import dev.rwkvjava.model.Projections;
import dev.rwkvjava.model.TokenShift;
import dev.rwkvjava.model.v5.WkvHeads;
import dev.rwkvjava.state.StateLayout;

import static dev.rwkvjava.model.v5.WkvHeads.ATT_X;
import static dev.rwkvjava.model.v5.WkvHeads.FFN_X;
import static dev.rwkvjava.model.v5.WkvHeads.WKV;
import static dev.rwkvjava.model.v6.V6Weights.G;
import static dev.rwkvjava.model.v6.V6Weights.K;
import static dev.rwkvjava.model.v6.V6Weights.MIXES;
import static dev.rwkvjava.model.v6.V6Weights.R;
import static dev.rwkvjava.model.v6.V6Weights.V;
import static dev.rwkvjava.model.v6.V6Weights.W;

/**
 * The RWKV 6.0 forward pass. Per layer, with x the residual stream of a chunk of T tokens:
 * <pre>
 *   time mix:    xx = LN1(x); sx = prev - xx; xxx = xx + sx·maa_x
 *                m_s = tanh(xxx·maa_w1_s)·maa_w2_s;  x_s = xx + sx·(maa_s + m_s)   for s in w, k, v, r, g
 *                r, k, v, g = W·x_s; w = exp(-exp(time_decay + tanh(x_w·decay_w1)·decay_w2))
 *                per head: out = r·(u·kᵀv + S); S = w ⊙ S + kᵀv      (token by token, w per token)
 *                out = GroupNorm_H(out) ⊙ silu(g); x += Wo·out
 *   channel mix: as RWKV-4, shift written x + (prev - x)·maa ({@link ChannelMix})
 * </pre>
 * Every product, the low-rank ones included, runs over the whole chunk.
 */
public final class V6Forward extends LayeredForward {
    private final V6Weights w;
    private final WkvHeads heads;
    private final ChannelMix channelMix;
    private final StateLayout layout;
    private final int[][] stateOffsets;
    /**
     * Layer i's output and value matrices are stored divided by 2^(i / rescaleEvery) (0: not at all; see
     * {@link ModelTensors#rescaleEvery}). Their inputs are multiplied by as much, which gives exactly the undivided
     * products; halving the hidden state every rescaleEvery layers instead, as the file's converter intends, would
     * also shrink what the layer norms see against their epsilon, which would no longer give the trained model.
     */
    private final int rescaleEvery;

    // Scratch for a chunk of up to maxChunk tokens, row-major [T, C] unless noted.
    private final float[] xx, sx, xxx, r, kk, vv, g, decay, wkv, out;
    /** [5, T, D_MIX]: tanh(xxx·maa_w1_s), slice s at s·T·D_MIX. */
    private final float[] mixLow;
    /** [5, T, C]: m_s, then in place the shifted inputs x_s; slice s at s·T·C. */
    private final float[] mixed;
    /** [T, D_DECAY]: tanh(x_w·decay_w1). */
    private final float[] decayLow;

    public V6Forward(ModelTensors t, ModelConfig cfg, Kernels kernels, WorkerPool pool, int maxChunk) {
        this(V6Weights.load(t, cfg), t.rescaleEvery(), cfg, kernels, pool, maxChunk);
    }

    /** A pass over already loaded weights, with scratch of its own. */
    private V6Forward(V6Weights w, int rescaleEvery, ModelConfig cfg, Kernels kernels, WorkerPool pool, int maxChunk) {
        this.w = w;
        this.rescaleEvery = rescaleEvery;
        int c = cfg.nEmbd();
        int maxCols = Math.max(Math.max(c, cfg.ffnSize()), Math.max(w.mixRank(), w.decayRank()));
        super(cfg, kernels, new Projections(kernels, pool, maxCols), maxChunk, w.embedding(), w.head());
        this.heads = new WkvHeads(kernels, cfg);
        this.channelMix = new ChannelMix(kernels, proj, maxChunk, c, cfg.ffnSize(), cfg.layerNormEps());
        this.stateOffsets = new int[cfg.nLayer()][3];
        this.layout = WkvHeads.layout("RWKV-6.0 C=" + c + " H=" + cfg.heads() + " L=" + cfg.nLayer(), cfg,
                stateOffsets);
        int tc = maxChunk * c;
        xx = new float[tc];
        sx = new float[tc];
        xxx = new float[tc];
        r = new float[tc];
        kk = new float[tc];
        vv = new float[tc];
        g = new float[tc];
        decay = new float[tc];
        wkv = new float[tc];
        out = new float[tc];
        mixLow = new float[MIXES * maxChunk * w.mixRank()];
        mixed = new float[MIXES * tc];
        decayLow = new float[maxChunk * w.decayRank()];
    }

    @Override
    public ForwardPass newWorkspace() {
        return new V6Forward(w, rescaleEvery, cfg, k, proj.pool(), maxChunk);
    }

    @Override
    public StateLayout stateLayout() {
        return layout;
    }

    @Override
    protected void blocks(int[] tokens, int off, int n, float[][] states) {
        int c = cfg.nEmbd();
        for (int i = 0; i < w.layers().length; i++) {
            V6Weights.Layer l = w.layers()[i];
            float scale = rescaleEvery > 0 ? Math.scalb(1f, i / rescaleEvery) : 1f;
            timeMix(l, stateOffsets[i], states, n, c, scale);
            channelMix.apply(l.ffn(), x, n, states, stateOffsets[i][FFN_X], scale);
        }
    }

    /** {@code outputScale}: see {@link #rescaleEvery}. */
    private void timeMix(V6Weights.Layer l, int[] so, float[][] states, int n, int c, float outputScale) {
        int tc = n * c;
        int dm = w.mixRank();
        // xx = LN1(x); sx = prev - xx, prev the previous token's xx
        for (int t = 0; t < n; t++) {
            k.layerNorm(x, t * c, l.ln1().weight(), l.ln1().bias(), cfg.layerNormEps(), xx, t * c, c);
            k.sub(TokenShift.prevArray(states, xx, t), TokenShift.prevOffset(states, t, so[ATT_X], c), xx, t * c, sx,
                    t * c, c);
        }
        TokenShift.save(xx, n, c, states, so[ATT_X]);
        // xxx = xx + sx·maa_x
        for (int t = 0; t < n; t++) {
            k.mul(sx, t * c, l.maaX(), 0, xxx, t * c, c);
        }
        k.addInPlace(xxx, 0, xx, 0, tc);
        // m_s = tanh(xxx·maa_w1_s)·maa_w2_s, for the five slices s
        for (int s = 0; s < MIXES; s++) {
            proj.add(l.maaDown()[s], xxx, 0, mixLow, s * n * dm, dm);
        }
        proj.run(n);
        k.tanhInPlace(mixLow, 0, MIXES * n * dm);
        for (int s = 0; s < MIXES; s++) {
            proj.add(l.maaUp()[s], mixLow, s * n * dm, mixed, s * tc, c);
        }
        proj.run(n);
        // x_s = xx + sx·(maa_s + m_s), in place of m_s
        for (int s = 0; s < MIXES; s++) {
            for (int t = 0; t < n; t++) {
                k.addInPlace(mixed, s * tc + t * c, l.maa()[s], 0, c);
            }
            k.mul(sx, 0, mixed, s * tc, mixed, s * tc, tc);
            k.addInPlace(mixed, s * tc, xx, 0, tc);
        }
        // r, k, v, g = W·x_s; decayLow = tanh(x_w·decay_w1)
        proj.add(l.receptance(), mixed, R * tc, r, 0, c).add(l.key(), mixed, K * tc, kk, 0, c)
                .add(l.value(), mixed, V * tc, vv, 0, c).add(l.gate(), mixed, G * tc, g, 0, c)
                .add(l.decayDown(), mixed, W * tc, decayLow, 0, w.decayRank()).run(n);
        k.tanhInPlace(decayLow, 0, n * w.decayRank());
        // decay = exp(-exp(time_decay + decayLow·decay_w2)), one row per token
        proj.add(l.decayUp(), decayLow, decay).run(n);
        for (int t = 0; t < n; t++) {
            k.addInPlace(decay, t * c, l.decayBase(), 0, c);
        }
        k.expNegExpInPlace(decay, 0, tc);
        // per token and head: wkv = r·(u·kᵀv + S); S = decay_t ⊙ S + kᵀv
        heads.recur(r, kk, vv, decay, c, l.bonus(), states, so[WKV], n, wkv);
        // wkv = GroupNorm_H(wkv) ⊙ silu(g); x += Wo·wkv
        heads.normalizeAndGate(l.lnX(), g, n, wkv);
        if (outputScale != 1f) {
            for (int i = 0; i < tc; i++) {
                wkv[i] *= outputScale;
            }
        }
        proj.add(l.output(), wkv, out).run(n);
        k.addInPlace(x, 0, out, 0, tc);
    }

}
