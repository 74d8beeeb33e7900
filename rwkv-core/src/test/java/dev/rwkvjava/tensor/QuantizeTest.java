package dev.rwkvjava.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Quantize then decode, per block type: every value within the bound that the type's rounding allows (derived per
 * block from its range, below), blocks of zeros exact, and the same bytes on every run.
 */
class QuantizeTest {
    private static final int BLOCKS = 400;

    /** C's roundf, as the quantizers use it: to nearest, halves away from zero, on edge cases and random values. */
    @Test
    void roundsHalvesAwayFromZero() {
        float below = Math.nextDown(0.5f);
        float[][] cases = {{0.5f, 1}, {-0.5f, -1}, {below, 0}, {-below, -0f}, {1.5f, 2}, {2.5f, 3}, {-2.5f, -3},
                {Math.nextDown(1.5f), 1}, {126.5f, 127}, {-127.49998f, -127}, {0f, 0f}, {-0f, -0f},
                {0x1p23f + 1, 0x1p23f + 1}, {3e9f, 3e9f}, {-3e9f, -3e9f}, {Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY}};
        for (float[] c : cases) {
            assertThat(BlockType.roundHalfAway(c[0])).as("roundf(%s)", c[0]).isEqualTo(c[1]);
        }
        assertThat(Float.floatToRawIntBits(BlockType.roundHalfAway(-0.2f))).isEqualTo(Float.floatToRawIntBits(-0f));
        assertThat(BlockType.roundHalfAway(Float.NaN)).isNaN();
        SplittableRandom rnd = new SplittableRandom(5);
        for (int i = 0; i < 200_000; i++) {
            float v = (float) (rnd.nextDouble(-300, 300));
            // Exact reference in BigDecimal.
            java.math.BigDecimal r = new java.math.BigDecimal(v).setScale(0, java.math.RoundingMode.HALF_UP);
            assertThat(BlockType.roundHalfAway(v)).as("roundf(%s)", v).isEqualTo(Math.copySign(r.floatValue(), v));
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void errorWithinTheTypesBound(DType dtype) {
        BlockType type = (BlockType) WeightType.of(dtype);
        int be = type.blockElements();
        SplittableRandom rnd = new SplittableRandom(11);
        float[] x = new float[BLOCKS * be];
        for (int b = 0; b < BLOCKS; b++) {
            // Gaussian blocks of many scales, some with an outlier, some shifted, some all of one sign.
            double scale = Math.pow(10, rnd.nextInt(-6, 3));
            double shift = b % 5 == 1 ? 3 * scale : 0;
            for (int i = 0; i < be; i++) {
                double v = rnd.nextGaussian() * scale + shift;
                x[b * be + i] = (float) (b % 5 == 2 ? Math.abs(v) : v);
            }
            if (b % 5 == 3) {
                x[b * be + rnd.nextInt(be)] = (float) (40 * scale);
            }
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment q = arena.allocate((long) BLOCKS * type.blockBytes());
            type.encode(x, 0, x.length, q, 0);
            float[] back = new float[x.length];
            type.decode(q, 0, back, 0, x.length);
            for (int b = 0; b < BLOCKS; b++) {
                double bound = bound(dtype, x, b * be, be);
                for (int i = b * be; i < (b + 1) * be; i++) {
                    double err = Math.abs((double) back[i] - x[i]);
                    if (!(err <= bound)) {
                        throw new AssertionError(dtype + " block " + b + " value " + i % be + ": " + x[i]
                                + " came back as " + back[i] + ", error " + err + " > bound " + bound);
                    }
                }
            }
            // The same bytes again.
            MemorySegment again = arena.allocate(q.byteSize());
            type.encode(x, 0, x.length, again, 0);
            assertThat(again.mismatch(q)).isEqualTo(-1);
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void zerosAreExact(DType dtype) {
        BlockType type = (BlockType) WeightType.of(dtype);
        int be = type.blockElements();
        float[] x = new float[2 * be];
        x[be + 1] = -0f;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment q = arena.allocate(2L * type.blockBytes());
            type.encode(x, 0, x.length, q, 0);
            float[] back = new float[x.length];
            type.decode(q, 0, back, 0, x.length);
            for (int i = 0; i < x.length; i++) {
                assertThat(back[i]).as("%s value %d", dtype, i).isEqualTo(x[i], org.assertj.core.data.Offset.offset(0f));
            }
        }
    }

    /** The most that storing v as fp16 changes it: half an ulp, relative for normal halves, 2^-25 for subnormal. */
    private static double fp16(double v) {
        return Math.max(Math.abs(v) * 0x1p-11, 0x1p-25);
    }

    /**
     * The largest error the type's quantizer may make on this block. With d the block's step (its range over the
     * number of levels) rounding errs by d/2; the symmetric types clip their most negative level, an error of one
     * step; storing d as fp16 moves the level-q value by q · fp16(d), and storing the min adds fp16(min). The K
     * types also quantize each sub-block's step (and min) against the super-block's step D (an error of D/2, then
     * fp16(D) times the 6- or 8-bit factor), which the top level feels times the number of levels (see KQuants).
     */
    private static double bound(DType dtype, float[] x, int off, int n) {
        double max = Double.NEGATIVE_INFINITY;
        double min = Double.POSITIVE_INFINITY;
        double amax = 0;
        for (int i = off; i < off + n; i++) {
            max = Math.max(max, x[i]);
            min = Math.min(min, x[i]);
            amax = Math.max(amax, Math.abs(x[i]));
        }
        double rounding = 1e-6 * amax;
        double b = switch (dtype) {
            case Q8_0 -> amax / 127 / 2 + 127 * fp16(amax / 127);
            case Q4_0 -> amax / 8 + 8 * fp16(amax / 8);
            case Q5_0 -> amax / 16 + 16 * fp16(amax / 16);
            case Q4_1 -> (max - min) / 15 / 2 + 15 * fp16((max - min) / 15) + fp16(min);
            case Q5_1 -> (max - min) / 31 / 2 + 31 * fp16((max - min) / 31) + fp16(min);
            case Q4_K, Q5_K -> {
                int levels = dtype == DType.Q4_K ? 15 : 31;
                double maxScale = 0;
                double maxMin = 0;
                for (int j = 0; j < 8; j++) {
                    double lo = 0;
                    double hi = x[off + 32 * j];
                    for (int l = 0; l < 32; l++) {
                        lo = Math.min(lo, x[off + 32 * j + l]);
                        hi = Math.max(hi, x[off + 32 * j + l]);
                    }
                    maxScale = Math.max(maxScale, (hi - lo) / levels);
                    maxMin = Math.max(maxMin, -lo);
                }
                double stepError = maxScale / 63 / 2 + 63 * fp16(maxScale / 63);
                double minError = maxMin / 63 / 2 + 63 * fp16(maxMin / 63);
                yield (maxScale + stepError) / 2 + levels * stepError + minError;
            }
            case Q6_K -> {
                double maxScale = 0;
                for (int g = 0; g < 16; g++) {
                    double a = 0;
                    for (int l = 0; l < 16; l++) {
                        a = Math.max(a, Math.abs(x[off + 16 * g + l]));
                    }
                    maxScale = Math.max(maxScale, a / 32);
                }
                double stepError = maxScale / 128 / 2 + 128 * fp16(maxScale / 128);
                // Symmetric: the level +32 is clipped to 31, an error of a whole step, as in Q4_0.
                yield maxScale + stepError + 32 * stepError;
            }
            default -> throw new IllegalArgumentException(dtype.toString());
        };
        return (b + rounding) * (1 + 1e-6) + 1e-30;
    }
}
