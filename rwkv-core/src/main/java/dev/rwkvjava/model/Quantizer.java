package dev.rwkvjava.model;

import dev.rwkvjava.kernel.WorkerPool;
import dev.rwkvjava.tensor.Matrix;
import dev.rwkvjava.tensor.WeightType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Converts weight matrices to another {@link WeightType} into one new off-heap buffer each, the rows shared out
 * among the worker threads. Each row is encoded on its own, from its own values only, so the bytes do not depend
 * on how many threads there are or which one encoded it. Besides the new buffer a conversion needs one row of
 * floats per thread (or, for a matrix computed at load, that matrix's floats).
 */
final class Quantizer {
    /** Below this many values a matrix is converted on the calling thread: waking the workers costs more. */
    private static final long PARALLEL_MIN_VALUES = 1 << 15;

    /** Writes row r's values into out[0, cols). */
    @FunctionalInterface
    private interface Rows {
        void row(int r, float[] out);
    }

    private Quantizer() {
    }

    /**
     * {@code src} converted to {@code to}, from its decoded (exact) values. A source in a mapped file is unloaded
     * from the process's memory afterwards (its pages stay in the system's file cache): the model then holds the
     * converted bytes only.
     */
    static Matrix convert(Matrix src, WeightType to, WorkerPool pool) {
        Matrix m = convert(src.name(), src.rows(), src.cols(), (r, out) -> src.row(r, out, 0), to, pool);
        if (src.data().isMapped()) {
            src.data().unload();
        }
        return m;
    }

    /** The row-major [rows, cols] floats converted to {@code to}. */
    static Matrix convert(String name, float[] rowMajor, int rows, int cols, WeightType to, WorkerPool pool) {
        if (rowMajor.length != (long) rows * cols) {
            throw new IllegalArgumentException("tensor " + name + ": " + rowMajor.length + " values for shape ["
                    + rows + ", " + cols + "]");
        }
        return convert(name, rows, cols, (r, out) -> System.arraycopy(rowMajor, r * cols, out, 0, cols), to, pool);
    }

    private static Matrix convert(String name, int rows, int cols, Rows source, WeightType to, WorkerPool pool) {
        long rowBytes = to.rowBytes(cols);
        // Off-heap like the mapped weights, so the kernels see one kind of memory (see Matrix.ofFloats).
        MemorySegment data = Arena.ofAuto().allocate(Math.multiplyExact(rowBytes, (long) rows), 64);
        WorkerPool.Task task = (worker, workers) -> {
            int from = WorkerPool.splitStart(rows, worker, workers);
            int end = WorkerPool.splitStart(rows, worker + 1, workers);
            float[] row = new float[cols];
            for (int r = from; r < end; r++) {
                source.row(r, row);
                to.encode(row, 0, cols, data, r * rowBytes);
            }
        };
        if (pool == null || (long) rows * cols < PARALLEL_MIN_VALUES) {
            task.run(0, 1);
        } else {
            pool.run(task);
        }
        return new Matrix(name, data, to.dtype(), rows, cols);
    }
}
