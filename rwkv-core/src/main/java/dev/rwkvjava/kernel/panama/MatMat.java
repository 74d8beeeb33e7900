package dev.rwkvjava.kernel.panama;

import static dev.rwkvjava.kernel.panama.PanamaConstants.F;
import static dev.rwkvjava.kernel.panama.PanamaConstants.LANES;
import static dev.rwkvjava.kernel.panama.PanamaConstants.fma;

import dev.rwkvjava.tensor.Matrix;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Matrix × a chunk of activation rows (prefill), compute-bound. Weights are decoded once per call, a block of
 * rows at a time, into float scratch (about 128 KB, so the block stays in L2); then for every group of 4 tokens
 * (whose x rows stay in L1) a 4 × 4 register tile (4 weight rows × 4 tokens, 16 accumulators) walks the block
 * doing 16 FMAs for every 8 loads. The 16 dot products of a tile are reduced together (see {@link #reduceParked}).
 */
final class MatMat {
    /** Floats of decoded weights per block: 128 KB, well inside L2 next to the x rows being streamed. */
    private static final int BLOCK_FLOATS = 32 * 1024;
    /** The front of scratch holds one tile's 16 sums on their way to y, then its 16 accumulators (see tile4x4). */
    private static final int SUMS = 0;
    private static final int PARKED = 16;
    private static final int TILE_AREA = PARKED + 16 * LANES;

    /* Index vectors for selectFrom(a, b): stage s halves every segment of partial sums and packs a's and b's. */
    private static final FloatVector LO1 = pairIndexes(1, false), HI1 = pairIndexes(1, true);
    private static final FloatVector LO2 = pairIndexes(2, false), HI2 = pairIndexes(2, true);
    private static final FloatVector LO3 = pairIndexes(3, false), HI3 = pairIndexes(3, true);
    private static final FloatVector LO4 = pairIndexes(4, false), HI4 = pairIndexes(4, true);

    private MatMat() {
    }

    /** Rows per block for cols columns: a multiple of 4, at least 4. */
    private static int blockRows(int cols) {
        return Math.max(4, BLOCK_FLOATS / cols & ~3);
    }

    /** Scratch for {@code cols} columns: the tile area and one block of decoded rows. */
    static int scratchSize(int cols) {
        return TILE_AREA + blockRows(cols) * cols;
    }

    static void matMat(Matrix w, float[] x, int xOff, int xStride, int n,
                       float[] y, int yOff, int yStride, int rowStart, int rowEnd, float[] scratch) {
        int cols = w.cols();
        int blockRows = Math.min(blockRows(cols), (scratch.length - TILE_AREA) / cols & ~3);
        if (blockRows < 4) {
            // The interface promises only cols floats of scratch: with less than a tile's worth, a row at a time.
            for (int r = rowStart; r < rowEnd; r++) {
                HalfFloats.toFloats(w.data(), w.dtype(), (long) r * cols, scratch, 0, cols);
                for (int t = 0; t < n; t++) {
                    y[yOff + t * yStride + r] = Elementwise.dot(scratch, 0, x, xOff + t * xStride, cols);
                }
            }
            return;
        }
        for (int r0 = rowStart; r0 < rowEnd; r0 += blockRows) {
            int rows = Math.min(blockRows, rowEnd - r0);
            HalfFloats.toFloats(w.data(), w.dtype(), (long) r0 * cols, scratch, TILE_AREA, rows * cols);
            int grouped = rows & ~3;
            int t = 0;
            for (; t + 4 <= n; t += 4) {
                for (int i = 0; i < grouped; i += 4) {
                    tile4x4(scratch, TILE_AREA + i * cols, cols, x, xOff + t * xStride, xStride, scratch);
                    for (int tt = 0; tt < 4; tt++) {
                        int yi = yOff + (t + tt) * yStride + r0 + i;
                        y[yi] = scratch[SUMS + 4 * tt];
                        y[yi + 1] = scratch[SUMS + 4 * tt + 1];
                        y[yi + 2] = scratch[SUMS + 4 * tt + 2];
                        y[yi + 3] = scratch[SUMS + 4 * tt + 3];
                    }
                }
            }
            for (; t < n; t++) {
                for (int i = 0; i < grouped; i += 4) {
                    tile4x1(scratch, TILE_AREA + i * cols, cols, x, xOff + t * xStride, y, yOff + t * yStride + r0 + i);
                }
            }
            for (int i = grouped; i < rows; i++) {
                for (t = 0; t < n; t++) {
                    y[yOff + t * yStride + r0 + i] = Elementwise.dot(scratch, TILE_AREA + i * cols, x, xOff + t * xStride, cols);
                }
            }
        }
    }

    /** The 16 dot products of 4 rows (consecutive in w) and 4 tokens into sums[SUMS + 4 · token + row]. */
    private static void tile4x4(float[] w, int wOff, int cols, float[] x, int xOff, int xStride, float[] sums) {
        int w0 = wOff, w1 = w0 + cols, w2 = w1 + cols, w3 = w2 + cols;
        int x0 = xOff, x1 = x0 + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F), a02 = FloatVector.zero(F), a03 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F), a11 = FloatVector.zero(F), a12 = FloatVector.zero(F), a13 = FloatVector.zero(F);
        FloatVector a20 = FloatVector.zero(F), a21 = FloatVector.zero(F), a22 = FloatVector.zero(F), a23 = FloatVector.zero(F);
        FloatVector a30 = FloatVector.zero(F), a31 = FloatVector.zero(F), a32 = FloatVector.zero(F), a33 = FloatVector.zero(F);
        int bound = F.loopBound(cols);
        for (int c = 0; c < bound; c += LANES) {
            FloatVector v0 = FloatVector.fromArray(F, w, w0 + c);
            FloatVector v1 = FloatVector.fromArray(F, w, w1 + c);
            FloatVector v2 = FloatVector.fromArray(F, w, w2 + c);
            FloatVector v3 = FloatVector.fromArray(F, w, w3 + c);
            FloatVector u = FloatVector.fromArray(F, x, x0 + c);
            a00 = fma(v0, u, a00);
            a10 = fma(v1, u, a10);
            a20 = fma(v2, u, a20);
            a30 = fma(v3, u, a30);
            u = FloatVector.fromArray(F, x, x1 + c);
            a01 = fma(v0, u, a01);
            a11 = fma(v1, u, a11);
            a21 = fma(v2, u, a21);
            a31 = fma(v3, u, a31);
            u = FloatVector.fromArray(F, x, x2 + c);
            a02 = fma(v0, u, a02);
            a12 = fma(v1, u, a12);
            a22 = fma(v2, u, a22);
            a32 = fma(v3, u, a32);
            u = FloatVector.fromArray(F, x, x3 + c);
            a03 = fma(v0, u, a03);
            a13 = fma(v1, u, a13);
            a23 = fma(v2, u, a23);
            a33 = fma(v3, u, a33);
        }
        // Reduced in a method of its own, through scratch: the loop and the reduction tree together come within
        // 2 % of the node count at which C2 stops inlining (and boxes every vector), and a method taking the
        // accumulators as arguments would box them whenever C2 declined to inline it.
        a00.intoArray(sums, PARKED);
        a10.intoArray(sums, PARKED + LANES);
        a20.intoArray(sums, PARKED + 2 * LANES);
        a30.intoArray(sums, PARKED + 3 * LANES);
        a01.intoArray(sums, PARKED + 4 * LANES);
        a11.intoArray(sums, PARKED + 5 * LANES);
        a21.intoArray(sums, PARKED + 6 * LANES);
        a31.intoArray(sums, PARKED + 7 * LANES);
        a02.intoArray(sums, PARKED + 8 * LANES);
        a12.intoArray(sums, PARKED + 9 * LANES);
        a22.intoArray(sums, PARKED + 10 * LANES);
        a32.intoArray(sums, PARKED + 11 * LANES);
        a03.intoArray(sums, PARKED + 12 * LANES);
        a13.intoArray(sums, PARKED + 13 * LANES);
        a23.intoArray(sums, PARKED + 14 * LANES);
        a33.intoArray(sums, PARKED + 15 * LANES);
        reduceParked(sums);
        for (int c = bound; c < cols; c++) {
            for (int t = 0; t < 4; t++) {
                float xc = x[xOff + t * xStride + c];
                for (int r = 0; r < 4; r++) {
                    sums[SUMS + 4 * t + r] += w[wOff + r * cols + c] * xc;
                }
            }
        }
    }

    /**
     * The 16 accumulators parked by tile4x4 (row-major by token: a00, a10, a20, a30, a01, ...) to sums[SUMS + 4 ·
     * token + row], as a pairwise tree: each stage takes two vectors of partial sums, packs the low halves of
     * their segments into one vector and the high halves into another (two-input permutes), and adds the two.
     * log2(LANES) stages leave 16 / LANES vectors of finished sums: 45 operations at 512 bits where 16 separate
     * reductions take about 150.
     */
    private static void reduceParked(float[] s) {
        FloatVector p0 = FloatVector.fromArray(F, s, PARKED);
        FloatVector p1 = FloatVector.fromArray(F, s, PARKED + LANES);
        FloatVector b0 = LO1.selectFrom(p0, p1).add(HI1.selectFrom(p0, p1));
        FloatVector p2 = FloatVector.fromArray(F, s, PARKED + 2 * LANES);
        FloatVector p3 = FloatVector.fromArray(F, s, PARKED + 3 * LANES);
        FloatVector b1 = LO1.selectFrom(p2, p3).add(HI1.selectFrom(p2, p3));
        FloatVector p4 = FloatVector.fromArray(F, s, PARKED + 4 * LANES);
        FloatVector p5 = FloatVector.fromArray(F, s, PARKED + 5 * LANES);
        FloatVector b2 = LO1.selectFrom(p4, p5).add(HI1.selectFrom(p4, p5));
        FloatVector p6 = FloatVector.fromArray(F, s, PARKED + 6 * LANES);
        FloatVector p7 = FloatVector.fromArray(F, s, PARKED + 7 * LANES);
        FloatVector b3 = LO1.selectFrom(p6, p7).add(HI1.selectFrom(p6, p7));
        FloatVector p8 = FloatVector.fromArray(F, s, PARKED + 8 * LANES);
        FloatVector p9 = FloatVector.fromArray(F, s, PARKED + 9 * LANES);
        FloatVector b4 = LO1.selectFrom(p8, p9).add(HI1.selectFrom(p8, p9));
        FloatVector p10 = FloatVector.fromArray(F, s, PARKED + 10 * LANES);
        FloatVector p11 = FloatVector.fromArray(F, s, PARKED + 11 * LANES);
        FloatVector b5 = LO1.selectFrom(p10, p11).add(HI1.selectFrom(p10, p11));
        FloatVector p12 = FloatVector.fromArray(F, s, PARKED + 12 * LANES);
        FloatVector p13 = FloatVector.fromArray(F, s, PARKED + 13 * LANES);
        FloatVector b6 = LO1.selectFrom(p12, p13).add(HI1.selectFrom(p12, p13));
        FloatVector p14 = FloatVector.fromArray(F, s, PARKED + 14 * LANES);
        FloatVector p15 = FloatVector.fromArray(F, s, PARKED + 15 * LANES);
        FloatVector b7 = LO1.selectFrom(p14, p15).add(HI1.selectFrom(p14, p15));
        FloatVector c0 = LO2.selectFrom(b0, b1).add(HI2.selectFrom(b0, b1));
        FloatVector c1 = LO2.selectFrom(b2, b3).add(HI2.selectFrom(b2, b3));
        FloatVector c2 = LO2.selectFrom(b4, b5).add(HI2.selectFrom(b4, b5));
        FloatVector c3 = LO2.selectFrom(b6, b7).add(HI2.selectFrom(b6, b7));
        if (LANES == 4) {
            c0.intoArray(s, SUMS);
            c1.intoArray(s, SUMS + 4);
            c2.intoArray(s, SUMS + 8);
            c3.intoArray(s, SUMS + 12);
        } else {
            FloatVector d0 = LO3.selectFrom(c0, c1).add(HI3.selectFrom(c0, c1));
            FloatVector d1 = LO3.selectFrom(c2, c3).add(HI3.selectFrom(c2, c3));
            if (LANES == 8) {
                d0.intoArray(s, SUMS);
                d1.intoArray(s, SUMS + 8);
            } else {
                LO4.selectFrom(d0, d1).add(HI4.selectFrom(d0, d1)).intoArray(s, SUMS);
            }
        }
    }

    /**
     * Indexes into the concatenation a ++ b for stage s (1-based): before it, each vector holds 2^(s-1)
     * segments of LANES / 2^(s-1) partial sums; after it, twice as many segments of half the length, a's first.
     * Stages beyond log2(LANES) are not used (zero vector).
     */
    private static FloatVector pairIndexes(int stage, boolean high) {
        int len = LANES >> (stage - 1);
        if (len < 2) {
            return FloatVector.zero(F);
        }
        int segments = 1 << (stage - 1);
        int half = len / 2;
        float[] idx = new float[LANES];
        for (int j = 0; j < LANES; j++) {
            int seg = j / half;
            int src = seg < segments ? 0 : LANES;
            idx[j] = src + (seg % segments) * len + j % half + (high ? half : 0);
        }
        return FloatVector.fromArray(F, idx, 0);
    }

    /** y[i] for 4 rows and one token. */
    private static void tile4x1(float[] w, int wOff, int cols, float[] x, int xOff, float[] y, int yOff) {
        int w0 = wOff, w1 = w0 + cols, w2 = w1 + cols, w3 = w2 + cols;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        int bound = F.loopBound(cols);
        for (int c = 0; c < bound; c += LANES) {
            FloatVector u = FloatVector.fromArray(F, x, xOff + c);
            a0 = fma(FloatVector.fromArray(F, w, w0 + c), u, a0);
            a1 = fma(FloatVector.fromArray(F, w, w1 + c), u, a1);
            a2 = fma(FloatVector.fromArray(F, w, w2 + c), u, a2);
            a3 = fma(FloatVector.fromArray(F, w, w3 + c), u, a3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD);
        float s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD);
        float s3 = a3.reduceLanes(VectorOperators.ADD);
        for (int c = bound; c < cols; c++) {
            float xc = x[xOff + c];
            s0 += w[w0 + c] * xc;
            s1 += w[w1 + c] * xc;
            s2 += w[w2 + c] * xc;
            s3 += w[w3 + c] * xc;
        }
        y[yOff] = s0;
        y[yOff + 1] = s1;
        y[yOff + 2] = s2;
        y[yOff + 3] = s3;
    }
}
