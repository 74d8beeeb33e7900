package dev.rwkvjava.kernel.panama;

import static dev.rwkvjava.kernel.panama.PanamaConstants.F;
import static dev.rwkvjava.kernel.panama.PanamaConstants.LANES;
import static dev.rwkvjava.kernel.panama.PanamaConstants.fma;

import dev.rwkvjava.tensor.Matrix;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Matrix × a chunk of activation rows (prefill), compute-bound. Weights are decoded once per call, a block of
 * rows at a time, into float scratch (about 128 KB, so the block stays in L2); then for every group of 3 tokens
 * (whose x rows stay in L1) a 4 × 3 register tile (4 weight rows × 3 tokens, 12 accumulators) walks the block
 * doing 12 FMAs for every 7 loads.
 *
 * <p>Not 4 × 4: C2 parses each vector operation into hundreds of nodes, and twice as many at a call site that
 * has seen two vector sizes (a process that runs the 256-bit 16-bit matVec next to 512-bit code). A 4 × 4 tile
 * then passes the node count at which C2 stops inlining, and every vector of the tile is boxed (50x slower).
 */
final class MatMat {
    /** Floats of decoded weights per block: 128 KB, well inside L2 next to the x rows being streamed. */
    private static final int BLOCK_FLOATS = 32 * 1024;
    /** The front of scratch holds one tile's 12 sums on their way to y. */
    private static final int SUMS = 0;
    private static final int TILE_AREA = 12;

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
            for (; t + 3 <= n; t += 3) {
                for (int i = 0; i < grouped; i += 4) {
                    tile4x3(scratch, TILE_AREA + i * cols, cols, x, xOff + t * xStride, xStride, scratch);
                    for (int tt = 0; tt < 3; tt++) {
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

    /** The 12 dot products of 4 rows (consecutive in w) and 3 tokens into sums[SUMS + 4 · token + row]. */
    private static void tile4x3(float[] w, int wOff, int cols, float[] x, int xOff, int xStride, float[] sums) {
        int w0 = wOff, w1 = w0 + cols, w2 = w1 + cols, w3 = w2 + cols;
        int x0 = xOff, x1 = x0 + xStride, x2 = x1 + xStride;
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z, a01 = z, a02 = z;
        FloatVector a10 = z, a11 = z, a12 = z;
        FloatVector a20 = z, a21 = z, a22 = z;
        FloatVector a30 = z, a31 = z, a32 = z;
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
        // One reduction per sum. A pairwise tree of two-input permutes takes fewer operations, but costs C2 more
        // nodes than the tile has to spare.
        sums[SUMS] = a00.reduceLanes(VectorOperators.ADD);
        sums[SUMS + 1] = a10.reduceLanes(VectorOperators.ADD);
        sums[SUMS + 2] = a20.reduceLanes(VectorOperators.ADD);
        sums[SUMS + 3] = a30.reduceLanes(VectorOperators.ADD);
        sums[SUMS + 4] = a01.reduceLanes(VectorOperators.ADD);
        sums[SUMS + 5] = a11.reduceLanes(VectorOperators.ADD);
        sums[SUMS + 6] = a21.reduceLanes(VectorOperators.ADD);
        sums[SUMS + 7] = a31.reduceLanes(VectorOperators.ADD);
        sums[SUMS + 8] = a02.reduceLanes(VectorOperators.ADD);
        sums[SUMS + 9] = a12.reduceLanes(VectorOperators.ADD);
        sums[SUMS + 10] = a22.reduceLanes(VectorOperators.ADD);
        sums[SUMS + 11] = a32.reduceLanes(VectorOperators.ADD);
        for (int c = bound; c < cols; c++) {
            for (int t = 0; t < 3; t++) {
                float xc = x[xOff + t * xStride + c];
                for (int r = 0; r < 4; r++) {
                    sums[SUMS + 4 * t + r] += w[wOff + r * cols + c] * xc;
                }
            }
        }
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
