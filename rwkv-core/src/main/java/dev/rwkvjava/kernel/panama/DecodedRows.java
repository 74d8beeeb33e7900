package dev.rwkvjava.kernel.panama;

import dev.rwkvjava.tensor.Matrix;

/**
 * Kernels of a type whose matrix × vector decodes each row into floats (with the type's {@link #toFloats}), then
 * takes a vector dot product with x: two passes, the second over a row that is still in the L1 cache.
 */
abstract class DecodedRows extends WeightVectors {
    private static final ThreadLocal<float[][]> ROW = ThreadLocal.withInitial(() -> new float[1][0]);

    @Override
    final void matVec(Matrix w, float[] x, int xOff, float[] y, int yOff, int rowStart, int rowEnd) {
        int cols = w.cols();
        float[] row = MatVec.grown(ROW.get(), cols);
        for (int r = rowStart; r < rowEnd; r++) {
            toFloats(w.data(), w.rowOffset(r), row, 0, cols);
            y[yOff + r] = Elementwise.dot(row, 0, x, xOff, cols);
        }
    }
}
