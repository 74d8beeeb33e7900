package dev.rwkvjava.model;

import dev.rwkvjava.kernel.Kernels;
import dev.rwkvjava.kernel.WorkerPool;
import dev.rwkvjava.tensor.Matrix;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A batch of weight products run together on the worker pool: the rows of every matrix are cut into blocks that
 * the workers take in turn, so independent products (say R, K and V) cost one hand-off instead of three. Reused
 * for every call; {@link #run} allocates nothing. A row's result does not depend on the block it falls in, nor on
 * the worker that computes it.
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
    /** Row blocks of job j are blocks {@code firstBlock[j] .. firstBlock[j + 1] - 1} of the batch. */
    private final int[] firstBlock = new int[MAX_JOBS + 1];
    private final int[] blockRows = new int[MAX_JOBS];
    private final AtomicInteger nextBlock = new AtomicInteger();
    private int jobs;
    private int n;
    private long elapsedNanos;

    public Projections(Kernels kernels, WorkerPool pool, int maxCols) {
        this.kernels = kernels;
        this.pool = pool;
        this.scratch = new float[pool.threads()][kernels.matMatScratchSize(maxCols)];
    }

    /** The pool the products run on. */
    public WorkerPool pool() {
        return pool;
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
                runAll();
            } else {
                planBlocks(pool.threads());
                nextBlock.set(0);
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

    /**
     * Cuts each job into row blocks of at least {@link #MIN_BLOCK_BYTES} of weights, at least one per worker and at
     * most a few per worker. Workers take blocks in turn as they finish: a worker that runs slower (its core shared
     * with another process, say) takes fewer, where an even split would make the others wait.
     *
     * <p>A decode product (one row of activations) is bound by memory bandwidth and streams each block as two
     * sequential runs of rows, which get slower the shorter they are, so it takes {@link #DECODE_BLOCKS_PER_WORKER}
     * blocks a worker at most (more, shorter runs decode more slowly). Prefill is bound by arithmetic and takes up
     * to {@link #PREFILL_BLOCKS_PER_WORKER}.
     */
    private void planBlocks(int workers) {
        firstBlock[0] = 0;
        for (int j = 0; j < jobs; j++) {
            Matrix m = w[j];
            long bytes = m.byteSize() * Math.max(1, n / 8);
            int perWorker = n == 1 ? DECODE_BLOCKS_PER_WORKER : PREFILL_BLOCKS_PER_WORKER;
            int blocks = (int) Math.max(workers, Math.min((long) perWorker * workers, bytes / MIN_BLOCK_BYTES));
            // Whole groups of 4 rows, as matMat tiles them, so that only a matrix's last block ends in a partial
            // group: its leftover rows take another summation order and another code path, which the JIT would
            // otherwise meet in every block.
            blockRows[j] = ((m.rows() + blocks - 1) / blocks + 3) & ~3;
            firstBlock[j + 1] = firstBlock[j] + (m.rows() + blockRows[j] - 1) / blockRows[j];
        }
    }

    private static final long MIN_BLOCK_BYTES = 128 * 1024;
    private static final int DECODE_BLOCKS_PER_WORKER = 2;
    private static final int PREFILL_BLOCKS_PER_WORKER = 8;

    @Override
    public void run(int worker, int workers) {
        int total = firstBlock[jobs];
        int j = 0;
        for (int b = nextBlock.getAndIncrement(); b < total; b = nextBlock.getAndIncrement()) {
            while (b >= firstBlock[j + 1]) {
                j++;
            }
            int start = (b - firstBlock[j]) * blockRows[j];
            product(j, start, Math.min(w[j].rows(), start + blockRows[j]), worker);
        }
    }

    /** All jobs on the calling thread. */
    private void runAll() {
        for (int j = 0; j < jobs; j++) {
            product(j, 0, w[j].rows(), 0);
        }
    }

    private void product(int j, int start, int end, int worker) {
        Matrix m = w[j];
        if (n == 1) {
            kernels.matVec(m, x[j], xOff[j], y[j], yOff[j], start, end);
        } else {
            kernels.matMat(m, x[j], xOff[j], m.cols(), n, y[j], yOff[j], yStride[j], start, end, scratch[worker]);
        }
    }
}
