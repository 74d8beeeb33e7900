package dev.rwkvjava.kernel.panama;

import static dev.rwkvjava.kernel.panama.MatVec.FH;
import static dev.rwkvjava.kernel.panama.MatVec.HALF_LANES;
import static dev.rwkvjava.kernel.panama.MatVec.IH;
import static dev.rwkvjava.kernel.panama.MatVec.LE;
import static dev.rwkvjava.kernel.panama.MatVec.PAIR_STEP;
import static dev.rwkvjava.kernel.panama.MatVec.fmaH;

import dev.rwkvjava.tensor.Matrix;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

/**
 * BF16 matrix × a few activation rows (the rows of a decode batch), multiplied straight from the 16-bit weights:
 * each pair load is decoded in registers (a shift for the even weights, a mask for the odd ones, as in BF16Vectors)
 * and used for every activation row of a group, where {@link MatMat} first writes each block of weights out as
 * floats and reads it back. The activation rows are copied once per call in the pair loads' even/odd order.
 *
 * <p>Tiles of 2 weight rows × 4 activation rows (8 accumulators, 16 FMAs for 2 weight loads and 8 activation loads),
 * then 2 × 2 and 2 × 1 for the rest; a weight row's bytes stay in L1 from one group of activation rows to the next.
 * Each tile is a method of its own, for C2's node budget (see MatVec).
 */
final class FewRows {
    /** Accumulator lanes of one tile: 8 FH vectors. */
    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[8 * HALF_LANES]);
    /** The activation rows in pair order, one array per thread, grown on demand. */
    private static final ThreadLocal<float[][]> PERMUTED = ThreadLocal.withInitial(() -> new float[1][0]);

    private FewRows() {
    }

    /**
     * {@code y[yOff + t*yStride + r] = W[r, :] · x[xOff + t*xStride ..]} for t in [0, n), r in [rowStart, rowEnd);
     * W is BF16, the arguments are checked.
     */
    static void bf16(Matrix w, float[] x, int xOff, int xStride, int n, float[] y, int yOff, int yStride,
                     int rowStart, int rowEnd) {
        int cols = w.cols();
        int bound = cols - cols % PAIR_STEP;
        float[] xp = MatVec.grown(PERMUTED.get(), n * bound);
        for (int t = 0; t < n; t++) {
            permute(x, xOff + t * xStride, bound, xp, t * bound);
        }
        float[] lanes = LANES.get();
        MemorySegment data = w.data();
        // The rows as two halves side by side: each tile reads one row of each, so the matrix streams as two
        // sequential runs (as in BF16Vectors' matVec). With an odd count, the last row of the first half is paired
        // with itself.
        int half = (rowEnd - rowStart + 1) / 2;
        for (int i = 0; i < half; i++) {
            int r = rowStart + i;
            int r1 = r + half < rowEnd ? r + half : r;
            long b0 = w.rowOffset(r);
            long b1 = w.rowOffset(r1);
            int t = 0;
            for (; t + 4 <= n; t += 4) {
                tile2x4(data, b0, b1, xp, t * bound, bound, lanes);
                store(lanes, 4, w, r, r1, x, xOff + t * xStride, xStride, bound, y, yOff + t * yStride, yStride);
            }
            if (t + 2 <= n) {
                tile2x2(data, b0, b1, xp, t * bound, bound, lanes);
                store(lanes, 2, w, r, r1, x, xOff + t * xStride, xStride, bound, y, yOff + t * yStride, yStride);
                t += 2;
            }
            if (t < n) {
                tile2x1(data, b0, b1, xp, t * bound, bound, lanes);
                store(lanes, 1, w, r, r1, x, xOff + t * xStride, xStride, bound, y, yOff + t * yStride, yStride);
            }
        }
    }

    /** x[xOff .. xOff + bound) into xp[at ..], each block of PAIR_STEP values as its even ones, then its odd ones. */
    private static void permute(float[] x, int xOff, int bound, float[] xp, int at) {
        for (int c = 0; c < bound; c += PAIR_STEP) {
            for (int j = 0; j < HALF_LANES; j++) {
                xp[at + c + j] = x[xOff + c + 2 * j];
                xp[at + c + HALF_LANES + j] = x[xOff + c + 2 * j + 1];
            }
        }
    }

    /**
     * The sums of a tile whose accumulators are in lanes (row i of token t at {@code (2t + i) · HALF_LANES}), plus the
     * columns past bound in scalar code, into y.
     */
    private static void store(float[] lanes, int tokens, Matrix w, int r0, int r1, float[] x, int xOff, int xStride,
                              int bound, float[] y, int yOff, int yStride) {
        int cols = w.cols();
        for (int t = 0; t < tokens; t++) {
            int xt = xOff + t * xStride;
            int yt = yOff + t * yStride;
            float s0 = sumAt(lanes, 2 * t * HALF_LANES);
            float s1 = sumAt(lanes, (2 * t + 1) * HALF_LANES);
            if (bound < cols) {
                s0 += MatVec.tail(w, r0, x, xt, bound);
                s1 += MatVec.tail(w, r1, x, xt, bound);
            }
            y[yt + r0] = s0;
            y[yt + r1] = s1;
        }
    }

    private static float sumAt(float[] lanes, int at) {
        float s = 0;
        for (int i = at; i < at + HALF_LANES; i++) {
            s += lanes[i];
        }
        return s;
    }

    private static void tile2x4(MemorySegment data, long b0, long b1, float[] xp, int x0, int bound, float[] lanes) {
        int x1 = x0 + bound, x2 = x1 + bound, x3 = x2 + bound;
        FloatVector a00 = FloatVector.zero(FH), a10 = FloatVector.zero(FH), a01 = FloatVector.zero(FH);
        FloatVector a11 = FloatVector.zero(FH), a02 = FloatVector.zero(FH), a12 = FloatVector.zero(FH);
        FloatVector a03 = FloatVector.zero(FH), a13 = FloatVector.zero(FH);
        for (int c = 0; c < bound; c += PAIR_STEP) {
            IntVector p0 = IntVector.fromMemorySegment(IH, data, b0 + 2L * c, LE);
            IntVector p1 = IntVector.fromMemorySegment(IH, data, b1 + 2L * c, LE);
            FloatVector e0 = p0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector o0 = p0.lanewise(VectorOperators.AND, 0xFFFF_0000).reinterpretAsFloats();
            FloatVector e1 = p1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector o1 = p1.lanewise(VectorOperators.AND, 0xFFFF_0000).reinterpretAsFloats();
            FloatVector xe = FloatVector.fromArray(FH, xp, x0 + c);
            FloatVector xo = FloatVector.fromArray(FH, xp, x0 + c + HALF_LANES);
            a00 = fmaH(o0, xo, fmaH(e0, xe, a00));
            a10 = fmaH(o1, xo, fmaH(e1, xe, a10));
            xe = FloatVector.fromArray(FH, xp, x1 + c);
            xo = FloatVector.fromArray(FH, xp, x1 + c + HALF_LANES);
            a01 = fmaH(o0, xo, fmaH(e0, xe, a01));
            a11 = fmaH(o1, xo, fmaH(e1, xe, a11));
            xe = FloatVector.fromArray(FH, xp, x2 + c);
            xo = FloatVector.fromArray(FH, xp, x2 + c + HALF_LANES);
            a02 = fmaH(o0, xo, fmaH(e0, xe, a02));
            a12 = fmaH(o1, xo, fmaH(e1, xe, a12));
            xe = FloatVector.fromArray(FH, xp, x3 + c);
            xo = FloatVector.fromArray(FH, xp, x3 + c + HALF_LANES);
            a03 = fmaH(o0, xo, fmaH(e0, xe, a03));
            a13 = fmaH(o1, xo, fmaH(e1, xe, a13));
        }
        a00.intoArray(lanes, 0);
        a10.intoArray(lanes, HALF_LANES);
        a01.intoArray(lanes, 2 * HALF_LANES);
        a11.intoArray(lanes, 3 * HALF_LANES);
        a02.intoArray(lanes, 4 * HALF_LANES);
        a12.intoArray(lanes, 5 * HALF_LANES);
        a03.intoArray(lanes, 6 * HALF_LANES);
        a13.intoArray(lanes, 7 * HALF_LANES);
        MatVec.faultable(data);
    }

    private static void tile2x2(MemorySegment data, long b0, long b1, float[] xp, int x0, int bound, float[] lanes) {
        int x1 = x0 + bound;
        FloatVector a00 = FloatVector.zero(FH), a10 = FloatVector.zero(FH);
        FloatVector a01 = FloatVector.zero(FH), a11 = FloatVector.zero(FH);
        for (int c = 0; c < bound; c += PAIR_STEP) {
            IntVector p0 = IntVector.fromMemorySegment(IH, data, b0 + 2L * c, LE);
            IntVector p1 = IntVector.fromMemorySegment(IH, data, b1 + 2L * c, LE);
            FloatVector e0 = p0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector o0 = p0.lanewise(VectorOperators.AND, 0xFFFF_0000).reinterpretAsFloats();
            FloatVector e1 = p1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector o1 = p1.lanewise(VectorOperators.AND, 0xFFFF_0000).reinterpretAsFloats();
            FloatVector xe = FloatVector.fromArray(FH, xp, x0 + c);
            FloatVector xo = FloatVector.fromArray(FH, xp, x0 + c + HALF_LANES);
            a00 = fmaH(o0, xo, fmaH(e0, xe, a00));
            a10 = fmaH(o1, xo, fmaH(e1, xe, a10));
            xe = FloatVector.fromArray(FH, xp, x1 + c);
            xo = FloatVector.fromArray(FH, xp, x1 + c + HALF_LANES);
            a01 = fmaH(o0, xo, fmaH(e0, xe, a01));
            a11 = fmaH(o1, xo, fmaH(e1, xe, a11));
        }
        a00.intoArray(lanes, 0);
        a10.intoArray(lanes, HALF_LANES);
        a01.intoArray(lanes, 2 * HALF_LANES);
        a11.intoArray(lanes, 3 * HALF_LANES);
        MatVec.faultable(data);
    }

    private static void tile2x1(MemorySegment data, long b0, long b1, float[] xp, int x0, int bound, float[] lanes) {
        // Even and odd sums apart: four chains of FMAs instead of two.
        FloatVector e0 = FloatVector.zero(FH), o0 = FloatVector.zero(FH);
        FloatVector e1 = FloatVector.zero(FH), o1 = FloatVector.zero(FH);
        for (int c = 0; c < bound; c += PAIR_STEP) {
            IntVector p0 = IntVector.fromMemorySegment(IH, data, b0 + 2L * c, LE);
            IntVector p1 = IntVector.fromMemorySegment(IH, data, b1 + 2L * c, LE);
            FloatVector xe = FloatVector.fromArray(FH, xp, x0 + c);
            FloatVector xo = FloatVector.fromArray(FH, xp, x0 + c + HALF_LANES);
            e0 = fmaH(p0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), xe, e0);
            o0 = fmaH(p0.lanewise(VectorOperators.AND, 0xFFFF_0000).reinterpretAsFloats(), xo, o0);
            e1 = fmaH(p1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), xe, e1);
            o1 = fmaH(p1.lanewise(VectorOperators.AND, 0xFFFF_0000).reinterpretAsFloats(), xo, o1);
        }
        e0.lanewise(VectorOperators.ADD, o0).intoArray(lanes, 0);
        e1.lanewise(VectorOperators.ADD, o1).intoArray(lanes, HALF_LANES);
        MatVec.faultable(data);
    }
}
