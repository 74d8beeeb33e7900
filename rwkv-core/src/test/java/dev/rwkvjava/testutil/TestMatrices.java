package dev.rwkvjava.testutil;

import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.Matrix;
import dev.rwkvjava.tensor.WeightReader;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.DoubleSupplier;

/** Weight matrices for kernel tests, filled in row-major order from a source of values. */
public final class TestMatrices {
    private TestMatrices() {
    }

    /** A rows × cols matrix of dtype in {@code arena}, each weight the next value (rounded to the type). */
    public static Matrix of(Arena arena, DType dtype, int rows, int cols, DoubleSupplier values) {
        MemorySegment seg = arena.allocate((long) rows * cols * dtype.bytes(), 64);
        for (long i = 0; i < (long) rows * cols; i++) {
            float v = (float) values.getAsDouble();
            switch (dtype) {
                case F32 -> seg.set(WeightReader.F32, 4 * i, v);
                case F16 -> seg.set(WeightReader.I16, 2 * i, Float.floatToFloat16(v));
                case BF16 -> seg.set(WeightReader.I16, 2 * i, WeightReader.floatToBf16(v));
                default -> throw new IllegalArgumentException(dtype.toString());
            }
        }
        return new Matrix("w" + rows + "x" + cols + dtype, seg, dtype, rows, cols);
    }
}
