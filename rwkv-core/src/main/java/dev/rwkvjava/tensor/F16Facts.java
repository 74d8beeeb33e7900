package dev.rwkvjava.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * What a scan of an F16 matrix finds that fast decodings need to know: whether it holds an infinity or NaN
 * (exponent field all ones), and where its halves with an exponent field of zero are (zeros and subnormals),
 * unless there are more of those than {@link #LISTED_FRACTION} allows.
 */
final class F16Facts {
    /** At most one half in this many is listed (but always {@link #MIN_LISTED}); past that, none is. */
    static final int LISTED_FRACTION = 16;
    static final int MIN_LISTED = 1024;

    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final long EXPONENTS = 0x7C00_7C00_7C00_7C00L;
    private static final long EXPONENT_UNITS = 0x0400_0400_0400_0400L;
    private static final long ONES = 0x0001_0001_0001_0001L;
    private static final long BIT15 = 0x8000_8000_8000_8000L;

    final boolean nonFinite;
    /** Null when there are too many to list. */
    final SparseHalves zeroExponent;

    private F16Facts(boolean nonFinite, SparseHalves zeroExponent) {
        this.nonFinite = nonFinite;
        this.zeroExponent = zeroExponent;
    }

    /**
     * Scans a row-major rows × cols F16 matrix, four halves per step where a row allows. Per 16-bit field e of
     * the exponent bits: e + 0x0400 carries into bit 15 only when e is all ones, and never into the next half;
     * e - 1 sets bit 15 only when e is zero (a borrow from a lower half that is zero can reach the next half, but
     * then that lower half is already found). Each row is copied into an array and tested there without branches,
     * which the JIT compiles to vector code; words are gone through one by one only in a row that has a
     * zero-exponent half, and then a block of 8 words at a time: several times faster than testing each word
     * straight from the mapping with a branch each.
     */
    static F16Facts scan(MemorySegment data, int rows, int cols) {
        long limit = Math.max(MIN_LISTED, (long) rows * cols / LISTED_FRACTION);
        SparseHalves.Builder listed = new SparseHalves.Builder(rows);
        boolean listing = true;
        long flags = 0;
        long rowBytes = 2L * cols;
        int words = cols / 4;
        long[] row = new long[words];
        long[] zero = new long[words];
        for (int r = 0; r < rows; r++) {
            long base = r * rowBytes;
            MemorySegment.copy(data, I64, base, row, 0, words);
            long any = 0;
            for (int k = 0; k < words; k++) {
                long e = row[k] & EXPONENTS;
                flags |= e + EXPONENT_UNITS;
                long z = (e - ONES) & ~e & BIT15;
                zero[k] = z;
                any |= z;
            }
            if (listing && any != 0) {
                for (int k0 = 0; k0 < words; k0 += 8) {
                    int end = Math.min(words, k0 + 8);
                    long some = 0;
                    for (int k = k0; k < end; k++) {
                        some |= zero[k];
                    }
                    for (int k = k0; some != 0 && k < end; k++) {
                        if (zero[k] != 0) {
                            list(listed, row[k], 4 * k);
                        }
                    }
                }
            }
            for (int c = 4 * words; c < cols; c++) {
                short half = data.get(WeightReader.I16, base + 2L * c);
                int e = half & 0x7C00;
                flags |= e + 0x0400;
                if (listing && e == 0) {
                    listed.add(c, half);
                }
            }
            if (listing) {
                listed.endRow();
                listing = listed.count() <= limit;
            }
        }
        return new F16Facts((flags & BIT15) != 0, listing ? listed.build() : null);
    }

    /** Lists the halves of {@code word} (columns col .. col + 3) whose exponent field is zero. */
    private static void list(SparseHalves.Builder listed, long word, int col) {
        for (int j = 0; j < 4; j++) {
            if (((word >>> (16 * j)) & 0x7C00) == 0) {
                listed.add(col + j, (short) (word >>> (16 * j)));
            }
        }
    }
}
