package dev.rwkvjava.model;

import dev.rwkvjava.kernel.Kernels;

/**
 * Token shift: each token's normalised input is mixed with the previous token's (for a chunk's first token, the
 * x_prev kept in the state). The versions write the same mix two ways, kept apart so the rounding follows the
 * reference.
 *
 * <p>The rows of a step belong to sequences in one of two ways, told by the number of states passed (see
 * {@link ForwardPass#forwardBatch}): one state, a chunk of consecutive tokens of one sequence (row t's predecessor
 * is row t − 1, row 0's the state's x_prev); or one state per row, a batch of sequences that each advance by one
 * token (every row's predecessor is its own state's x_prev). With one row both readings agree.
 */
public enum TokenShift {
    /** RWKV-4 and 5, {@code time_mix_*}: prev + (x - prev)·mix, the weight on the current token. */
    MIX,
    /** RWKV-6, {@code time_maa_*}: x + (prev - x)·maa, the weight on the previous token. */
    MAA;

    /**
     * dst[t] = shift of xx[t] and its predecessor, for rows t in [0, n) of C values; predecessors as in the class
     * comment, x_prev at {@code prevOff} in the states.
     */
    public void apply(Kernels k, float[] xx, float[][] states, int prevOff, int n, int c, float[] coef, float[] dst) {
        for (int t = 0; t < n; t++) {
            float[] prev = prevArray(states, xx, t);
            int prevAt = prevOffset(states, t, prevOff, c);
            if (this == MIX) {
                k.lerp(prev, prevAt, xx, t * c, coef, dst, t * c, c);
            } else {
                k.lerp(xx, t * c, prev, prevAt, coef, dst, t * c, c);
            }
        }
    }

    /** The array that holds row t's predecessor: its state's, or (within a chunk of one sequence) {@code rows}. */
    public static float[] prevArray(float[][] states, float[] rows, int t) {
        if (states.length > 1) {
            return states[t];
        }
        return t == 0 ? states[0] : rows;
    }

    /** Where row t's predecessor starts in {@link #prevArray}: the state's x_prev at prevOff, or row t − 1. */
    public static int prevOffset(float[][] states, int t, int prevOff, int c) {
        return states.length > 1 || t == 0 ? prevOff : (t - 1) * c;
    }

    /** The state row t updates: its own in a batch, the one state of a chunk. */
    public static float[] stateOf(float[][] states, int t) {
        return states.length > 1 ? states[t] : states[0];
    }

    /**
     * Keeps each sequence's last row as its next predecessor: a chunk's last row into its state, or every row of a
     * batch into its own state.
     */
    public static void save(float[] xx, int n, int c, float[][] states, int prevOff) {
        if (states.length > 1) {
            for (int t = 0; t < n; t++) {
                System.arraycopy(xx, t * c, states[t], prevOff, c);
            }
        } else {
            System.arraycopy(xx, (n - 1) * c, states[0], prevOff, c);
        }
    }
}
