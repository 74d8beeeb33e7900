package dev.rwkvjava.kernel.panama;

import static dev.rwkvjava.kernel.panama.MatVec.fma;
import static dev.rwkvjava.kernel.panama.PanamaConstants.F;
import static dev.rwkvjava.kernel.panama.PanamaConstants.LANES;

import dev.rwkvjava.tensor.Matrix;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Matrix × a chunk of activation rows (prefill). Compute-bound, so the weights are decoded once per block of
 * rows into float scratch, and a 4 × 4 register tile (4 weight rows × 4 tokens, 16 accumulators) does 16 FMAs
 * for every 8 loads.
 */
final class MatMat {
    static final int MAX_BLOCK_ROWS = 8;

    private MatMat() {
    }

    static void matMat(Matrix w, float[] x, int xOff, int xStride, int n,
                       float[] y, int yOff, int yStride, int rowStart, int rowEnd, float[] scratch) {
        int cols = w.cols();
        int blockRows = Math.min(MAX_BLOCK_ROWS, scratch.length / cols);
        for (int r0 = rowStart; r0 < rowEnd; r0 += blockRows) {
            int rows = Math.min(blockRows, rowEnd - r0);
            HalfFloats.toFloats(w.data(), w.dtype(), (long) r0 * cols, scratch, 0, rows * cols);
            int i = 0;
            for (; i + 4 <= rows; i += 4) {
                int t = 0;
                for (; t + 4 <= n; t += 4) {
                    tile4x4(scratch, i * cols, cols, x, xOff + t * xStride, xStride, y, yOff + t * yStride + r0 + i, yStride);
                }
                for (; t < n; t++) {
                    tile4x1(scratch, i * cols, cols, x, xOff + t * xStride, y, yOff + t * yStride + r0 + i);
                }
            }
            for (; i < rows; i++) {
                for (int t = 0; t < n; t++) {
                    y[yOff + t * yStride + r0 + i] = Elementwise.dot(scratch, i * cols, x, xOff + t * xStride, cols);
                }
            }
        }
    }

    /** y[t][i] for 4 rows (consecutive in scratch) and 4 tokens. */
    private static void tile4x4(float[] w, int wOff, int cols, float[] x, int xOff, int xStride,
                                float[] y, int yOff, int yStride) {
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
        store(a00, a10, a20, a30, w, w0, cols, x, x0, bound, y, yOff);
        store(a01, a11, a21, a31, w, w0, cols, x, x1, bound, y, yOff + yStride);
        store(a02, a12, a22, a32, w, w0, cols, x, x2, bound, y, yOff + 2 * yStride);
        store(a03, a13, a23, a33, w, w0, cols, x, x3, bound, y, yOff + 3 * yStride);
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
        store(a0, a1, a2, a3, w, w0, cols, x, xOff, bound, y, yOff);
    }

    /** Reduces the accumulators of 4 rows for one token, adds the scalar column tail, writes 4 outputs. */
    private static void store(FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3,
                              float[] w, int w0, int cols, float[] x, int xOff, int from, float[] y, int yOff) {
        float s0 = a0.reduceLanes(VectorOperators.ADD);
        float s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD);
        float s3 = a3.reduceLanes(VectorOperators.ADD);
        for (int c = from; c < cols; c++) {
            float xc = x[xOff + c];
            s0 += w[w0 + c] * xc;
            s1 += w[w0 + cols + c] * xc;
            s2 += w[w0 + 2 * cols + c] * xc;
            s3 += w[w0 + 3 * cols + c] * xc;
        }
        y[yOff] = s0;
        y[yOff + 1] = s1;
        y[yOff + 2] = s2;
        y[yOff + 3] = s3;
    }
}
