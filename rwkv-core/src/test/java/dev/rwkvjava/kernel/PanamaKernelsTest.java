package dev.rwkvjava.kernel;

import static dev.rwkvjava.kernel.KernelTestSupport.SIZES;
import static dev.rwkvjava.kernel.KernelTestSupport.U;
import static dev.rwkvjava.kernel.KernelTestSupport.absDot;
import static dev.rwkvjava.kernel.KernelTestSupport.assertClose;
import static dev.rwkvjava.kernel.KernelTestSupport.matrix;
import static dev.rwkvjava.kernel.KernelTestSupport.sumTolerance;
import static dev.rwkvjava.kernel.KernelTestSupport.uniform;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.F16Type;
import dev.rwkvjava.tensor.Matrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Vector API kernels against the scalar reference, over awkward sizes and offsets. Runs at the preferred
 * vector width, and again at 128 and 256 bits in the surefire executions that set {@code -Drwkv.vectorBitSize}.
 */
class PanamaKernelsTest {
    private static final float SENTINEL = 12345.5f;
    /** Steps of the head kernel tests, and the ulps per channel and step their tolerance allows. */
    private static final int HEAD_STEPS = 8;
    private static final int HEAD_ULPS = 4;

    private static Kernels panama;
    private static final Kernels scalar = new ScalarKernels();
    private static Arena arena;

    @BeforeAll
    static void setUp() {
        panama = KernelTestSupport.panamaOrSkip();
        arena = Arena.ofShared();
    }

    @AfterAll
    static void tearDown() {
        if (arena != null) {
            arena.close();
        }
    }

    static IntStream sizes() {
        return IntStream.concat(IntStream.rangeClosed(1, 130), Arrays.stream(SIZES).filter(n -> n > 130));
    }

    @Test
    void nameSaysPanamaAndWidth() {
        String bits = System.getProperty("rwkv.vectorBitSize");
        assertThat(panama.name()).startsWith(bits == null ? "panama-" : "panama-" + bits + " ");
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void dot(int n) {
        SplittableRandom rnd = new SplittableRandom(n);
        float[] a = uniform(rnd, n + 3, -1, 1);
        float[] b = uniform(rnd, n + 5, -1, 1);
        double abs = 0;
        for (int i = 0; i < n; i++) {
            abs += Math.abs((double) a[3 + i] * b[5 + i]);
        }
        float[] expected = {scalar.dot(a, 3, b, 5, n)};
        float[] actual = {panama.dot(a, 3, b, 5, n)};
        assertClose("dot n=" + n, expected, actual, new float[] {sumTolerance(abs)}, 0, 1);
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void layerNorm(int n) {
        SplittableRandom rnd = new SplittableRandom(n);
        // An offset mean, as in real activations, so a one-pass variance would show.
        float[] x = uniform(rnd, n + 2, 0.5f, 2.5f);
        float[] weight = uniform(rnd, n, -2, 2);
        float[] bias = uniform(rnd, n, -1, 1);
        float[] expected = filled(n + 7);
        float[] actual = filled(n + 7);
        scalar.layerNorm(x, 2, weight, bias, 1e-5f, expected, 7, n);
        panama.layerNorm(x, 2, weight, bias, 1e-5f, actual, 7, n);
        assertClose("layerNorm n=" + n, expected, actual, normTolerance(expected, weight, 7, n), 0, n + 7);
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void groupNorm(int g) {
        for (int groups : new int[] {1, 3, 12}) {
            int n = g * groups;
            SplittableRandom rnd = new SplittableRandom(n * 31L + groups);
            float[] x = uniform(rnd, n + 1, -3, 5);
            float[] weight = uniform(rnd, n, -2, 2);
            float[] bias = uniform(rnd, n, -1, 1);
            float[] expected = filled(n + 3);
            float[] actual = filled(n + 3);
            scalar.groupNorm(x, 1, groups, weight, bias, 64e-5f, expected, 3, n);
            panama.groupNorm(x, 1, groups, weight, bias, 64e-5f, actual, 3, n);
            assertClose("groupNorm g=" + g + " groups=" + groups, expected, actual,
                    normTolerance(expected, weight, 3, g), 0, n + 3);
        }
    }

    @Test
    void groupNormRejectsUnevenGroups() {
        float[] x = new float[10];
        assertThatThrownBy(() -> panama.groupNorm(x, 0, 3, x, x, 1e-5f, x, 0, 10))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void lerp(int n) {
        SplittableRandom rnd = new SplittableRandom(n);
        float[] a = uniform(rnd, n + 1, -4, 4);
        float[] b = uniform(rnd, n + 2, -4, 4);
        float[] t = uniform(rnd, n, 0, 1);
        float[] expected = filled(n + 3);
        float[] actual = filled(n + 3);
        scalar.lerp(a, 1, b, 2, t, expected, 3, n);
        panama.lerp(a, 1, b, 2, t, actual, 3, n);
        // FMA rounds once where the scalar code rounds twice.
        float[] tol = new float[n + 3];
        for (int i = 0; i < n; i++) {
            tol[3 + i] = 2 * U * (Math.abs(a[1 + i]) + Math.abs((b[2 + i] - a[1 + i]) * t[i])) + Float.MIN_NORMAL;
        }
        assertClose("lerp n=" + n, expected, actual, tol, 0, n + 3);
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void mulAndAddAreExact(int n) {
        SplittableRandom rnd = new SplittableRandom(n);
        float[] a = uniform(rnd, n + 1, -4, 4);
        float[] b = uniform(rnd, n + 2, -4, 4);
        float[] expected = filled(n + 3);
        float[] actual = filled(n + 3);
        scalar.mul(a, 1, b, 2, expected, 3, n);
        panama.mul(a, 1, b, 2, actual, 3, n);
        assertThat(actual).as("mul n=%d", n).containsExactly(expected);

        float[] sumExpected = a.clone();
        float[] sumActual = a.clone();
        scalar.addInPlace(sumExpected, 1, b, 2, n);
        panama.addInPlace(sumActual, 1, b, 2, n);
        assertThat(sumActual).as("addInPlace n=%d", n).containsExactly(sumExpected);
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void sigmoid(int n) {
        SplittableRandom rnd = new SplittableRandom(n);
        float[] x = uniform(rnd, n + 2, -20, 20);
        // The extremes, where exp(-x) overflows or underflows.
        x[1] = -200;
        x[x.length - 1] = 200;
        x[n / 2 + 1] = 0;
        float[] expected = x.clone();
        float[] actual = x.clone();
        scalar.sigmoidInPlace(expected, 1, n);
        panama.sigmoidInPlace(actual, 1, n);
        assertClose("sigmoid n=" + n, expected, actual, 8 * U, Float.MIN_NORMAL);
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void exp(int n) {
        SplittableRandom rnd = new SplittableRandom(n);
        float[] x = uniform(rnd, n + 2, -60, 60);
        // The extremes, where exp overflows, underflows, or goes subnormal once scaled.
        x[1] = -200;
        x[x.length - 1] = 200;
        x[n / 2 + 1] = 0;
        x[n / 3 + 1] = 150;
        for (float scale : new float[] {1f, -0.606531f}) {
            float[] expected = x.clone();
            float[] actual = x.clone();
            scalar.expInPlace(expected, 1, n, scale);
            panama.expInPlace(actual, 1, n, scale);
            assertClose("exp n=" + n + " scale " + scale, expected, actual, 2 * U, Float.MIN_VALUE);
        }
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void reluSquareIsExact(int n) {
        SplittableRandom rnd = new SplittableRandom(n);
        float[] x = uniform(rnd, n + 2, -3, 3);
        float[] expected = x.clone();
        float[] actual = x.clone();
        scalar.reluSquareInPlace(expected, 1, n);
        panama.reluSquareInPlace(actual, 1, n);
        assertThat(actual).as("reluSquare n=%d", n).containsExactly(expected);
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void wkv4OverSeveralSteps(int n) {
        SplittableRandom rnd = new SplittableRandom(n);
        float[] u = uniform(rnd, n, -1, 1);
        float[] w = uniform(rnd, n, -3, -0.01f);
        float[] expectedState = new float[3 * n + 4];
        Arrays.fill(expectedState, 4 + 2 * n, 4 + 3 * n, -1e38f);
        float[] actualState = expectedState.clone();
        for (int step = 0; step < 6; step++) {
            float[] k = uniform(rnd, n + 1, -8, 8);
            float[] v = uniform(rnd, n + 1, -2, 2);
            float[] expected = filled(n + 2);
            float[] actual = filled(n + 2);
            scalar.wkv4(k, v, 1, u, w, expectedState, 4, 4 + n, 4 + 2 * n, expected, 2, n);
            panama.wkv4(k, v, 1, u, w, actualState, 4, 4 + n, 4 + 2 * n, actual, 2, n);
            assertClose("wkv4 out n=" + n + " step " + step, expected, actual, 1e-5f, 1e-6f);
            assertClose("wkv4 state n=" + n + " step " + step, expectedState, actualState, 1e-5f, 1e-6f);
            // Keep the two runs in lockstep so that differences do not compound over the steps.
            System.arraycopy(expectedState, 0, actualState, 0, expectedState.length);
        }
    }

    /** Head sizes around each vector width, including rows of exactly 4 and 8 vectors at 128, 256 and 512 bits. */
    static IntStream headSizes() {
        return IntStream.of(1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129);
    }

    @ParameterizedTest
    @MethodSource("headSizes")
    void wkv5OverSeveralSteps(int n) {
        int heads = 3;
        int c = heads * n;
        SplittableRandom rnd = new SplittableRandom(n);
        float[] bonus = uniform(rnd, c, -1, 1);
        // State at offset 2, one spare element after it.
        float[] expectedState = uniform(rnd, 2 + c * n + 1, -1, 1);
        float[] actualState = expectedState.clone();
        for (int step = 1; step <= HEAD_STEPS; step++) {
            float[] r = uniform(rnd, 1 + c, -1, 1);
            float[] k = uniform(rnd, 1 + c, -1, 1);
            float[] v = uniform(rnd, 1 + c, -1, 1);
            float[] decay = uniform(rnd, 3 + c, 0.01f, 0.999f);
            float[] expected = filled(2 + c + 1);
            float[] actual = filled(2 + c + 1);
            scalar.wkv5(r, k, v, 1, decay, 3, bonus, expectedState, 2, expected, 2, heads, n);
            panama.wkv5(r, k, v, 1, decay, 3, bonus, actualState, 2, actual, 2, heads, n);
            assertHeadClose("wkv5 out n=" + n + " step " + step, expected, actual, 2, c, n, step);
            assertHeadClose("wkv5 state n=" + n + " step " + step, expectedState, actualState, 2, c * n, n, step);
        }
    }

    @ParameterizedTest
    @MethodSource("headSizes")
    void wkv7OverSeveralSteps(int n) {
        int heads = 3;
        int c = heads * n;
        SplittableRandom rnd = new SplittableRandom(n);
        // State at offset 5, inputs at 2 and outputs at 1 (+ h·n for head h), a spare element after each.
        float[] expectedState = uniform(rnd, 5 + c * n + 1, -1, 1);
        float[] actualState = expectedState.clone();
        for (int step = 1; step <= HEAD_STEPS; step++) {
            float[] r = uniform(rnd, 2 + c + 1, -1, 1);
            float[] w = uniform(rnd, 2 + c + 1, 0.01f, 0.999f);
            float[] k = uniform(rnd, 2 + c + 1, -1, 1);
            float[] v = uniform(rnd, 2 + c + 1, -1, 1);
            float[] a = uniform(rnd, 2 + c + 1, 0, 1);
            float[] kk = uniform(rnd, 2 + c + 1, -1, 1);
            float[] b = new float[2 + c + 1];
            for (int h = 0; h < heads; h++) {
                // kk is a unit vector per head and b = kk·a, as in the model.
                double norm = 0;
                for (int j = 2 + h * n; j < 2 + (h + 1) * n; j++) {
                    norm += (double) kk[j] * kk[j];
                }
                for (int j = 2 + h * n; j < 2 + (h + 1) * n; j++) {
                    kk[j] = (float) (kk[j] / Math.sqrt(norm));
                    b[j] = kk[j] * a[j];
                }
            }
            float[] expected = filled(1 + c + 1);
            float[] actual = filled(1 + c + 1);
            for (int h = 0; h < heads; h++) {
                scalar.wkv7(expectedState, 5 + h * n * n, r, w, k, v, kk, b, 2 + h * n, expected, 1 + h * n, n);
                panama.wkv7(actualState, 5 + h * n * n, r, w, k, v, kk, b, 2 + h * n, actual, 1 + h * n, n);
            }
            assertHeadClose("wkv7 out n=" + n + " step " + step, expected, actual, 1, c, n, step);
            assertHeadClose("wkv7 state n=" + n + " step " + step, expectedState, actualState, 5, c * n, n, step);
        }
    }

    /**
     * Head outputs and states after some steps, the state carried over from step to step: each value is a sum
     * over the head's n channels, and rounding differences compound over the steps, so the max-abs tolerance is a
     * few ulps of the largest value in [off, off + len), times n, times the steps. Elements outside the range
     * must be untouched.
     */
    private static void assertHeadClose(String what, float[] expected, float[] actual, int off, int len, int n,
                                        int steps) {
        double max = 1;
        for (int i = off; i < off + len; i++) {
            max = Math.max(max, Math.abs(expected[i]));
        }
        float[] tol = new float[expected.length];
        Arrays.fill(tol, off, off + len, (float) (HEAD_ULPS * U * n * steps * max));
        assertClose(what, expected, actual, tol, 0, expected.length);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16"})
    void matVec(DType dtype) {
        for (int cols : SIZES) {
            for (int rows : new int[] {1, 2, 3, 4, 5, 7, 9}) {
                checkMatVec(dtype, rows, cols, 0, rows);
            }
        }
        checkMatVec(dtype, 33, 768, 0, 33);
        checkMatVec(dtype, 101, 1025, 0, 101);
        // Row ranges as the worker pool hands them out.
        checkMatVec(dtype, 50, 257, 3, 29);
        checkMatVec(dtype, 50, 257, 29, 50);
        checkMatVec(dtype, 50, 257, 17, 17);
        // Rows of thousands of columns, with a scalar tail.
        checkMatVec(dtype, 9, 2 * 2048 + 32 + 16 + 3, 2, 7);
        // Long rows; row counts that two and four do not divide (rows are taken from two halves of the range, F16's
        // from four quarters, which then overlap), down to one row.
        checkMatVec(dtype, 12, 6144 + 16 + 3, 2, 12);
        checkMatVec(dtype, 12, 6144 + 16 + 3, 1, 12);
        for (int n = 1; n <= 9; n++) {
            checkMatVec(dtype, 11, 97, 1, 1 + n);
        }
    }

    private static void checkMatVec(DType dtype, int rows, int cols, int rowStart, int rowEnd) {
        SplittableRandom rnd = new SplittableRandom(rows * 100_003L + cols + dtype.ordinal());
        Matrix w = matrix(arena, rnd, dtype, rows, cols);
        float[] x = uniform(rnd, cols + 5, -1, 1);
        float[] expected = filled(rows + 3);
        float[] actual = filled(rows + 3);
        scalar.matVec(w, x, 5, expected, 3, rowStart, rowEnd);
        panama.matVec(w, x, 5, actual, 3, rowStart, rowEnd);
        float[] tol = new float[rows + 3];
        for (int r = rowStart; r < rowEnd; r++) {
            tol[3 + r] = sumTolerance(absDot(w, r, x, 5));
        }
        assertClose("matVec " + dtype + " " + rows + "x" + cols + " rows [" + rowStart + ", " + rowEnd + ")",
                expected, actual, tol, 0, rows + 3);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void blockMatVec(DType dtype) {
        int be = dtype.blockElements();
        for (int blocks : new int[] {1, 2, 3, 5, 8, 24, 33}) {
            for (int rows : new int[] {1, 2, 3, 4, 5, 7, 9}) {
                checkBlockMatVec(dtype, rows, blocks * be, 0, rows);
            }
        }
        checkBlockMatVec(dtype, 50, 3 * be, 3, 29);
        checkBlockMatVec(dtype, 50, 3 * be, 29, 50);
        checkBlockMatVec(dtype, 50, 3 * be, 17, 17);
        checkBlockMatVec(dtype, 12, 6144, 1, 12);
        for (int n = 1; n <= 9; n++) {
            checkBlockMatVec(dtype, 11, 2 * be, 1, 1 + n);
        }
    }

    /** Random block bytes (see KernelTestSupport.randomBlocks), and quantized uniform values: both must agree. */
    private static void checkBlockMatVec(DType dtype, int rows, int cols, int rowStart, int rowEnd) {
        SplittableRandom rnd = new SplittableRandom(rows * 100_003L + cols + dtype.ordinal());
        for (Matrix w : new Matrix[] {KernelTestSupport.randomBlocks(arena, rnd, dtype, rows, cols),
                matrix(arena, rnd, dtype, rows, cols)}) {
            float[] x = uniform(rnd, cols + 5, -1, 1);
            float[] expected = filled(rows + 3);
            float[] actual = filled(rows + 3);
            scalar.matVec(w, x, 5, expected, 3, rowStart, rowEnd);
            panama.matVec(w, x, 5, actual, 3, rowStart, rowEnd);
            float[] tol = new float[rows + 3];
            for (int r = rowStart; r < rowEnd; r++) {
                tol[3 + r] = sumTolerance(absDot(w, r, x, 5));
            }
            assertClose("matVec " + w + " rows [" + rowStart + ", " + rowEnd + ")", expected, actual, tol, 0, rows + 3);
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void blockMatMatAndReadRow(DType dtype) {
        int be = dtype.blockElements();
        for (int blocks : new int[] {1, 3, 24}) {
            for (int rows : new int[] {1, 4, 5, 9}) {
                for (int n : new int[] {1, 2, 3, 4, 7, 17}) {
                    checkMatMat(dtype, rows, blocks * be, n, 0, rows, panama.matMatScratchSize(blocks * be));
                }
            }
        }
        checkMatMat(dtype, 70, 4 * be, 9, 0, 70, panama.matMatScratchSize(4 * be));
        checkMatMat(dtype, 37, 2 * be, 11, 5, 30, 2 * be);
        SplittableRandom rnd = new SplittableRandom(dtype.ordinal());
        Matrix w = KernelTestSupport.randomBlocks(arena, rnd, dtype, 3, 5 * be);
        for (int r = 0; r < 3; r++) {
            float[] expected = filled(5 * be + 2);
            float[] actual = filled(5 * be + 2);
            scalar.readRow(w, r, expected, 1);
            panama.readRow(w, r, actual, 1);
            assertThat(actual).as("readRow %s row %d", dtype, r).containsExactly(expected);
        }
    }

    /**
     * F16 weights as small as trained ones (about 1 % of them subnormal halves) and some exact zeros, with the
     * rows split as the worker pool splits them: the fast path's corrections of zero-exponent halves.
     */
    @Test
    void f16MatVecSmallWeightsAndZeros() {
        for (int[] shape : new int[][] {{13, 771}, {50, 257}, {9, 2 * 2048 + 35}}) {
            int rows = shape[0];
            int cols = shape[1];
            SplittableRandom rnd = new SplittableRandom(rows + cols);
            MemorySegment seg = arena.allocate(2L * rows * cols, 64);
            int zeroExponent = 0;
            for (long i = 0; i < (long) rows * cols; i++) {
                float v = rnd.nextInt(40) == 0 ? (rnd.nextBoolean() ? 0f : -0f) : (float) (rnd.nextGaussian() * 0.005);
                short h = Float.floatToFloat16(v);
                zeroExponent += (h & 0x7C00) == 0 ? 1 : 0;
                seg.set(dev.rwkvjava.tensor.WeightReader.I16, 2 * i, h);
            }
            Matrix w = new Matrix("small", seg, DType.F16, rows, cols);
            assertThat(F16Type.zeroExponentHalves(w).count()).isEqualTo(zeroExponent).isGreaterThan(rows * cols / 40);
            float[] x = uniform(rnd, cols + 5, -1, 1);
            for (int[] range : new int[][] {{0, rows}, {3, rows - 2}, {rows / 2, rows / 2 + 1}}) {
                float[] expected = filled(rows + 3);
                float[] actual = filled(rows + 3);
                scalar.matVec(w, x, 5, expected, 3, range[0], range[1]);
                panama.matVec(w, x, 5, actual, 3, range[0], range[1]);
                float[] tol = new float[rows + 3];
                for (int r = range[0]; r < range[1]; r++) {
                    tol[3 + r] = sumTolerance(absDot(w, r, x, 5));
                }
                assertClose("matVec F16 small weights " + rows + "x" + cols + " rows [" + range[0] + ", " + range[1]
                        + ")", expected, actual, tol, 0, rows + 3);
            }
        }
    }

    /**
     * F16 rows holding infinities, NaNs, subnormals and the largest finite half, and inputs too large for the
     * scaled fast path: the same non-finite results as exact decoding, and finite ones as close as usual.
     */
    @Test
    void f16MatVecSpecialHalves() {
        short[] specials = {0x7C00, (short) 0xFC00, 0x7E00, 0x7C01, 0x0001, (short) 0x8001, 0x03FF, 0x7BFF,
                (short) 0xFBFF, 0x0400, 0};
        checkSpecialHalves(specials, 4 * 64 + 7);
        // Long rows, where the infinities and NaNs sit anywhere along the row.
        checkSpecialHalves(new short[] {0x7C00, (short) 0xFC00, 0x7E00}, 2 * 2048 + 4 * 64 + 7);
    }

    private static void checkSpecialHalves(short[] specials, int cols) {
        int rows = 2 * specials.length + 3;
        SplittableRandom rnd = new SplittableRandom(7);
        Matrix w = matrix(arena, rnd, DType.F16, rows, cols);
        // Row 2i holds special i at one column, row 2i+1 holds it everywhere; the last rows stay ordinary.
        for (int i = 0; i < specials.length; i++) {
            long at = (long) 2 * i * cols + rnd.nextInt(cols - 7);
            w.data().set(dev.rwkvjava.tensor.WeightReader.I16, 2 * at, specials[i]);
            for (int c = 0; c < cols; c++) {
                w.data().set(dev.rwkvjava.tensor.WeightReader.I16, 2 * ((long) (2 * i + 1) * cols + c), specials[i]);
            }
        }
        float[][] inputs = {uniform(rnd, cols, -1, 1), uniform(rnd, cols, -1e-30f, 1e-30f),
                uniform(rnd, cols, -1, 1), uniform(rnd, cols, -1, 1)};
        inputs[2][5] = 0x1p61f;
        inputs[3][9] = Float.NaN;
        for (float[] x : inputs) {
            float[] expected = new float[rows];
            float[] actual = new float[rows];
            scalar.matVec(w, x, 0, expected, 0, 0, rows);
            panama.matVec(w, x, 0, actual, 0, 0, rows);
            for (int r = 0; r < rows; r++) {
                String what = "F16 row " + r + " with x[5] = " + x[5] + ", x[9] = " + x[9];
                if (!Float.isFinite(expected[r])) {
                    assertThat(Float.valueOf(actual[r])).as(what).isEqualTo(Float.valueOf(expected[r]));
                } else {
                    assertThat((double) actual[r]).as(what)
                            .isCloseTo(expected[r], org.assertj.core.data.Offset.offset((double) sumTolerance(absDot(w, r, x, 0))));
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16"})
    void matMat(DType dtype) {
        for (int cols : new int[] {1, 7, 16, 17, 33, 100, 257, 768, 1025}) {
            for (int rows : new int[] {1, 3, 4, 5, 8, 9, 13, 17}) {
                for (int n : new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 17}) {
                    checkMatMat(dtype, rows, cols, n, 0, rows, panama.matMatScratchSize(cols));
                }
            }
        }
        checkMatMat(dtype, 40, 768, 33, 0, 40, panama.matMatScratchSize(768));
        checkMatMat(dtype, 64, 129, 64, 0, 64, panama.matMatScratchSize(129));
        // Several row blocks, the last one partial and not a multiple of 4.
        checkMatMat(dtype, 70, 1025, 9, 0, 70, panama.matMatScratchSize(1025));
        checkMatMat(dtype, 13, 4099, 6, 0, 13, panama.matMatScratchSize(4099));
        // Row ranges, and scratch smaller or larger than asked for (at least cols is the contract).
        checkMatMat(dtype, 37, 100, 11, 5, 30, 100);
        checkMatMat(dtype, 37, 100, 11, 5, 30, 3 * 100 + 17);
        checkMatMat(dtype, 37, 100, 11, 30, 37, 100 * 50);
    }

    /**
     * The rows of a decode batch: BF16 weights times 2 to 16 activation rows (multiplied straight from the 16-bit
     * weights), at model widths, with columns past the last vector step, an odd row range and the least scratch.
     */
    @Test
    void matMatOfADecodeBatch() {
        for (int n = 2; n <= 16; n++) {
            checkMatMat(DType.BF16, 9, 768, n, 0, 9, panama.matMatScratchSize(768));
            checkMatMat(DType.BF16, 7, 3072 + 5, n, 2, 7, 3072 + 5);
            checkMatMat(DType.BF16, 3, 2048, n, 1, 2, 2048);
        }
    }

    private static void checkMatMat(DType dtype, int rows, int cols, int n, int rowStart, int rowEnd, int scratchSize) {
        SplittableRandom rnd = new SplittableRandom(rows * 100_003L + cols * 31L + n + dtype.ordinal());
        Matrix w = matrix(arena, rnd, dtype, rows, cols);
        int xOff = 3, xStride = cols + 2, yOff = 5, yStride = rows + 4;
        float[] x = uniform(rnd, xOff + n * xStride, -1, 1);
        float[] expected = filled(yOff + n * yStride);
        float[] actual = filled(yOff + n * yStride);
        scalar.matMat(w, x, xOff, xStride, n, expected, yOff, yStride, rowStart, rowEnd, new float[cols]);
        panama.matMat(w, x, xOff, xStride, n, actual, yOff, yStride, rowStart, rowEnd, new float[scratchSize]);
        float[] tol = new float[expected.length];
        for (int t = 0; t < n; t++) {
            for (int r = rowStart; r < rowEnd; r++) {
                tol[yOff + t * yStride + r] = sumTolerance(absDot(w, r, x, xOff + t * xStride));
            }
        }
        assertClose("matMat " + dtype + " " + rows + "x" + cols + " n=" + n + " rows [" + rowStart + ", " + rowEnd
                + ") scratch " + scratchSize, expected, actual, tol, 0, expected.length);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16"})
    void readRowIsExact(DType dtype) {
        for (int cols : SIZES) {
            SplittableRandom rnd = new SplittableRandom(cols);
            Matrix w = matrix(arena, rnd, dtype, 3, cols);
            for (int r = 0; r < 3; r++) {
                float[] expected = filled(cols + 2);
                float[] actual = filled(cols + 2);
                scalar.readRow(w, r, expected, 1);
                panama.readRow(w, r, actual, 1);
                assertThat(actual).as("readRow %s row %d of %d cols", dtype, r, cols).containsExactly(expected);
            }
        }
    }

    @Test
    void rangesAreChecked() {
        Matrix w = matrix(arena, new SplittableRandom(1), DType.BF16, 4, 10);
        float[] y = new float[4];
        assertThatThrownBy(() -> panama.matVec(w, new float[9], 0, y, 0, 0, 4))
                .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("x");
        assertThatThrownBy(() -> panama.matVec(w, new float[10], 0, y, 1, 0, 4))
                .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("y");
        assertThatThrownBy(() -> panama.matVec(w, new float[10], 0, y, 0, 0, 5))
                .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("rows");
        assertThatThrownBy(() -> panama.matMat(w, new float[20], 0, 10, 2, new float[8], 0, 4, 0, 4, new float[9]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("scratch");
    }

    private static float[] filled(int n) {
        float[] a = new float[n];
        Arrays.fill(a, SENTINEL);
        return a;
    }

    /**
     * Norm outputs are (x - mean) · inv · w + b; mean and variance are sums over g values, so their error grows
     * with g. Untouched elements (the sentinel) get a zero tolerance.
     */
    private static float[] normTolerance(float[] expected, float[] weight, int off, int g) {
        float[] tol = new float[expected.length];
        for (int i = off; i < expected.length; i++) {
            tol[i] = (float) ((16 + Math.sqrt(g)) * 8 * U * (Math.abs(expected[i]) + 4 * Math.abs(weight[(i - off)])))
                    + Float.MIN_NORMAL;
        }
        return tol;
    }
}
