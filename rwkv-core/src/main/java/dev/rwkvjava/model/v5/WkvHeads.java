package dev.rwkvjava.model.v5;

import dev.rwkvjava.kernel.Kernels;
import dev.rwkvjava.model.LayerNorm;
import dev.rwkvjava.model.ModelConfig;
import dev.rwkvjava.model.TokenShift;
import dev.rwkvjava.state.StateLayout;

/**
 * What RWKV 5 and 6 share around the multi-head recurrence: the state layout and, for a chunk of tokens, the WKV
 * recurrence followed by the {@code ln_x} group norm and the gate.
 */
public final class WkvHeads {
    /** Epsilon of the {@code ln_x} group norm in the reference (model.py) for 5.x and 6.0. */
    public static final float LN_X_EPS = 64e-5f;
    /** Index of each state tensor of a layer in {@link #layout}'s offsets. */
    public static final int ATT_X = 0, WKV = 1, FFN_X = 2;

    private final Kernels k;
    private final int heads;
    private final int headSize;
    private final int c;

    public WkvHeads(Kernels kernels, ModelConfig cfg) {
        this.k = kernels;
        this.heads = cfg.heads();
        this.headSize = cfg.headSize();
        this.c = cfg.nEmbd();
    }

    /**
     * The reference's state list: per layer att x_prev [C], wkv [H, N, N] indexed [head, key, value], ffn x_prev
     * [C]. Fills {@code offsets[layer][ATT_X | WKV | FFN_X]}.
     */
    public static StateLayout layout(String description, ModelConfig cfg, int[][] offsets) {
        StateLayout.Builder b = StateLayout.builder(description);
        int c = cfg.nEmbd();
        for (int i = 0; i < cfg.nLayer(); i++) {
            offsets[i][ATT_X] = b.add("blocks." + i + ".att.x_prev", 0f, c);
            offsets[i][WKV] = b.add("blocks." + i + ".att.wkv", 0f, cfg.heads(), cfg.headSize(), cfg.headSize());
            offsets[i][FFN_X] = b.add("blocks." + i + ".ffn.x_prev", 0f, c);
        }
        return b.build();
    }

    /**
     * Token by token over rows [0, n) of r, kk, vv [n, C], per head with S the layer's state at {@code wkvOff}:
     * out = r·(bonus·kᵀv + S); S = decay ⊙ S + kᵀv. Row t's decay is at {@code t·decayStride} (0: one decay for all).
     * Row t updates {@code TokenShift.stateOf(states, t)} (one state for a chunk, one per row for a batch).
     */
    public void recur(float[] r, float[] kk, float[] vv, float[] decay, int decayStride, float[] bonus,
                      float[][] states, int wkvOff, int n, float[] out) {
        for (int t = 0; t < n; t++) {
            k.wkv5(r, kk, vv, t * c, decay, t * decayStride, bonus, TokenShift.stateOf(states, t), wkvOff, out, t * c,
                    heads, headSize);
        }
    }

    /** out = GroupNorm_H(out) with ln_x, then (5.1 on) out ⊙ silu(g); g is overwritten, null when there is no gate. */
    public void normalizeAndGate(LayerNorm lnX, float[] g, int n, float[] out) {
        for (int t = 0; t < n; t++) {
            k.groupNorm(out, t * c, heads, lnX.weight(), lnX.bias(), LN_X_EPS, out, t * c, c);
        }
        if (g != null) {
            k.siluInPlace(g, 0, n * c);
            k.mul(out, 0, g, 0, out, 0, n * c);
        }
    }
}
