package dev.rwkvjava.tensor;

import java.util.Arrays;

/**
 * Some of the halves of a 16-bit matrix, row by row with columns in increasing order: entries
 * {@code start(r) .. end(r) - 1} are row r's, entry i is at column {@code col(i)} and holds {@code bits(i)}. The
 * bits are kept so that a kernel can use them without reading the matrix again. Immutable.
 */
public final class SparseHalves {
    private final int[] rowStarts;
    private final int[] cols;
    private final short[] bits;

    private SparseHalves(int[] rowStarts, int[] cols, short[] bits) {
        this.rowStarts = rowStarts;
        this.cols = cols;
        this.bits = bits;
    }

    /** First entry of row r. */
    public int start(int r) {
        return rowStarts[r];
    }

    /** One past the last entry of row r. */
    public int end(int r) {
        return rowStarts[r + 1];
    }

    /** Column of entry i. */
    public int col(int i) {
        return cols[i];
    }

    /** The half at entry i. */
    public short bits(int i) {
        return bits[i];
    }

    /** Number of entries. */
    public int count() {
        return rowStarts[rowStarts.length - 1];
    }

    /** Collects entries row by row: {@link #add} a row's entries in column order, then {@link #endRow}. */
    static final class Builder {
        private final int[] rowStarts;
        private int[] cols = new int[64];
        private short[] bits = new short[64];
        private int count;
        private int row;

        Builder(int rows) {
            rowStarts = new int[rows + 1];
        }

        void add(int col, short half) {
            if (count == cols.length) {
                cols = Arrays.copyOf(cols, 2 * count);
                bits = Arrays.copyOf(bits, 2 * count);
            }
            cols[count] = col;
            bits[count] = half;
            count++;
        }

        int count() {
            return count;
        }

        void endRow() {
            rowStarts[++row] = count;
        }

        SparseHalves build() {
            if (row != rowStarts.length - 1) {
                throw new IllegalStateException("ended " + row + " of " + (rowStarts.length - 1) + " rows");
            }
            return new SparseHalves(rowStarts, Arrays.copyOf(cols, count), Arrays.copyOf(bits, count));
        }
    }
}
