package dev.rwkvjava.kernel;

import static dev.rwkvjava.kernel.KernelTestSupport.matrix;
import static dev.rwkvjava.kernel.KernelTestSupport.uniform;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rwkvjava.kernel.panama.SharedProfiles;
import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.Matrix;

import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Once compiled, the Vector API matVec and matMat allocate nothing. A kernel loop that outgrows C2's inlining
 * budget, or a helper that C2 declines to inline, still computes the right answer, but on boxed vectors: tens of
 * times slower, and allocating at every step. The differential tests cannot see that; the allocation can, so this
 * test runs each kernel until its allocation stops, and fails if it never does.
 */
class KernelAllocationTest {
    /** Long enough for C2 to compile the kernels several times over on a slow, shared machine. */
    private static final long PATIENCE_NANOS = 60_000_000_000L;
    private static final int CALLS_PER_ROUND = 200;

    private static Kernels panama;
    private static Arena arena;
    private static com.sun.management.ThreadMXBean threads;

    @BeforeAll
    static void setUp() {
        panama = KernelTestSupport.panamaOrSkip();
        assumeTrue(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
                && t.isThreadAllocatedMemorySupported(), "per-thread allocation counts unavailable");
        threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        threads.setThreadAllocatedMemoryEnabled(true);
        arena = Arena.ofShared();
        runLikePrefill();
        // Then the JDK's shared vector code is profiled with 128-bit vectors, as the F32 kernels' half-width loads
        // and other Vector API users profile it: a kernel that depends on those profiles boxes its vectors.
        SharedProfiles.fill(128, 300_000);
    }

    /**
     * Runs matMat on every weight type first, as a prompt's prefill does before decoding starts. The Vector API
     * code that all kernels share then carries a profile of full-width vectors, the narrower matVec loops meet it
     * when they are compiled, and each of their vector operations costs C2 more of its inlining budget (seen: a
     * matVec loop that stopped allocating when run alone boxed every vector after a prefill).
     */
    private static void runLikePrefill() {
        int rows = 9;
        int cols = 771;
        int n = 9;
        for (DType dtype : new DType[] {DType.F32, DType.F16, DType.BF16, DType.Q8_0, DType.Q4_0, DType.Q4_1, DType.Q5_0,
                DType.Q5_1, DType.Q4_K, DType.Q5_K, DType.Q6_K}) {
            SplittableRandom rnd = new SplittableRandom(rows);
            Matrix w = matrix(arena, rnd, dtype, rows, width(dtype, cols));
            float[] x = uniform(rnd, n * w.cols(), -1, 1);
            float[] y = new float[n * rows];
            float[] scratch = new float[panama.matMatScratchSize(w.cols())];
            for (int i = 0; i < 3_000; i++) {
                panama.matMat(w, x, 0, w.cols(), n, y, 0, rows, 0, rows, scratch);
            }
        }
    }

    @AfterAll
    static void tearDown() {
        if (arena != null) {
            arena.close();
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K",
            "Q6_K"})
    void matVecStopsAllocatingOnceCompiled(DType dtype) {
        // Short rows first, then long ones, and an even row count before an odd one (rows are taken in pairs, the
        // middle row of an odd count twice): code compiled for the first case meets the next, as in a model whose
        // products have several shapes.
        for (int width : new int[] {771, 6144 + 16 + 3}) {
            int cols = width(dtype, width);
            for (int rows : new int[] {8, 9}) {
                SplittableRandom rnd = new SplittableRandom(cols);
                Matrix w = matrix(arena, rnd, dtype, rows, cols);
                float[] x = uniform(rnd, cols, -1, 1);
                float[] y = new float[rows];
                assertStopsAllocating("matVec " + dtype + " " + rows + "x" + cols,
                        () -> panama.matVec(w, x, 0, y, 0, 0, rows));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K",
            "Q6_K"})
    void matMatStopsAllocatingOnceCompiled(DType dtype) {
        for (int width : new int[] {771, 2051}) {
            int cols = width(dtype, width);
            SplittableRandom rnd = new SplittableRandom(cols);
            Matrix w = matrix(arena, rnd, dtype, 9, cols);
            int n = 9;
            float[] x = uniform(rnd, n * cols, -1, 1);
            float[] y = new float[n * 9];
            float[] scratch = new float[panama.matMatScratchSize(cols)];
            assertStopsAllocating("matMat " + dtype + " 9x" + cols + " by " + n,
                    () -> panama.matMat(w, x, 0, cols, n, y, 0, 9, 0, 9, scratch));
        }
    }

    /** The kernels built on the vector exponential, whose loops are the largest outside the products. */
    @org.junit.jupiter.api.Test
    void exponentialKernelsStopAllocatingOnceCompiled() {
        SplittableRandom rnd = new SplittableRandom(3);
        int n = 771;
        float[] x = uniform(rnd, n, -20, 20);
        float[] y = new float[n];
        assertStopsAllocating("sigmoidInPlace", () -> {
            System.arraycopy(x, 0, y, 0, n);
            panama.sigmoidInPlace(y, 0, n);
        });
        assertStopsAllocating("expInPlace", () -> {
            System.arraycopy(x, 0, y, 0, n);
            panama.expInPlace(y, 0, n, -0.606531f);
        });
        float[] k = uniform(rnd, n, -5, 5);
        float[] v = uniform(rnd, n, -1, 1);
        float[] u = uniform(rnd, n, -1, 1);
        float[] w = uniform(rnd, n, -3, 0);
        float[] state = new float[3 * n];
        float[] out = new float[n];
        assertStopsAllocating("wkv4", () -> {
            java.util.Arrays.fill(state, 0, 2 * n, 0f);
            java.util.Arrays.fill(state, 2 * n, 3 * n, -1e38f);
            panama.wkv4(k, v, 0, u, w, state, 0, n, 2 * n, out, 0, n);
        });
    }

    /** The width itself, or for a block type the whole blocks nearest below it. */
    private static int width(DType dtype, int width) {
        return width - width % dtype.blockElements();
    }

    private static void assertStopsAllocating(String what, Runnable call) {
        long perCall = Long.MAX_VALUE;
        long deadline = System.nanoTime() + PATIENCE_NANOS;
        while (perCall > 0 && System.nanoTime() < deadline) {
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < CALLS_PER_ROUND; i++) {
                call.run();
            }
            perCall = (threads.getCurrentThreadAllocatedBytes() - before) / CALLS_PER_ROUND;
        }
        assertThat(perCall).as("bytes allocated per call, %s, after %d s", what, PATIENCE_NANOS / 1_000_000_000L)
                .isZero();
    }
}
