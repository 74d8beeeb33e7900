package dev.rwkvjava.model.naming;

import dev.rwkvjava.io.TensorInfo;

import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor under its BlinkDL name and shape, and where the file keeps it.
 *
 * @param name   the BlinkDL name, e.g. {@code blocks.3.att.key.weight}
 * @param shape  the BlinkDL shape
 * @param stored the file's tensor that holds it
 * @param layout how the file's tensor holds it
 */
public record CanonicalTensor(String name, long[] shape, TensorInfo stored, Layout layout) {

    public CanonicalTensor {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(stored, "stored");
        Objects.requireNonNull(layout, "layout");
        shape = shape.clone();
    }

    /** A tensor the file holds as is, under another name perhaps. */
    public static CanonicalTensor same(String name, TensorInfo stored) {
        return new CanonicalTensor(name, stored.shape(), stored, Layout.SAME);
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

    public boolean hasShape(long... dims) {
        return Arrays.equals(shape, dims);
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }

    /** Whether the canonical tensor is the stored one, byte for byte (so it can be used in place). */
    public boolean inPlace() {
        return layout instanceof Layout.Same;
    }

    /** The name in the file, and the canonical name when it differs (for messages). */
    public String describe() {
        return stored.name().equals(name) ? name : stored.name() + " (" + name + ")";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CanonicalTensor t && name.equals(t.name) && Arrays.equals(shape, t.shape)
                && stored.equals(t.stored) && layout.equals(t.layout);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + shapeString() + (inPlace() && stored.name().equals(name) ? "" : " <- " + stored + " " + layout);
    }
}
