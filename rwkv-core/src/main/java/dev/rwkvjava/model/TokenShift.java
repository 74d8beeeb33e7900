package dev.rwkvjava.model;

import dev.rwkvjava.kernel.Kernels;

/**
 * Token shift: each token's normalised input is mixed with the previous token's (for a chunk's first token, the
 * x_prev kept in the state). The versions write the same mix two ways, kept apart so the rounding follows the
 * reference.
 */
public enum TokenShift {
    /** RWKV-4 and 5, {@code time_mix_*}: prev + (x - prev)·mix, the weight on the current token. */
    MIX,
    /** RWKV-6, {@code time_maa_*}: x + (prev - x)·maa, the weight on the previous token. */
    MAA;

    /**
     * dst[t] = shift of xx[t] and its predecessor, for rows t in [0, n) of C values; the predecessor of row 0 is
     * {@code state[prevOff .. prevOff+C)}.
     */
    public void apply(Kernels k, float[] xx, float[] state, int prevOff, int n, int c, float[] coef, float[] dst) {
        for (int t = 0; t < n; t++) {
            float[] prev = t == 0 ? state : xx;
            int prevAt = t == 0 ? prevOff : (t - 1) * c;
            if (this == MIX) {
                k.lerp(prev, prevAt, xx, t * c, coef, dst, t * c, c);
            } else {
                k.lerp(xx, t * c, prev, prevAt, coef, dst, t * c, c);
            }
        }
    }

    /** Keeps the chunk's last row as the next chunk's predecessor. */
    public static void save(float[] xx, int n, int c, float[] state, int prevOff) {
        System.arraycopy(xx, (n - 1) * c, state, prevOff, c);
    }
}
