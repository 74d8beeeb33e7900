package dev.rwkvjava.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A read-only row-major weight matrix [rows, cols] stored in place (usually a slice of a memory-mapped file), of any
 * {@link WeightType}. Row r starts at byte {@code r * rowBytes()} of {@code data}; for the block types a row is a
 * whole number of blocks. The data must not change while the matrix is in use: facts about it that a type's
 * kernels need are computed once and kept (see {@link F16Type#zeroExponentHalves}).
 */
public final class Matrix {
    private final String name;
    private final MemorySegment data;
    private final WeightType type;
    private final int rows;
    private final int cols;
    private final long rowBytes;
    /** What the type's scan found, once it has run; a race only repeats the scan (the object is immutable). */
    private Object facts;

    public Matrix(String name, MemorySegment data, DType dtype, int rows, int cols) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(dtype, "dtype");
        if (!WeightType.exists(dtype)) {
            throw new IllegalArgumentException("tensor " + name + ": dtype " + dtype + " cannot be used as weights");
        }
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("tensor " + name + ": bad matrix shape [" + rows + ", " + cols + "]");
        }
        this.type = WeightType.of(dtype);
        if (cols % type.blockElements() != 0) {
            throw new IllegalArgumentException("tensor " + name + ": rows of " + cols + " values are not whole "
                    + dtype + " blocks of " + type.blockElements());
        }
        this.rowBytes = type.rowBytes(cols);
        if (data.byteSize() != rows * rowBytes) {
            throw new IllegalArgumentException("tensor " + name + ": " + data.byteSize() + " bytes for shape ["
                    + rows + ", " + cols + "] of " + dtype);
        }
        this.name = name;
        this.data = data;
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
        return type.dtype();
    }

    /** How the weights are stored and decoded. */
    public WeightType type() {
        return type;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** Bytes per row. */
    public long rowBytes() {
        return rowBytes;
    }

    /** What {@link WeightType#scan} found in this matrix; the first call runs the scan, later ones return its answer. */
    Object facts() {
        Object f = facts;
        if (f == null) {
            f = type.scan(data, rows, cols);
            facts = f;
        }
        return f;
    }

    /**
     * A float32 matrix copied from {@code rowMajor} [rows, cols], for small tensors rearranged at load (such as
     * transposed low-rank factors). The copy lives off-heap (released by the garbage collector), like the mapped
     * weights: a heap segment reaching the same kernel code would make its memory accesses polymorphic, which
     * made token mode several times slower.
     */
    public static Matrix ofFloats(String name, float[] rowMajor, int rows, int cols) {
        return of(name, WeightType.of(DType.F32), rowMajor, rows, cols);
    }

    /**
     * A matrix of the given type encoded from {@code rowMajor} [rows, cols] (rounded, or quantized for the block
     * types: see {@link WeightType#encode}), off-heap as {@link #ofFloats} explains.
     *
     * @throws IllegalArgumentException if the values do not fill the shape, or cols is not a whole number of blocks
     */
    public static Matrix of(String name, WeightType type, float[] rowMajor, int rows, int cols) {
        if (rows <= 0 || cols <= 0 || rowMajor.length != (long) rows * cols) {
            throw new IllegalArgumentException("tensor " + name + ": " + rowMajor.length + " values for shape ["
                    + rows + ", " + cols + "]");
        }
        long rowBytes = type.rowBytes(cols);
        MemorySegment data = Arena.ofAuto().allocate(Math.multiplyExact(rowBytes, (long) rows), 64);
        for (int r = 0; r < rows; r++) {
            type.encode(rowMajor, r * cols, cols, data, r * rowBytes);
        }
        return new Matrix(name, data, type.dtype(), rows, cols);
    }

    /** Byte offset of row r. */
    public long rowOffset(int r) {
        return r * rowBytes;
    }

    /** Number of bytes a full product reads. */
    public long byteSize() {
        return data.byteSize();
    }

    @Override
    public String toString() {
        return "Matrix[" + name + ", " + type + " " + rows + "x" + cols + "]";
    }

    /** Reads one element as float. Slow: for loading small tensors and for tests. */
    public float get(int r, int c) {
        return type.get(data, (long) r * cols + c);
    }

    /** Converts row r to floats into {@code out[off .. off+cols)}. */
    public void row(int r, float[] out, int off) {
        type.decode(data, rowOffset(r), out, off, cols);
    }
}
