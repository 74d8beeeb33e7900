package dev.rwkvjava.kernel;

import dev.rwkvjava.tensor.Matrix;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A short run of a model's kernels in a background thread, started when the model has loaded, so that the JIT
 * compiles them before the first tokens need them. In a fresh JVM the Vector API code runs interpreted, a hundred
 * times slower than compiled, until C2 has compiled the kernel around it; C2 compiles when a method has been called
 * or looped often enough, which here happens on a few rows of the model's own matrices (their weight types, row
 * lengths and kind of memory, so that the profiles C2 compiles from are those of the real products) instead of on
 * the first prompt's full products.
 *
 * <p>The products are those a forward pass calls: matVec (one token), matMat with few and with many activation rows
 * (decode batches and prefill take different paths), readRow (the embedding), and the element-wise kernels every
 * version uses, all on the calling thread into private buffers whose values are thrown away. The model's results do
 * not depend on it: every kernel gives the same bits interpreted and compiled.
 *
 * <p>{@link dev.rwkvjava.RwkvModel} starts it when its options ask ({@code withWarmUp(true)},
 * {@code -Drwkv.warmup=true}). It is off by default: on two cores shared with other work, running the kernels
 * interpreted a second time beside the first prompt took processor time and compiler time from that prompt, and the
 * first token came later.
 */
public final class KernelWarmup implements AutoCloseable {
    /** Calls of each kernel: with the relaunch's compile thresholds (a twentieth of the usual) C2 compiles before. */
    static final int ROUNDS = 48;
    /** Weight rows per product: enough for the row loops' main bodies and tails, little work interpreted. */
    static final int ROWS = 4;
    /** Activation rows of the few-rows matMat (a short prompt) and of the many-rows one (a prefill chunk). */
    static final int FEW = 8;
    static final int MANY = 24;

    private static final System.Logger LOG = System.getLogger(KernelWarmup.class.getName());

    private final Thread thread;
    private volatile boolean stop;
    private volatile int roundsDone;

    private KernelWarmup(Kernels kernels, List<Matrix> matrices) {
        thread = Thread.ofPlatform().daemon().name("rwkv-kernel-warmup").unstarted(() -> run(kernels, matrices));
    }

    /**
     * Starts warming up {@code kernels} on the given matrices (one of each weight type and row length is used); the
     * matrices must stay readable until {@link #close()} returns.
     */
    public static KernelWarmup start(Kernels kernels, Collection<Matrix> matrices) {
        KernelWarmup w = new KernelWarmup(kernels, representatives(matrices));
        w.thread.start();
        return w;
    }

    /** The largest matrix of each (weight type, row length) pair, in first-seen order. */
    static List<Matrix> representatives(Collection<Matrix> matrices) {
        Map<String, Matrix> byShape = new LinkedHashMap<>();
        for (Matrix m : matrices) {
            byShape.merge(m.type().dtype() + "/" + m.cols(), m, (a, b) -> b.rows() > a.rows() ? b : a);
        }
        return new ArrayList<>(byShape.values());
    }

    /** Rounds completed so far, of 2 × {@link #ROUNDS} (for tests). */
    int roundsDone() {
        return roundsDone;
    }

    /** Waits up to {@code millis} for the warm-up to finish; true when it has. */
    public boolean await(long millis) throws InterruptedException {
        thread.join(Math.max(1, millis));
        return !thread.isAlive();
    }

    /** Stops the warm-up after the kernel call under way and waits for it. */
    @Override
    public void close() {
        stop = true;
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void run(Kernels k, List<Matrix> matrices) {
        if (matrices.isEmpty()) {
            return;
        }
        int maxCols = 1;
        int minCols = Integer.MAX_VALUE;
        for (Matrix m : matrices) {
            maxCols = Math.max(maxCols, m.cols());
            minCols = Math.min(minCols, m.cols());
        }
        int n = minCols;
        float[] x = filled(MANY * maxCols, 0.01f);
        float[] y = new float[MANY * ROWS];
        float[] scratch = new float[k.matMatScratchSize(maxCols)];
        float[] a = filled(n, 0.5f);
        float[] b = filled(n, -0.25f);
        float[] t = filled(n, 0.3f);
        float[] out = new float[n];
        float[] wkvState = new float[3 * n];
        long t0 = System.nanoTime();
        try {
            // What a short prompt and the decode need come first: C2 compiles one method at a time, in about the
            // order they become hot, and the first token should not wait for the long-prompt product.
            for (int round = 0; round < ROUNDS && !stop; round++) {
                for (Matrix m : matrices) {
                    int rows = Math.min(ROWS, m.rows());
                    k.matVec(m, x, 0, y, 0, 0, rows);
                    k.matMat(m, x, 0, m.cols(), FEW, y, 0, rows, 0, rows, scratch);
                    k.readRow(m, round % m.rows(), x, 0);
                    Arrays.fill(x, 0, m.cols(), 0.01f);
                }
                k.layerNorm(a, 0, b, t, 1e-5f, out, 0, n);
                k.lerp(a, 0, b, 0, t, out, 0, n);
                k.mul(a, 0, b, 0, out, 0, n);
                k.addInPlace(out, 0, a, 0, n);
                k.sigmoidInPlace(out, 0, n);
                k.reluSquareInPlace(out, 0, n);
                k.dot(a, 0, b, 0, n);
                Arrays.fill(wkvState, 0, 2 * n, 0f);
                Arrays.fill(wkvState, 2 * n, 3 * n, -1e38f);
                k.wkv4(a, b, 0, t, b, wkvState, 0, n, 2 * n, out, 0, n);
                roundsDone = round + 1;
            }
            for (int round = 0; round < ROUNDS && !stop; round++) {
                for (Matrix m : matrices) {
                    int rows = Math.min(ROWS, m.rows());
                    k.matMat(m, x, 0, m.cols(), MANY, y, 0, rows, 0, rows, scratch);
                }
                roundsDone = ROUNDS + round + 1;
            }
        } catch (RuntimeException | Error e) {
            // A warm-up that fails leaves the JIT colder, nothing else: the model's own calls report any fault.
            LOG.log(System.Logger.Level.DEBUG, "kernel warm-up stopped: " + e);
            return;
        }
        LOG.log(System.Logger.Level.DEBUG, () -> "kernel warm-up: " + roundsDone + " rounds in "
                + (System.nanoTime() - t0) / 1_000_000 + " ms");
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }
}
