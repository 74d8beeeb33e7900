package dev.rwkvjava.kernel.panama;

import dev.rwkvjava.tensor.BlockType;
import dev.rwkvjava.tensor.Matrix;

import java.lang.foreign.MemorySegment;

/** A block type's kernels by its scalar code: each row decoded into floats, then a vector dot product. */
final class DecodedBlocks extends WeightVectors {
    private static final ThreadLocal<float[][]> ROW = ThreadLocal.withInitial(() -> new float[1][0]);
    private final BlockType type;

    DecodedBlocks(BlockType type) {
        this.type = type;
    }

    @Override
    void matVec(Matrix w, float[] x, int xOff, float[] y, int yOff, int rowStart, int rowEnd) {
        int cols = w.cols();
        float[] row = MatVec.grown(ROW.get(), cols);
        for (int r = rowStart; r < rowEnd; r++) {
            type.decode(w.data(), w.rowOffset(r), row, 0, cols);
            y[yOff + r] = Elementwise.dot(row, 0, x, xOff, cols);
        }
    }

    @Override
    void toFloats(MemorySegment data, long offset, float[] out, int outOff, int n) {
        type.decode(data, offset, out, outOff, n);
    }
}
