package dev.rwkvjava.kernel;

import static org.assertj.core.api.Assertions.fail;

import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.F16Type;
import dev.rwkvjava.tensor.Matrix;
import dev.rwkvjava.tensor.WeightReader;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * All 65,536 F16 and BF16 bit patterns through both vector decoding paths: {@code readRow} (natural order) and
 * {@code matVec} (pair loads against x in even/odd order), against {@code Float.float16ToFloat} and
 * {@code bits << 16}.
 */
class HalfFloatConversionTest {
    private static final int PATTERNS = 1 << 16;

    private static float reference(DType dtype, int bits) {
        return dtype == DType.F16 ? Float.float16ToFloat((short) bits) : WeightReader.bf16ToFloat((short) bits);
    }

    private static Kernels[] kernels() {
        return KernelProvider.vectorModulePresent()
                ? new Kernels[] {new ScalarKernels(), KernelTestSupport.panamaOrSkip()}
                : new Kernels[] {new ScalarKernels()};
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F16", "BF16"})
    void readRowMatchesBitForBit(DType dtype) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(2L * PATTERNS);
            for (int b = 0; b < PATTERNS; b++) {
                seg.set(WeightReader.I16, 2L * b, (short) b);
            }
            Matrix w = new Matrix("all", seg, dtype, 1, PATTERNS);
            for (Kernels k : kernels()) {
                float[] out = new float[PATTERNS + 1];
                k.readRow(w, 0, out, 1);
                for (int b = 0; b < PATTERNS; b++) {
                    float e = reference(dtype, b);
                    float a = out[1 + b];
                    boolean same = Float.isNaN(e) ? Float.isNaN(a) : Float.floatToRawIntBits(e) == Float.floatToRawIntBits(a);
                    if (!same) {
                        fail(k.name() + " " + dtype + " 0x" + Integer.toHexString(b) + ": expected " + e + " (0x"
                                + Integer.toHexString(Float.floatToRawIntBits(e)) + ") but was " + a + " (0x"
                                + Integer.toHexString(Float.floatToRawIntBits(a)) + ")");
                    }
                }
            }
        }
    }

    /**
     * Row b holds pattern b in column b % COLS and zeros elsewhere; with x all ones, y[b] is the decoded pattern
     * (plus zeros). COLS is odd so patterns land in every lane, even and odd, and in the scalar tail.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F16", "BF16"})
    void matVecDecodesEveryPattern(DType dtype) {
        Kernels panama = KernelTestSupport.panamaOrSkip();
        final int cols = 67;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(2L * PATTERNS * cols);
            for (int b = 0; b < PATTERNS; b++) {
                seg.set(WeightReader.I16, 2L * ((long) b * cols + b % cols), (short) b);
            }
            Matrix w = new Matrix("one-per-row", seg, dtype, PATTERNS, cols);
            float[] x = new float[cols];
            Arrays.fill(x, 1f);
            float[] y = new float[PATTERNS];
            panama.matVec(w, x, 0, y, 0, 0, PATTERNS);
            for (int b = 0; b < PATTERNS; b++) {
                float e = reference(dtype, b);
                // Adding zeros turns -0 into +0, so compare values, not bits.
                boolean same = Float.isNaN(e) ? Float.isNaN(y[b]) : e == y[b];
                if (!same) {
                    fail(dtype + " 0x" + Integer.toHexString(b) + " in column " + (b % cols) + ": expected " + e
                            + " but was " + y[b]);
                }
            }
        }
    }

    /**
     * The F16 fast path, which reads halves raised and corrects the zero-exponent ones afterwards, over every
     * finite pattern: row k holds finite pattern k in every column, and x is one-hot, so y[k] is the decoded
     * pattern exactly. The hot column walks over all columns: every lane, even and odd, and the scalar tail.
     */
    @org.junit.jupiter.api.Test
    void f16FastPathDecodesEveryFinitePatternInEveryColumn() {
        Kernels panama = KernelTestSupport.panamaOrSkip();
        final int cols = 67;
        int[] finite = java.util.stream.IntStream.range(0, PATTERNS).filter(b -> (b & 0x7C00) != 0x7C00).toArray();
        int rows = finite.length;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(2L * rows * cols);
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    seg.set(WeightReader.I16, 2L * ((long) r * cols + c), (short) finite[r]);
                }
            }
            Matrix w = new Matrix("finite-patterns", seg, DType.F16, rows, cols);
            // The conditions of the fast path: nothing infinite or NaN, and the zero-exponent halves listed.
            org.assertj.core.api.Assertions.assertThat(F16Type.hasNonFiniteHalves(w)).isFalse();
            org.assertj.core.api.Assertions.assertThat(F16Type.zeroExponentHalves(w)).isNotNull();
            float[] y = new float[rows];
            for (int hot = 0; hot < cols; hot++) {
                float[] x = new float[cols];
                x[hot] = 1f;
                panama.matVec(w, x, 0, y, 0, 0, rows);
                for (int r = 0; r < rows; r++) {
                    float e = Float.float16ToFloat((short) finite[r]);
                    if (e != y[r]) {
                        fail("F16 0x" + Integer.toHexString(finite[r]) + " in column " + hot + ": expected " + e
                                + " but was " + y[r]);
                    }
                }
            }
        }
    }
}
