package dev.rwkvjava.model.v5;

import dev.rwkvjava.kernel.Kernels;
import dev.rwkvjava.kernel.WorkerPool;
import dev.rwkvjava.model.ChannelMix;
import dev.rwkvjava.model.ForwardPass;
import dev.rwkvjava.model.LayeredForward;
import dev.rwkvjava.model.ModelConfig;
import dev.rwkvjava.model.ModelTensors;
import dev.rwkvjava.model.Projections;
import dev.rwkvjava.model.TokenShift;
import dev.rwkvjava.state.StateLayout;

import static dev.rwkvjava.model.v5.WkvHeads.ATT_X;
import static dev.rwkvjava.model.v5.WkvHeads.FFN_X;
import static dev.rwkvjava.model.v5.WkvHeads.WKV;

/**
 * The RWKV 5.0 / 5.1 / 5.2 forward pass. Per layer, with x the residual stream of a chunk of T tokens:
 * <pre>
 *   time mix:    xx = LN1(x); xk = lerp(prev, xx, mix_k) (same for v, r, g); r, k, v = W·x
 *                per head: out = r·(u·kᵀv + S); S = w ⊙ S + kᵀv      (token by token)
 *                out = GroupNorm_H(out); from 5.1: out ⊙= silu(Wg·xg); x += Wo·out
 *   channel mix: as RWKV-4 ({@link ChannelMix})
 * </pre>
 * w = exp(-exp(time_decay)) and the bonus u are per head in 5.0/5.1 and per channel in 5.2.
 */
public final class V5Forward extends LayeredForward {
    private final V5Weights w;
    private final WkvHeads heads;
    private final ChannelMix channelMix;
    private final StateLayout layout;
    private final int[][] stateOffsets;

    // Scratch for a chunk of up to maxChunk tokens, row-major [T, C].
    private final float[] xx, xk, xv, xr, xg, r, kk, vv, g, wkv, out;

    public V5Forward(ModelTensors t, ModelConfig cfg, Kernels kernels, WorkerPool pool, int maxChunk) {
        this(V5Weights.load(t, cfg), cfg, kernels, pool, maxChunk);
    }

    /** A pass over already loaded weights, with scratch of its own. */
    private V5Forward(V5Weights w, ModelConfig cfg, Kernels kernels, WorkerPool pool, int maxChunk) {
        this.w = w;
        int c = cfg.nEmbd();
        super(cfg, kernels, new Projections(kernels, pool, Math.max(c, cfg.ffnSize())), maxChunk,
                w.embedding(), w.head());
        this.heads = new WkvHeads(kernels, cfg);
        this.channelMix = new ChannelMix(kernels, proj, maxChunk, c, cfg.ffnSize(), cfg.layerNormEps());
        this.stateOffsets = new int[cfg.nLayer()][3];
        this.layout = WkvHeads.layout("RWKV-" + cfg.version().label() + " C=" + c + " H=" + cfg.heads()
                + " L=" + cfg.nLayer(), cfg, stateOffsets);
        int tc = maxChunk * c;
        xx = new float[tc];
        xk = new float[tc];
        xv = new float[tc];
        xr = new float[tc];
        xg = new float[tc];
        r = new float[tc];
        kk = new float[tc];
        vv = new float[tc];
        g = new float[tc];
        wkv = new float[tc];
        out = new float[tc];
    }

    @Override
    public ForwardPass newWorkspace() {
        return new V5Forward(w, cfg, k, proj.pool(), maxChunk);
    }

    @Override
    public StateLayout stateLayout() {
        return layout;
    }

    @Override
    protected void blocks(int[] tokens, int off, int n, float[][] states) {
        int c = cfg.nEmbd();
        for (int i = 0; i < w.layers().length; i++) {
            V5Weights.Layer l = w.layers()[i];
            timeMix(l, stateOffsets[i], states, n, c);
            channelMix.apply(l.ffn(), x, n, states, stateOffsets[i][FFN_X]);
        }
    }

    private void timeMix(V5Weights.Layer l, int[] so, float[][] states, int n, int c) {
        // xx = LN1(x)
        for (int t = 0; t < n; t++) {
            k.layerNorm(x, t * c, l.ln1().weight(), l.ln1().bias(), cfg.layerNormEps(), xx, t * c, c);
        }
        // xk, xv, xr (, xg) = prev + (xx - prev)·mix
        TokenShift.MIX.apply(k, xx, states, so[ATT_X], n, c, l.mixK(), xk);
        TokenShift.MIX.apply(k, xx, states, so[ATT_X], n, c, l.mixV(), xv);
        TokenShift.MIX.apply(k, xx, states, so[ATT_X], n, c, l.mixR(), xr);
        if (l.gate() != null) {
            TokenShift.MIX.apply(k, xx, states, so[ATT_X], n, c, l.gate().mix(), xg);
            proj.add(l.gate().weight(), xg, g);
        }
        TokenShift.save(xx, n, c, states, so[ATT_X]);
        // r, k, v (, g) = W·x over the chunk
        proj.add(l.receptance(), xr, r).add(l.key(), xk, kk).add(l.value(), xv, vv).run(n);
        // per token and head: wkv = r·(u·kᵀv + S); S = w ⊙ S + kᵀv
        heads.recur(r, kk, vv, l.decay(), 0, l.bonus(), states, so[WKV], n, wkv);
        // wkv = GroupNorm_H(wkv) (⊙ silu(g) from 5.1); x += Wo·wkv
        heads.normalizeAndGate(l.lnX(), l.gate() == null ? null : g, n, wkv);
        proj.add(l.output(), wkv, out).run(n);
        k.addInPlace(x, 0, out, 0, n * c);
    }

}
