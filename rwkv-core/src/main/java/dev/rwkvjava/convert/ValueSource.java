package dev.rwkvjava.convert;

import dev.rwkvjava.model.naming.Layout;
import dev.rwkvjava.tensor.DType;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;

/**
 * Where the values of a tensor to write come from, as a small expression over the input file's stored bytes: a
 * stored range, its transpose, a reshape, an inverse value form, a stack of parts. Nothing is read until the values
 * are streamed ({@link ValueStream}); a transpose of a transpose cancels, so a low-rank factor that both files keep
 * transposed is copied, not transposed twice.
 */
sealed interface ValueSource {

    /** The shape of the values, row-major. */
    long[] shape();

    /** Number of values. */
    default long count() {
        long n = 1;
        for (long d : shape()) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Values stored one after the other in {@code data}, of type {@code dtype}. */
    record Stored(MemorySegment data, DType dtype, long[] shape) implements ValueSource {
        public Stored {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }
    }

    /** The inner values with their last two dimensions swapped (batched over the others). */
    record Transposed(ValueSource inner) implements ValueSource {
        @Override
        public long[] shape() {
            return swapLastTwo(inner.shape());
        }
    }

    /** The inner values in the same order under another shape of the same size. */
    record Reshaped(ValueSource inner, long[] shape) implements ValueSource {
        public Reshaped {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }
    }

    /** The canonical values whose {@code form} the inner values hold (a stored −exp(w) gives w). */
    record Inverted(ValueSource inner, Layout.ValueForm form) implements ValueSource {
        @Override
        public long[] shape() {
            return inner.shape();
        }
    }

    /** The inner (canonical) values in the stored form some files keep instead (w as −exp(w), for example). */
    record Applied(ValueSource inner, Layout.ValueForm form) implements ValueSource {
        @Override
        public long[] shape() {
            return inner.shape();
        }
    }

    /** The inner values times a power of two (exact), for weights a converter stored divided by it. */
    record Scaled(ValueSource inner, float factor) implements ValueSource {
        @Override
        public long[] shape() {
            return inner.shape();
        }
    }

    /** The parts one after the other (each of the same size), under the given shape. */
    record Stacked(List<ValueSource> parts, long[] shape) implements ValueSource {
        public Stacked {
            parts = List.copyOf(parts);
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }
    }

    /** The transpose of {@code s}: the stored tensor itself when {@code s} is already a transpose of it. */
    static ValueSource transpose(ValueSource s) {
        if (s instanceof Transposed t) {
            return t.inner();
        }
        if (s.shape().length < 2) {
            throw new IllegalArgumentException("cannot transpose a tensor of shape " + Arrays.toString(s.shape()));
        }
        return new Transposed(s);
    }

    /**
     * {@code s} in the stored form {@code form}: the stored values themselves when {@code s} was read from that form
     * (so an rwkv.cpp decay is copied, not inverted and applied again).
     */
    static ValueSource applied(ValueSource s, Layout.ValueForm form) {
        ValueSource x = s instanceof Reshaped r ? r.inner() : s;
        if (x instanceof Inverted inv && inv.form() == form) {
            return reshape(inv.inner(), s.shape());
        }
        return new Applied(s, form);
    }

    /** {@code s} under another shape of the same size. */
    static ValueSource reshape(ValueSource s, long[] shape) {
        if (Arrays.equals(s.shape(), shape)) {
            return s;
        }
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        if (n != s.count()) {
            throw new IllegalArgumentException("cannot reshape " + Arrays.toString(s.shape()) + " to "
                    + Arrays.toString(shape));
        }
        return s instanceof Reshaped r ? reshape(r.inner(), shape) : new Reshaped(s, shape);
    }

    /** The stored range the values are, byte for byte, when they are one (else null). */
    static Stored storedBytes(ValueSource s) {
        ValueSource x = s instanceof Reshaped r ? r.inner() : s;
        return x instanceof Stored st ? st : null;
    }

    private static long[] swapLastTwo(long[] s) {
        long[] o = s.clone();
        if (o.length >= 2) {
            o[o.length - 1] = s[s.length - 2];
            o[o.length - 2] = s[s.length - 1];
        }
        return o;
    }
}
