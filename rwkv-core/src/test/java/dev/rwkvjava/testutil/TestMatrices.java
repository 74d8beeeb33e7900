package dev.rwkvjava.testutil;

import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.Matrix;
import dev.rwkvjava.tensor.WeightType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.DoubleSupplier;

/** Weight matrices for kernel tests, filled in row-major order from a source of values. */
public final class TestMatrices {
    private TestMatrices() {
    }

    /**
     * A rows × cols matrix of dtype in {@code arena}, each weight the next value (rounded to the type, or quantized
     * for the block types, row by row).
     */
    public static Matrix of(Arena arena, DType dtype, int rows, int cols, DoubleSupplier values) {
        WeightType type = WeightType.of(dtype);
        long rowBytes = type.rowBytes(cols);
        MemorySegment seg = arena.allocate(rows * rowBytes, 64);
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                row[c] = (float) values.getAsDouble();
            }
            type.encode(row, 0, cols, seg, r * rowBytes);
        }
        return new Matrix("w" + rows + "x" + cols + dtype, seg, dtype, rows, cols);
    }
}
