package dev.rwkvjava.model.v4;

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

/**
 * The RWKV-4 forward pass. Per layer, with x the residual stream of a chunk of T tokens:
 * <pre>
 *   time mix:    xx = LN1(x); xk = lerp(prev, xx, mix_k) (same for v, r); r = σ(Wr·xr); k = Wk·xk; v = Wv·xv
 *                wkv = WKV(k, v) token by token; x += Wo·(r ⊙ wkv)
 *   channel mix: xx = LN2(x); xk, xr as above; x += σ(Wr·xr) ⊙ Wv·relu(Wk·xk)²
 * </pre>
 * where prev is the previous token's xx (from the state for the chunk's first token).
 */
public final class V4Forward extends LayeredForward {
    /** State tensors per layer, in the reference's order. */
    private static final int ATT_X = 0, AA = 1, BB = 2, PP = 3, FFN_X = 4, PARTS = 5;

    private final V4Weights w;
    private final ChannelMix channelMix;
    private final StateLayout layout;
    private final int[][] stateOffsets;

    // Scratch for a chunk of up to maxChunk tokens, row-major [T, C] (or [T, F]).
    private final float[] xx, xk, xv, xr, r, kk, vv, wkv, out;

    public V4Forward(ModelTensors t, ModelConfig cfg, Kernels kernels, WorkerPool pool, int maxChunk) {
        this(V4Weights.load(t, cfg), cfg, kernels, pool, maxChunk);
    }

    /** A pass over already loaded weights, with scratch of its own. */
    private V4Forward(V4Weights w, ModelConfig cfg, Kernels kernels, WorkerPool pool, int maxChunk) {
        this.w = w;
        int c = cfg.nEmbd();
        super(cfg, kernels, new Projections(kernels, pool, Math.max(c, cfg.ffnSize())), maxChunk,
                w.embedding(), w.head());
        this.channelMix = new ChannelMix(kernels, proj, maxChunk, c, cfg.ffnSize(), cfg.layerNormEps());
        StateLayout.Builder b = StateLayout.builder("RWKV-4 C=" + c + " L=" + cfg.nLayer());
        stateOffsets = new int[cfg.nLayer()][PARTS];
        for (int i = 0; i < cfg.nLayer(); i++) {
            stateOffsets[i][ATT_X] = b.add("blocks." + i + ".att.x_prev", 0f, c);
            stateOffsets[i][AA] = b.add("blocks." + i + ".att.aa", 0f, c);
            stateOffsets[i][BB] = b.add("blocks." + i + ".att.bb", 0f, c);
            stateOffsets[i][PP] = b.add("blocks." + i + ".att.pp", -1e30f, c);
            stateOffsets[i][FFN_X] = b.add("blocks." + i + ".ffn.x_prev", 0f, c);
        }
        this.layout = b.build();
        int tc = maxChunk * c;
        xx = new float[tc];
        xk = new float[tc];
        xv = new float[tc];
        xr = new float[tc];
        r = new float[tc];
        kk = new float[tc];
        vv = new float[tc];
        wkv = new float[tc];
        out = new float[tc];
    }

    @Override
    public ForwardPass newWorkspace() {
        return new V4Forward(w, cfg, k, proj.pool(), maxChunk);
    }

    @Override
    public StateLayout stateLayout() {
        return layout;
    }

    @Override
    protected void blocks(int[] tokens, int off, int n, float[][] states) {
        int c = cfg.nEmbd();
        for (int i = 0; i < w.layers().length; i++) {
            V4Weights.Layer l = w.layers()[i];
            int[] so = stateOffsets[i];
            timeMix(l, so, states, n, c);
            channelMix.apply(l.ffn(), x, n, states, so[FFN_X]);
        }
    }

    private void timeMix(V4Weights.Layer l, int[] so, float[][] states, int n, int c) {
        float eps = cfg.layerNormEps();
        for (int t = 0; t < n; t++) {
            k.layerNorm(x, t * c, l.ln1().weight(), l.ln1().bias(), eps, xx, t * c, c);
        }
        TokenShift.MIX.apply(k, xx, states, so[ATT_X], n, c, l.attMixK(), xk);
        TokenShift.MIX.apply(k, xx, states, so[ATT_X], n, c, l.attMixV(), xv);
        TokenShift.MIX.apply(k, xx, states, so[ATT_X], n, c, l.attMixR(), xr);
        TokenShift.save(xx, n, c, states, so[ATT_X]);

        proj.add(l.attReceptance(), xr, r).add(l.attKey(), xk, kk).add(l.attValue(), xv, vv).run(n);
        k.sigmoidInPlace(r, 0, n * c);
        for (int t = 0; t < n; t++) {
            k.wkv4(kk, vv, t * c, l.bonus(), l.decay(), TokenShift.stateOf(states, t), so[AA], so[BB], so[PP], wkv,
                    t * c, c);
        }
        k.mul(r, 0, wkv, 0, wkv, 0, n * c);
        proj.add(l.attOutput(), wkv, out).run(n);
        k.addInPlace(x, 0, out, 0, n * c);
    }

}
