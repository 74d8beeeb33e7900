package dev.rwkvjava.kernel;

import dev.rwkvjava.tensor.Matrix;

/**
 * Argument checks shared by the kernel implementations. Kernels check ranges once per call, before their loops,
 * so that a bad offset fails with a message that names the argument instead of somewhere inside a vector load.
 */
public final class KernelChecks {
    private KernelChecks() {
    }

    /** Rows [rowStart, rowEnd) must lie inside w. */
    public static void rows(Matrix w, int rowStart, int rowEnd) {
        if (rowStart < 0 || rowEnd > w.rows() || rowStart > rowEnd) {
            throw new IndexOutOfBoundsException("rows [" + rowStart + ", " + rowEnd + ") outside " + w.name()
                    + " with " + w.rows() + " rows");
        }
    }

    /** a[off .. off + len) must lie inside a. */
    public static void range(float[] a, long off, int len, String what) {
        if (off < 0 || len < 0 || off + len > a.length) {
            throw new IndexOutOfBoundsException(what + ": range [" + off + ", " + (off + len) + ") outside array of "
                    + a.length);
        }
    }

    /** The checks of {@link Kernels#matVec}. */
    public static void matVec(Matrix w, float[] x, int xOff, float[] y, int yOff, int rowStart, int rowEnd) {
        rows(w, rowStart, rowEnd);
        range(x, xOff, w.cols(), "x");
        range(y, (long) yOff + rowStart, rowEnd - rowStart, "y");
    }

    /** The checks of {@link Kernels#matMat}, when n > 0. */
    public static void matMat(Matrix w, float[] x, int xOff, int xStride, int n,
                              float[] y, int yOff, int yStride, int rowStart, int rowEnd, float[] scratch) {
        rows(w, rowStart, rowEnd);
        int cols = w.cols();
        if (xStride < 0 || yStride < 0) {
            throw new IllegalArgumentException("negative stride: x " + xStride + ", y " + yStride);
        }
        range(x, xOff, cols, "x");
        range(x, xOff + (long) (n - 1) * xStride, cols, "x");
        range(y, (long) yOff + rowStart, rowEnd - rowStart, "y");
        range(y, yOff + (long) (n - 1) * yStride + rowStart, rowEnd - rowStart, "y");
        if (scratch.length < cols) {
            throw new IllegalArgumentException("scratch too small: " + scratch.length + " < " + cols);
        }
    }
}
