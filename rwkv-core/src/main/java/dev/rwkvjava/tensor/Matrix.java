package dev.rwkvjava.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A read-only row-major weight matrix [rows, cols] stored in place (usually a slice of a memory-mapped file).
 * Row r starts at byte {@code r * cols * dtype.bytes()} of {@code data}. The data must not change while the
 * matrix is in use: facts about it are computed once and kept (see {@link #zeroExponentHalves()}).
 */
public final class Matrix {
    private final String name;
    private final MemorySegment data;
    private final DType dtype;
    private final int rows;
    private final int cols;
    /** What the F16 scan found, once it has run; a race only repeats the scan (the object is immutable). */
    private F16Facts f16Facts;

    public Matrix(String name, MemorySegment data, DType dtype, int rows, int cols) {
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
        this.name = name;
        this.data = data;
        this.dtype = dtype;
        this.rows = rows;
        this.cols = cols;
    }

    public String name() {
        return name;
    }

    public MemorySegment data() {
        return data;
    }

    public DType dtype() {
        return dtype;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /**
     * Whether this F16 matrix holds an infinite or NaN value (always false for other types). The first call scans
     * the data; later calls return the kept answer. Kernels that decode halves with a shortcut which is only
     * right for finite values ask this to choose the exact decoding instead.
     */
    public boolean hasNonFiniteHalves() {
        return dtype == DType.F16 && f16Facts().nonFinite;
    }

    /**
     * Where this F16 matrix holds halves whose exponent field is zero (zeros and subnormals), or null when they
     * are more than one in {@value F16Facts#LISTED_FRACTION} (and more than {@value F16Facts#MIN_LISTED}).
     * Kernels whose fast decoding is only right for the other halves correct these few afterwards. Computed by
     * the same one-time scan as {@link #hasNonFiniteHalves()}.
     *
     * @throws IllegalStateException if this is not an F16 matrix
     */
    public SparseHalves zeroExponentHalves() {
        if (dtype != DType.F16) {
            throw new IllegalStateException("tensor " + name + " is " + dtype + ", not F16");
        }
        return f16Facts().zeroExponent;
    }

    private F16Facts f16Facts() {
        F16Facts facts = f16Facts;
        if (facts == null) {
            facts = F16Facts.scan(data, rows, cols);
            f16Facts = facts;
        }
        return facts;
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

    @Override
    public String toString() {
        return "Matrix[" + name + ", " + dtype + " " + rows + "x" + cols + "]";
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
