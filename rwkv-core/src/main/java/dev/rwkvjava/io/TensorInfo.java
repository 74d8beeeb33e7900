package dev.rwkvjava.io;

import dev.rwkvjava.tensor.DType;

import java.util.Arrays;

/** One tensor of a file: name, element type, shape and byte range within the file's data area. */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {

    public TensorInfo {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int i) {
        return shape[i];
    }

    /** Number of elements (1 for a scalar). */
    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    public long byteSize() {
        return end - begin;
    }

    /** Shape as text, e.g. "[768, 3072]". */
    public String shapeString() {
        return Arrays.toString(shape);
    }

    /** Whether the shape equals the given dims exactly. */
    public boolean hasShape(long... dims) {
        return Arrays.equals(shape, dims);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && begin == t.begin && end == t.end;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype + shapeString();
    }
}
