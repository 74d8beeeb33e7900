package dev.rwkvjava.kernel.panama;

import static dev.rwkvjava.kernel.panama.PanamaConstants.F;
import static dev.rwkvjava.kernel.panama.PanamaConstants.FMA;
import static dev.rwkvjava.kernel.panama.PanamaConstants.LANES;
import static dev.rwkvjava.kernel.panama.PanamaConstants.fma;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The per-head state update of RWKV-7 ({@link #wkv7}): the same arithmetic as the scalar default in
 * {@code Kernels}, LANES state columns at a time, with fused multiply-adds. Each loop is a small method of its
 * own, for the reason given in {@link MatVec}.
 */
final class Recurrence {
    private Recurrence() {
    }

    // ---- RWKV-7 ------------------------------------------------------------------------------------------------
    //
    // Row i of the state needs sa = -S[i]·kk before any of its elements can be updated. A row of 4 vectors (a
    // head of 64 at 512 bits) is loaded into registers once, then updated and stored; other sizes read the row
    // twice, once for sa and once for the update. The 4-vector method is close to C2's node budget: 8 vectors, or
    // 4 without FMA (a multiply and an add each), exceed it and box every vector.

    /** See {@code Kernels.wkv7}. */
    static void wkv7(float[] s, int sOff, float[] r, float[] w, float[] k, float[] v, float[] kk, float[] b,
                     int off, float[] out, int outOff, int n) {
        if (FMA && n == 4 * LANES) {
            for (int i = 0; i < n; i++) {
                out[outOff + i] = wkv7Row4(s, sOff + i * n, r, w, k, v[off + i], kk, b, off);
            }
        } else {
            for (int i = 0; i < n; i++) {
                out[outOff + i] = wkv7RowAny(s, sOff + i * n, r, w, k, v[off + i], kk, b, off, n);
            }
        }
    }

    /** One row of 4·LANES: updates it in place and returns its output Σ_j S_new[j]·r[j]. */
    private static float wkv7Row4(float[] s, int row, float[] r, float[] w, float[] k, float vi, float[] kk,
                                  float[] b, int off) {
        FloatVector s0 = FloatVector.fromArray(F, s, row);
        FloatVector s1 = FloatVector.fromArray(F, s, row + LANES);
        FloatVector s2 = FloatVector.fromArray(F, s, row + 2 * LANES);
        FloatVector s3 = FloatVector.fromArray(F, s, row + 3 * LANES);
        FloatVector d = fma(s1, load(kk, off + LANES), s0.mul(load(kk, off)))
                .add(fma(s3, load(kk, off + 3 * LANES), s2.mul(load(kk, off + 2 * LANES))));
        FloatVector sa = FloatVector.broadcast(F, -d.reduceLanes(VectorOperators.ADD));
        FloatVector vv = FloatVector.broadcast(F, vi);
        FloatVector o0 = update(s0, s, row, w, k, b, off, sa, vv).mul(load(r, off));
        FloatVector o1 = update(s1, s, row + LANES, w, k, b, off + LANES, sa, vv).mul(load(r, off + LANES));
        o0 = fma(update(s2, s, row + 2 * LANES, w, k, b, off + 2 * LANES, sa, vv), load(r, off + 2 * LANES), o0);
        o1 = fma(update(s3, s, row + 3 * LANES, w, k, b, off + 3 * LANES, sa, vv), load(r, off + 3 * LANES), o1);
        return o0.add(o1).reduceLanes(VectorOperators.ADD);
    }

    /** A row of any length n: a pass for sa, a pass for the update, each with a scalar tail. */
    private static float wkv7RowAny(float[] s, int row, float[] r, float[] w, float[] k, float vi, float[] kk,
                                    float[] b, int off, int n) {
        int bound = F.loopBound(n);
        FloatVector d = FloatVector.zero(F);
        for (int j = 0; j < bound; j += LANES) {
            d = fma(FloatVector.fromArray(F, s, row + j), load(kk, off + j), d);
        }
        float dot = d.reduceLanes(VectorOperators.ADD);
        for (int j = bound; j < n; j++) {
            dot += s[row + j] * kk[off + j];
        }
        float sa = -dot;
        FloatVector saV = FloatVector.broadcast(F, sa);
        FloatVector vv = FloatVector.broadcast(F, vi);
        FloatVector o = FloatVector.zero(F);
        for (int j = 0; j < bound; j += LANES) {
            FloatVector x = update(FloatVector.fromArray(F, s, row + j), s, row + j, w, k, b, off + j, saV, vv);
            o = fma(x, load(r, off + j), o);
        }
        float y = o.reduceLanes(VectorOperators.ADD);
        for (int j = bound; j < n; j++) {
            float x = s[row + j] * w[off + j] + sa * b[off + j] + vi * k[off + j];
            s[row + j] = x;
            y += x * r[off + j];
        }
        return y;
    }

    /** S·w + sa·b + v·k for the LANES columns at {@code j} of k, w, b, stored at {@code at} and returned. */
    private static FloatVector update(FloatVector sj, float[] s, int at, float[] w, float[] k, float[] b, int j,
                                      FloatVector sa, FloatVector vi) {
        FloatVector x = fma(sj, load(w, j), fma(load(b, j), sa, load(k, j).mul(vi)));
        x.intoArray(s, at);
        return x;
    }

    private static FloatVector load(float[] a, int i) {
        return FloatVector.fromArray(F, a, i);
    }
}
