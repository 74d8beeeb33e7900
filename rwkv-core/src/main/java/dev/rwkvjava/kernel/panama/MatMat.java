package dev.rwkvjava.kernel.panama;

import static dev.rwkvjava.kernel.panama.PanamaConstants.F;
import static dev.rwkvjava.kernel.panama.PanamaConstants.LANES;
import static dev.rwkvjava.kernel.panama.PanamaConstants.fma;

import dev.rwkvjava.tensor.Matrix;
import jdk.incubator.vector.FloatVector;

/**
 * Matrix × a chunk of activation rows (prefill), compute-bound. Weights are decoded once per call, a block of
 * rows at a time, into float scratch (about 128 KB, so the block stays in L2); then for every group of 3 tokens
 * (whose x rows stay in L1) a 4 × 3 register tile (4 weight rows × 3 tokens, 12 accumulators) walks the block
 * doing 12 FMAs for every 7 loads.
 *
 * <p>Not 4 × 4: C2 parses each vector operation into hundreds of nodes, and twice as many at a call site that
 * has seen two vector sizes (a process that runs the 256-bit 16-bit matVec next to 512-bit code). A 4 × 4 tile
 * then passes the node count at which C2 stops inlining, and every vector of the tile is boxed (an object per
 * operation).
 */
final class MatMat {
    /** Floats of decoded weights per block: 128 KB, well inside L2 next to the x rows being streamed. */
    private static final int BLOCK_FLOATS = 32 * 1024;
    /**
     * The front of scratch holds the 12 accumulators (LANES floats each) of two tiles on their way to y: a tile's
     * are summed while the next tile runs, once its stores have reached the cache. Summed at once, the loads would
     * meet the wide stores still in flight, and stall on them.
     */
    private static final int SUMS = 0;
    private static final int TILE_SUMS = 12 * LANES;
    private static final int TILE_AREA = 2 * TILE_SUMS;

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
        WeightVectors decoder = WeightVectors.of(w.type());
        if (blockRows < 4) {
            // The interface promises only cols floats of scratch: with less than a tile's worth, a row at a time.
            for (int r = rowStart; r < rowEnd; r++) {
                decoder.toFloats(w.data(), w.rowOffset(r), scratch, 0, cols);
                for (int t = 0; t < n; t++) {
                    y[yOff + t * yStride + r] = Elementwise.dot(scratch, 0, x, xOff + t * xStride, cols);
                }
            }
            return;
        }
        for (int r0 = rowStart; r0 < rowEnd; r0 += blockRows) {
            int rows = Math.min(blockRows, rowEnd - r0);
            decoder.toFloats(w.data(), w.rowOffset(r0), scratch, TILE_AREA, rows * cols);
            int grouped = rows & ~3;
            int t = 0;
            for (; t + 3 <= n; t += 3) {
                for (int i = 0; i < grouped; i += 4) {
                    tile4x3(scratch, TILE_AREA + i * cols, cols, x, xOff + t * xStride, xStride, scratch,
                            SUMS + ((i >> 2) & 1) * TILE_SUMS);
                    if (i > 0) {
                        finish4x3(scratch, i - 4, cols, x, xOff + t * xStride, xStride, y, yOff + t * yStride + r0, yStride);
                    }
                }
                if (grouped > 0) {
                    finish4x3(scratch, grouped - 4, cols, x, xOff + t * xStride, xStride, y, yOff + t * yStride + r0, yStride);
                }
            }
            for (; t < n; t++) {
                int xt = xOff + t * xStride;
                for (int i = 0; i < grouped; i += 4) {
                    int wOff = TILE_AREA + i * cols;
                    tile4x1(scratch, wOff, cols, x, xt, scratch);
                    int yi = yOff + t * yStride + r0 + i;
                    for (int rr = 0; rr < 4; rr++) {
                        y[yi + rr] = finish(scratch, SUMS + rr * LANES, scratch, wOff + rr * cols, x, xt, cols);
                    }
                }
            }
            for (int i = grouped; i < rows; i++) {
                for (t = 0; t < n; t++) {
                    y[yOff + t * yStride + r0 + i] = Elementwise.dot(scratch, TILE_AREA + i * cols, x, xOff + t * xStride, cols);
                }
            }
        }
    }

    /** The 12 sums of the tile of block rows i .. i + 3, from the buffer its accumulators went to. */
    private static void finish4x3(float[] scratch, int i, int cols, float[] x, int xOff, int xStride, float[] y,
                                  int yOff, int yStride) {
        int sums = SUMS + ((i >> 2) & 1) * TILE_SUMS;
        int wOff = TILE_AREA + i * cols;
        for (int tt = 0; tt < 3; tt++) {
            for (int rr = 0; rr < 4; rr++) {
                y[yOff + tt * yStride + i + rr] = finish(scratch, sums + (4 * tt + rr) * LANES, scratch,
                        wOff + rr * cols, x, xOff + tt * xStride, cols);
            }
        }
    }

    /**
     * One sum of a tile: its accumulator (stored at {@code lanes[at ..]}) reduced by PanamaConstants.sumF, then the
     * last columns, which fill no whole vector, one by one: the order of MatVec's F32 rows.
     */
    private static float finish(float[] lanes, int at, float[] w, int wRow, float[] x, int xRow, int cols) {
        float s = PanamaConstants.sumF(FloatVector.fromArray(F, lanes, at));
        for (int c = F.loopBound(cols); c < cols; c++) {
            s += w[wRow + c] * x[xRow + c];
        }
        return s;
    }

    /** The accumulators of 4 rows (consecutive in w) and 3 tokens into sums[at + (4 · token + row) · LANES ..] (see finish). */
    private static void tile4x3(float[] w, int wOff, int cols, float[] x, int xOff, int xStride, float[] sums,
                                int at) {
        int w0 = wOff, w1 = w0 + cols, w2 = w1 + cols, w3 = w2 + cols;
        int x0 = xOff, x1 = x0 + xStride, x2 = x1 + xStride;
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F), a02 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F), a11 = FloatVector.zero(F), a12 = FloatVector.zero(F);
        FloatVector a20 = FloatVector.zero(F), a21 = FloatVector.zero(F), a22 = FloatVector.zero(F);
        FloatVector a30 = FloatVector.zero(F), a31 = FloatVector.zero(F), a32 = FloatVector.zero(F);
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
        }
        // The accumulators go to scratch as they are, and finish reduces them: twelve reductions here would take the
        // tile past C2's node budget.
        a00.intoArray(sums, at);
        a10.intoArray(sums, at + LANES);
        a20.intoArray(sums, at + 2 * LANES);
        a30.intoArray(sums, at + 3 * LANES);
        a01.intoArray(sums, at + 4 * LANES);
        a11.intoArray(sums, at + 5 * LANES);
        a21.intoArray(sums, at + 6 * LANES);
        a31.intoArray(sums, at + 7 * LANES);
        a02.intoArray(sums, at + 8 * LANES);
        a12.intoArray(sums, at + 9 * LANES);
        a22.intoArray(sums, at + 10 * LANES);
        a32.intoArray(sums, at + 11 * LANES);
    }

    /** The accumulators of 4 rows and one token, into sums[SUMS + row · LANES ..] (see finish). */
    private static void tile4x1(float[] w, int wOff, int cols, float[] x, int xOff, float[] sums) {
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
        a0.intoArray(sums, SUMS);
        a1.intoArray(sums, SUMS + LANES);
        a2.intoArray(sums, SUMS + 2 * LANES);
        a3.intoArray(sums, SUMS + 3 * LANES);
    }
}
