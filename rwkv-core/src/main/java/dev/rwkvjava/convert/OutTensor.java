package dev.rwkvjava.convert;

import dev.rwkvjava.tensor.DType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One tensor of the file being written: its name and shape in the output's naming, the type it is stored in, and
 * where its values come from.
 */
record OutTensor(String name, long[] shape, DType dtype, ValueSource source) {

    public OutTensor {
        shape = shape.clone();
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        if (n != source.count()) {
            throw new IllegalArgumentException(name + ": shape " + Arrays.toString(shape) + " for "
                    + source.count() + " values");
        }
        if (dtype.byteSize(n) < 0) {
            throw new IllegalArgumentException(name + ": " + n + " values are not whole " + dtype + " blocks");
        }
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    long count() {
        return source.count();
    }

    long bytes() {
        return dtype.byteSize(count());
    }

    /** Whether the output bytes are the input's bytes (same type, same order): copied, never decoded. */
    boolean copiesBytes() {
        ValueSource.Stored st = ValueSource.storedBytes(source);
        return st != null && st.dtype() == dtype;
    }

    /**
     * Whether the written values are exactly the values the input file holds (copied, widened to F32, or rounded
     * to the type they already are in); false when rounding to a narrower type or quantizing changes them.
     */
    boolean exact() {
        if (copiesBytes()) {
            return true;
        }
        if (computesForms(source)) {
            return false;
        }
        if (dtype == DType.F32) {
            return true;
        }
        for (DType t : storedTypes(source)) {
            if (t != dtype) {
                return false;
            }
        }
        return true;
    }

    /** Whether the values are computed into a stored form (rounded anew, so not exactly the input's). */
    static boolean computesForms(ValueSource s) {
        return switch (s) {
            case ValueSource.Stored st -> false;
            case ValueSource.Reshaped r -> computesForms(r.inner());
            case ValueSource.Transposed t -> computesForms(t.inner());
            case ValueSource.Inverted inv -> computesForms(inv.inner());
            case ValueSource.Scaled sc -> computesForms(sc.inner()); // a power of two: exact
            case ValueSource.Applied ap -> true;
            case ValueSource.Stacked st -> st.parts().stream().anyMatch(OutTensor::computesForms);
        };
    }

    /** The stored types the values are read from. */
    static List<DType> storedTypes(ValueSource s) {
        List<DType> out = new ArrayList<>();
        collect(s, out);
        return out;
    }

    private static void collect(ValueSource s, List<DType> out) {
        switch (s) {
            case ValueSource.Stored st -> out.add(st.dtype());
            case ValueSource.Reshaped r -> collect(r.inner(), out);
            case ValueSource.Transposed t -> collect(t.inner(), out);
            case ValueSource.Inverted inv -> out.add(DType.F32); // computed values: only F32 holds them as computed
            case ValueSource.Scaled sc -> collect(sc.inner(), out); // a power of two: the same type holds them
            case ValueSource.Applied ap -> out.add(DType.F32);
            case ValueSource.Stacked st -> st.parts().forEach(p -> collect(p, out));
        }
    }

    /**
     * The type that keeps a tensor's values as they are: the stored type when the bytes can be copied, or when every
     * value comes from one plain float type; F32 otherwise (computed values, a block type that must be reordered).
     */
    static DType keptType(ValueSource s) {
        ValueSource.Stored st = ValueSource.storedBytes(s);
        if (st != null) {
            return st.dtype();
        }
        List<DType> types = storedTypes(s);
        DType first = types.get(0);
        boolean uniform = types.stream().allMatch(t -> t == first);
        return uniform && !first.isBlockType() ? first : DType.F32;
    }
}
