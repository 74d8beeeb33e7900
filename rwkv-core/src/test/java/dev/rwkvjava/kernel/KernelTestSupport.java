package dev.rwkvjava.kernel;

import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.Matrix;
import dev.rwkvjava.testutil.TestMatrices;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;

/** Seeded data, weight matrices of each type, and float comparisons that report the worst element. */
final class KernelTestSupport {
    /** Sizes around every vector width and unroll factor, plus model-sized ones. */
    static final int[] SIZES = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129,
            255, 257, 511, 768, 1023, 1025, 3071, 4099};
    static final float U = 0x1p-24f;

    private KernelTestSupport() {
    }

    /**
     * The Vector API kernels; skips the test without the module, or when {@code -Drwkv.vectorBitSize} asks for
     * more than this CPU has. Kernels that are unusable at the CPU's own width although the module is present skip
     * the test too, except under {@code CI=true}, where they fail it: CI must not pass on the scalar kernels alone.
     */
    static Kernels panamaOrSkip() {
        assumeTrue(KernelProvider.vectorModulePresent(), "needs --add-modules jdk.incubator.vector");
        try {
            return KernelProvider.panama();
        } catch (LinkageError e) {
            // The first attempt fails with the initializer's UnsupportedOperationException as a cause; later ones
            // with a NoClassDefFoundError that carries it only as text.
            for (Throwable c = e; c != null; c = c.getCause()) {
                if (c instanceof UnsupportedOperationException
                        || String.valueOf(c.getMessage()).contains(UnsupportedOperationException.class.getName())) {
                    String why = "Vector API kernels unsupported here: " + c.getMessage();
                    if (System.getProperty("rwkv.vectorBitSize") == null && onCi()) {
                        throw new AssertionError(why + " (the module is present; required on CI)", e);
                    }
                    assumeTrue(false, why);
                }
            }
            throw e;
        }
    }

    static boolean onCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    static float[] uniform(SplittableRandom rnd, int n, float lo, float hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (lo + (hi - lo) * rnd.nextDouble());
        }
        return a;
    }

    /** A rows × cols matrix of the given type with values uniform in [-1, 1), off-heap in arena. */
    static Matrix matrix(Arena arena, SplittableRandom rnd, DType dtype, int rows, int cols) {
        return TestMatrices.of(arena, dtype, rows, cols, () -> 2 * rnd.nextDouble() - 1);
    }

    /**
     * A rows × cols matrix of a block type made of random bytes, its fp16 fields (scales and mins) set to random
     * finite halves of magnitudes from subnormal to 2^7: every bit pattern of the quants, and scales of every
     * size, as files may hold them.
     */
    static Matrix randomBlocks(Arena arena, SplittableRandom rnd, DType dtype, int rows, int cols) {
        long bytes = dtype.byteSize((long) rows * cols);
        java.lang.foreign.MemorySegment seg = arena.allocate(bytes, 64);
        for (long i = 0; i < bytes; i++) {
            seg.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt(256));
        }
        long[] fields = switch (dtype) {
            case Q8_0, Q4_0, Q5_0 -> new long[] {0};
            case Q4_1, Q5_1, Q4_K, Q5_K -> new long[] {0, 2};
            case Q6_K -> new long[] {208};
            default -> throw new IllegalArgumentException(dtype.toString());
        };
        for (long b = 0; b < bytes / dtype.blockBytes(); b++) {
            for (long f : fields) {
                // Exponent fields 0..21 (2^-24 up to about 2^6), either sign, any mantissa.
                short half = (short) ((rnd.nextInt(2) << 15) | (rnd.nextInt(22) << 10) | rnd.nextInt(1024));
                seg.set(dev.rwkvjava.tensor.WeightReader.I16, b * dtype.blockBytes() + f, half);
            }
        }
        return new Matrix("random " + dtype + " " + rows + "x" + cols, seg, dtype, rows, cols);
    }

    /** Σ |w[r, c] · x[c]|: the scale of the rounding error of the dot product of row r with x. */
    static double absDot(Matrix w, int r, float[] x, int xOff) {
        double s = 0;
        for (int c = 0; c < w.cols(); c++) {
            s += Math.abs((double) w.get(r, c) * x[xOff + c]);
        }
        return s;
    }

    /** Tolerance for a float sum whose terms have absolute sum {@code absSum}: a few units in the last place of it. */
    static float sumTolerance(double absSum) {
        return (float) (8 * U * absSum) + 1e-30f;
    }

    /**
     * Fails unless |expected[i] - actual[i]| <= tolerance[i] for every i in [off, off + len), naming the worst
     * element. NaN must match NaN.
     */
    static void assertClose(String what, float[] expected, float[] actual, float[] tolerance, int off, int len) {
        int worst = -1;
        double worstRatio = 1;
        for (int i = off; i < off + len; i++) {
            float e = expected[i];
            float a = actual[i];
            if (Float.isNaN(e) || Float.isNaN(a)) {
                if (Float.isNaN(e) != Float.isNaN(a)) {
                    fail(what + ": element " + i + " expected " + e + " but was " + a);
                }
                continue;
            }
            if (e == a) {
                continue;
            }
            double ratio = Math.abs((double) e - a) / tolerance[i];
            if (!(ratio <= worstRatio)) {
                worstRatio = ratio;
                worst = i;
            }
        }
        if (worst >= 0) {
            fail(what + ": max |diff| " + Math.abs((double) expected[worst] - actual[worst]) + " at index " + worst
                    + " (expected " + expected[worst] + ", actual " + actual[worst] + ", tolerance "
                    + tolerance[worst] + ")");
        }
    }

    /** {@link #assertClose} with a relative tolerance {@code rel · |expected| + abs} for every element. */
    static void assertClose(String what, float[] expected, float[] actual, float rel, float abs) {
        float[] tol = new float[expected.length];
        for (int i = 0; i < tol.length; i++) {
            tol[i] = rel * Math.abs(expected[i]) + abs;
        }
        assertClose(what, expected, actual, tol, 0, expected.length);
    }
}
