package dev.rwkvjava.kernel.panama;

import static dev.rwkvjava.kernel.panama.PanamaConstants.F;
import static dev.rwkvjava.kernel.panama.PanamaConstants.LANES;
import static dev.rwkvjava.kernel.panama.PanamaConstants.fma;

import jdk.incubator.vector.FloatVector;

/**
 * The per-head state updates of RWKV-7 ({@link #wkv7}) and RWKV-5/6 ({@link #wkv5}): the same arithmetic as the
 * scalar defaults in {@code Kernels}, LANES state columns at a time, with fused multiply-adds. Each loop is a small
 * method of its own, for the reason given in {@link MatVec}.
 */
final class Recurrence {
    private Recurrence() {
    }

    // ---- RWKV-7 ------------------------------------------------------------------------------------------------
    //
    // Row i of the state needs sa = -S[i]·kk before any of its elements can be updated, so each row is read twice:
    // once for sa, once (from L1) for the update. Holding a 64-wide row in registers instead is no faster and sits
    // at C2's node budget.

    /** See {@code Kernels.wkv7}. */
    static void wkv7(float[] s, int sOff, float[] r, float[] w, float[] k, float[] v, float[] kk, float[] b,
                     int off, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = wkv7Row(s, sOff + i * n, r, w, k, v[off + i], kk, b, off, n);
        }
    }

    /** Row i (n long): a pass for sa, a pass for the update and the output, each with a scalar tail. */
    private static float wkv7Row(float[] s, int row, float[] r, float[] w, float[] k, float vi, float[] kk,
                                 float[] b, int off, int n) {
        int bound = F.loopBound(n);
        FloatVector d = FloatVector.zero(F);
        for (int j = 0; j < bound; j += LANES) {
            d = fma(FloatVector.fromArray(F, s, row + j), load(kk, off + j), d);
        }
        float dot = PanamaConstants.sumF(d);
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
        float y = PanamaConstants.sumF(o);
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

    // ---- RWKV-5/6 ----------------------------------------------------------------------------------------------
    //
    // Vectorised over the value channels j: a block of columns keeps its v and out vectors in registers while
    // the rows i (key channels) stream through, so out is stored once. Blocks of 4 vectors (a whole head of 64 at
    // 512 bits), then single vectors, then single columns.

    /** See {@code Kernels.wkv5}. */
    static void wkv5(float[] r, float[] k, float[] v, int rkvOff, float[] decay, int decayOff, float[] bonus,
                     float[] state, int stateOff, float[] out, int outOff, int heads, int n) {
        for (int h = 0; h < heads; h++) {
            int ch = h * n;
            int x = rkvOff + ch;
            int d = decayOff + ch;
            int sOff = stateOff + ch * n;
            int o = outOff + ch;
            int c = 0;
            for (; c + 4 * LANES <= n; c += 4 * LANES) {
                wkv5Columns4(r, k, v, x, decay, d, bonus, ch, state, sOff + c, out, o + c, c, n);
            }
            for (; c + LANES <= n; c += LANES) {
                wkv5Columns1(r, k, v, x, decay, d, bonus, ch, state, sOff + c, out, o + c, c, n);
            }
            for (; c < n; c++) {
                wkv5Column(r, k, v, x, decay, d, bonus, ch, state, sOff + c, out, o + c, c, n);
            }
        }
    }

    /**
     * Columns [c, c + 4·LANES) of one head, with r, k, v at x, decay at d, bonus at u, the state's column c of row
     * 0 at s0 and out at o.
     */
    private static void wkv5Columns4(float[] r, float[] k, float[] v, int x, float[] decay, int d, float[] bonus,
                                     int u, float[] s, int s0, float[] out, int o, int c, int n) {
        FloatVector v0 = load(v, x + c);
        FloatVector v1 = load(v, x + c + LANES);
        FloatVector v2 = load(v, x + c + 2 * LANES);
        FloatVector v3 = load(v, x + c + 3 * LANES);
        FloatVector o0 = FloatVector.zero(F);
        FloatVector o1 = FloatVector.zero(F);
        FloatVector o2 = FloatVector.zero(F);
        FloatVector o3 = FloatVector.zero(F);
        for (int i = 0, row = s0; i < n; i++, row += n) {
            FloatVector ri = FloatVector.broadcast(F, r[x + i]);
            FloatVector ki = FloatVector.broadcast(F, k[x + i]);
            FloatVector ui = FloatVector.broadcast(F, bonus[u + i]);
            FloatVector wi = FloatVector.broadcast(F, decay[d + i]);
            o0 = step(v0, s, row, ri, ki, ui, wi, o0);
            o1 = step(v1, s, row + LANES, ri, ki, ui, wi, o1);
            o2 = step(v2, s, row + 2 * LANES, ri, ki, ui, wi, o2);
            o3 = step(v3, s, row + 3 * LANES, ri, ki, ui, wi, o3);
        }
        o0.intoArray(out, o);
        o1.intoArray(out, o + LANES);
        o2.intoArray(out, o + 2 * LANES);
        o3.intoArray(out, o + 3 * LANES);
    }

    /** {@link #wkv5Columns4} for columns [c, c + LANES). */
    private static void wkv5Columns1(float[] r, float[] k, float[] v, int x, float[] decay, int d, float[] bonus,
                                     int u, float[] s, int s0, float[] out, int o, int c, int n) {
        FloatVector v0 = load(v, x + c);
        FloatVector o0 = FloatVector.zero(F);
        for (int i = 0, row = s0; i < n; i++, row += n) {
            o0 = step(v0, s, row, FloatVector.broadcast(F, r[x + i]), FloatVector.broadcast(F, k[x + i]),
                    FloatVector.broadcast(F, bonus[u + i]), FloatVector.broadcast(F, decay[d + i]), o0);
        }
        o0.intoArray(out, o);
    }

    /** {@link #wkv5Columns4} for column c alone, scalar. */
    private static void wkv5Column(float[] r, float[] k, float[] v, int x, float[] decay, int d, float[] bonus,
                                   int u, float[] s, int s0, float[] out, int o, int c, int n) {
        float vc = v[x + c];
        float y = 0;
        for (int i = 0, at = s0; i < n; i++, at += n) {
            float kv = k[x + i] * vc;
            float si = s[at];
            y += r[x + i] * (bonus[u + i] * kv + si);
            s[at] = kv + decay[d + i] * si;
        }
        out[o] = y;
    }

    /** Row i over LANES columns: returns acc + r·(u·k·v + S) and stores S = k·v + w·S at {@code at}. */
    private static FloatVector step(FloatVector vj, float[] s, int at, FloatVector ri, FloatVector ki,
                                    FloatVector ui, FloatVector wi, FloatVector acc) {
        FloatVector kv = vj.mul(ki);
        FloatVector sj = FloatVector.fromArray(F, s, at);
        fma(sj, wi, kv).intoArray(s, at);
        return fma(fma(kv, ui, sj), ri, acc);
    }

    private static FloatVector load(float[] a, int i) {
        return FloatVector.fromArray(F, a, i);
    }
}
