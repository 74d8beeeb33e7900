package dev.rwkvjava.convert;

import dev.rwkvjava.tensor.WeightType;

import java.util.Arrays;

/**
 * The values of a {@link ValueSource} in row-major order, a buffer at a time, so that no tensor needs to be in the
 * heap whole: stored values are decoded a slice at a time. The one exception is a transpose of something other
 * than stored values, which is computed whole; only small tensors (low-rank factors) ever need that, and it is
 * bounded by {@link #MAX_MATERIALIZED}.
 */
abstract class ValueStream {
    /** Most values a transpose computes in memory at once (64 MiB of floats). */
    static final long MAX_MATERIALIZED = 16L << 20;
    /** Values decoded per step: a multiple of every block size. */
    static final int SLICE = 1 << 16;

    /** Writes the next {@code n} values into {@code buf[off, off + n)}. */
    abstract void read(float[] buf, int off, int n);

    /** A stream over the values of {@code s}, from the first. */
    static ValueStream of(ValueSource s) {
        return switch (s) {
            case ValueSource.Stored st -> new StoredStream(st);
            case ValueSource.Reshaped r -> of(r.inner());
            case ValueSource.Inverted inv -> new ValueStream() {
                private final ValueStream inner = of(inv.inner());

                @Override
                void read(float[] buf, int off, int n) {
                    inner.read(buf, off, n);
                    for (int i = off; i < off + n; i++) {
                        buf[i] = (float) inv.form().invert(buf[i]);
                    }
                }
            };
            case ValueSource.Applied ap -> new ValueStream() {
                private final ValueStream inner = of(ap.inner());

                @Override
                void read(float[] buf, int off, int n) {
                    inner.read(buf, off, n);
                    for (int i = off; i < off + n; i++) {
                        buf[i] = (float) apply(ap.form(), buf[i]);
                    }
                }
            };
            case ValueSource.Scaled sc -> new ValueStream() {
                private final ValueStream inner = of(sc.inner());

                @Override
                void read(float[] buf, int off, int n) {
                    inner.read(buf, off, n);
                    for (int i = off; i < off + n; i++) {
                        buf[i] *= sc.factor();
                    }
                }
            };
            case ValueSource.Stacked st -> new StackedStream(st);
            case ValueSource.Transposed t -> new TransposedStream(t);
        };
    }

    /** The stored form of a canonical value, computed in double precision. */
    static double apply(dev.rwkvjava.model.naming.Layout.ValueForm form, double v) {
        return switch (form) {
            case NEG_EXP -> -Math.exp(v);
            case EXP_NEG_EXP -> Math.exp(-Math.exp(v));
            case EXP -> Math.exp(v);
        };
    }

    /** Every value of a source (small ones only: see {@link #MAX_MATERIALIZED}). */
    static float[] all(ValueSource s) {
        long n = s.count();
        if (n > MAX_MATERIALIZED) {
            throw new IllegalStateException("tensor of shape " + Arrays.toString(s.shape())
                    + " is too large to hold in memory for a transpose");
        }
        float[] out = new float[(int) n];
        of(s).read(out, 0, out.length);
        return out;
    }

    /** Stored values, decoded a slice of whole blocks at a time. */
    private static final class StoredStream extends ValueStream {
        private final ValueSource.Stored s;
        private final WeightType type;
        private final long count;
        private final float[] slice;
        private long next;        // index of the first value not yet decoded
        private int sliceLen;     // values decoded into slice
        private int slicePos;     // values of slice already handed out

        StoredStream(ValueSource.Stored s) {
            this.s = s;
            this.type = WeightType.of(s.dtype());
            this.count = s.count();
            long bytes = s.dtype().byteSize(count);
            if (bytes < 0 || bytes != s.data().byteSize()) {
                throw new IllegalArgumentException(s.data().byteSize() + " bytes cannot hold " + count + " "
                        + s.dtype() + " values");
            }
            this.slice = new float[(int) Math.min(SLICE, count)];
        }

        @Override
        void read(float[] buf, int off, int n) {
            int done = 0;
            while (done < n) {
                if (slicePos == sliceLen) {
                    fill();
                }
                int k = Math.min(n - done, sliceLen - slicePos);
                System.arraycopy(slice, slicePos, buf, off + done, k);
                slicePos += k;
                done += k;
            }
        }

        private void fill() {
            if (next >= count) {
                throw new IllegalStateException("read past the end of the tensor");
            }
            int k = (int) Math.min(slice.length, count - next);
            long offset = next / type.blockElements() * type.blockBytes();
            type.decode(s.data(), offset, slice, 0, k);
            next += k;
            sliceLen = k;
            slicePos = 0;
        }
    }

    private static final class StackedStream extends ValueStream {
        private final ValueSource.Stacked s;
        private int part;
        private ValueStream current;
        private long leftInPart;

        StackedStream(ValueSource.Stacked s) {
            this.s = s;
        }

        @Override
        void read(float[] buf, int off, int n) {
            int done = 0;
            while (done < n) {
                if (current == null || leftInPart == 0) {
                    ValueSource p = s.parts().get(part++);
                    current = of(p);
                    leftInPart = p.count();
                    continue;
                }
                int k = (int) Math.min(n - done, leftInPart);
                current.read(buf, off + done, k);
                leftInPart -= k;
                done += k;
            }
        }
    }

    /**
     * A transpose, element by element: from stored values of a plain type directly (any size), otherwise from the
     * inner values computed whole (bounded).
     */
    private static final class TransposedStream extends ValueStream {
        private final long rows;      // of the result: the inner's columns
        private final long cols;      // of the result: the inner's rows
        private final ValueSource.Stored stored;
        private final WeightType type;
        private final float[] whole;
        private long pos;

        TransposedStream(ValueSource.Transposed t) {
            long[] inner = t.inner().shape();
            this.rows = inner[inner.length - 1];
            this.cols = inner[inner.length - 2];
            ValueSource.Stored st = ValueSource.storedBytes(t.inner());
            if (st != null && !st.dtype().isBlockType()) {
                this.stored = st;
                this.type = WeightType.of(st.dtype());
                this.whole = null;
            } else {
                this.stored = null;
                this.type = null;
                this.whole = all(t.inner());
            }
        }

        @Override
        void read(float[] buf, int off, int n) {
            long matrix = rows * cols;
            for (int i = off; i < off + n; i++, pos++) {
                long batch = pos / matrix;
                long within = pos - batch * matrix;
                long r = within / cols;
                long c = within - r * cols;
                long src = batch * matrix + c * rows + r;
                buf[i] = whole != null ? whole[(int) src] : type.get(stored.data(), src);
            }
        }
    }
}
