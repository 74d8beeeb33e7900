package dev.rwkvjava.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A read-only row-major weight matrix [rows, cols] stored in place (usually a slice of a memory-mapped file).
 * Row r starts at byte {@code r * cols * dtype.bytes()} of {@code data}.
 */
public record Matrix(String name, MemorySegment data, DType dtype, int rows, int cols) {
    public Matrix {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(dtype, "dtype");
        if (!dtype.isWeightType()) {
            throw new IllegalArgumentException("tensor " + name + ": dtype " + dtype + " cannot be used as weights (F32, F16 or BF16 expected)");
        }
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("tensor " + name + ": bad matrix shape [" + rows + ", " + cols + "]");
        }
        if (data.byteSize() != (long) rows * cols * dtype.bytes()) {
            throw new IllegalArgumentException("tensor " + name + ": " + data.byteSize() + " bytes for shape ["
                    + rows + ", " + cols + "] of " + dtype);
        }
    }

    /**
     * A float32 matrix copied from {@code rowMajor} [rows, cols], for small tensors rearranged at load (such as
     * transposed low-rank factors). The copy lives off-heap (released by the garbage collector), like the mapped
     * weights: a heap segment reaching the same kernel code would make its memory accesses polymorphic, which
     * made token mode several times slower.
     */
    public static Matrix ofFloats(String name, float[] rowMajor, int rows, int cols) {
        if (rowMajor.length != (long) rows * cols) {
            throw new IllegalArgumentException("tensor " + name + ": " + rowMajor.length + " values for shape ["
                    + rows + ", " + cols + "]");
        }
        MemorySegment data = Arena.ofAuto().allocate(4L * rowMajor.length, 64);
        for (int i = 0; i < rowMajor.length; i++) {
            data.setAtIndex(WeightReader.F32, i, rowMajor[i]);
        }
        return new Matrix(name, data, DType.F32, rows, cols);
    }

    /** Byte offset of row r. */
    public long rowOffset(int r) {
        return (long) r * cols * dtype.bytes();
    }

    /** Number of bytes a full product reads. */
    public long byteSize() {
        return data.byteSize();
    }

    /** Reads one element as float. Slow: for loading small tensors and for tests. */
    public float get(int r, int c) {
        return WeightReader.get(data, dtype, (long) r * cols + c);
    }

    /** Converts row r to floats into {@code out[off .. off+cols)}. */
    public void row(int r, float[] out, int off) {
        long base = (long) r * cols;
        for (int c = 0; c < cols; c++) {
            out[off + c] = WeightReader.get(data, dtype, base + c);
        }
    }
}
