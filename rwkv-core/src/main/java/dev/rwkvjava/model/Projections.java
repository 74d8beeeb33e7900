package dev.rwkvjava.model;

import dev.rwkvjava.kernel.Kernels;
import dev.rwkvjava.kernel.WorkerPool;
import dev.rwkvjava.tensor.Matrix;

/**
 * A batch of weight products run together on the worker pool: each worker takes its share of the rows of every
 * matrix, so independent products (say R, K and V) cost one hand-off instead of three. Reused for every call;
 * {@link #run} allocates nothing.
 *
 * <p>Activations are row-major: input row t of a product with W [rows, cols] is {@code x[t*cols ..]},
 * output row t is {@code y[t*rows ..]} (or the given strides).
 */
public final class Projections implements WorkerPool.Task {
    private static final int MAX_JOBS = 8;
    /**
     * Batches with fewer multiply-adds than this run on the calling thread alone: handing them to the pool costs
     * more than it saves (tiny models, low-rank products), and much more when the machine is busy.
     */
    static final long MIN_PARALLEL_WORK = 1L << 18;

    private final Kernels kernels;
    private final WorkerPool pool;
    private final float[][] scratch;
    private final Matrix[] w = new Matrix[MAX_JOBS];
    private final float[][] x = new float[MAX_JOBS][];
    private final float[][] y = new float[MAX_JOBS][];
    private final int[] xOff = new int[MAX_JOBS];
    private final int[] yOff = new int[MAX_JOBS];
    private final int[] yStride = new int[MAX_JOBS];
    private int jobs;
    private int n;
    private long elapsedNanos;

    public Projections(Kernels kernels, WorkerPool pool, int maxCols) {
        this.kernels = kernels;
        this.pool = pool;
        this.scratch = new float[pool.threads()][kernels.matMatScratchSize(maxCols)];
    }

    /** Queues y = W·x (row by row over the chunk). */
    public Projections add(Matrix weights, float[] in, float[] out) {
        return add(weights, in, 0, out, 0, weights.rows());
    }

    /** Queues y = W·x with input row t at {@code inOff + t*cols} and output row t at {@code outOff + t*outStride}. */
    public Projections add(Matrix weights, float[] in, int inOff, float[] out, int outOff, int outStride) {
        if (jobs == MAX_JOBS) {
            throw new IllegalStateException("too many products in one batch");
        }
        w[jobs] = weights;
        x[jobs] = in;
        xOff[jobs] = inOff;
        y[jobs] = out;
        yOff[jobs] = outOff;
        yStride[jobs] = outStride;
        jobs++;
        return this;
    }

    /** Runs the queued products for a chunk of n rows and clears the queue. */
    public void run(int rows) {
        this.n = rows;
        long start = System.nanoTime();
        try {
            long work = 0;
            for (int j = 0; j < jobs; j++) {
                work += (long) w[j].rows() * w[j].cols() * rows;
            }
            if (work < MIN_PARALLEL_WORK || pool.threads() == 1) {
                run(0, 1);
            } else {
                pool.run(this);
            }
        } finally {
            elapsedNanos += System.nanoTime() - start;
            for (int j = 0; j < jobs; j++) {
                w[j] = null;
                x[j] = null;
                y[j] = null;
            }
            jobs = 0;
        }
    }

    /** Wall time spent in {@link #run} so far: how much of a forward pass the matrix products take. */
    public long elapsedNanos() {
        return elapsedNanos;
    }

    @Override
    public void run(int worker, int workers) {
        for (int j = 0; j < jobs; j++) {
            Matrix m = w[j];
            int start = WorkerPool.splitStart(m.rows(), worker, workers);
            int end = WorkerPool.splitStart(m.rows(), worker + 1, workers);
            if (start == end) {
                continue;
            }
            if (n == 1) {
                kernels.matVec(m, x[j], xOff[j], y[j], yOff[j], start, end);
            } else {
                kernels.matMat(m, x[j], xOff[j], m.cols(), n, y[j], yOff[j], yStride[j], start, end, scratch[worker]);
            }
        }
    }
}
