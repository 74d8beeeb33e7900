package dev.rwkvjava.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The scalar decoding of every block type against the layout definitions (ggml's block structs, as gguf-py's
 * reference dequantizers read them), on hand-built blocks: random bytes, zero blocks, the extreme quants (−128 in
 * Q8_0) and extreme fp16 scales (largest finite, subnormal, zero, infinite, NaN). The expected values are computed
 * here from the definitions, bit field by bit field, and compared bit for bit: decoding is exact.
 */
class BlockDecodeTest {
    /** fp16 scales worth trying: ordinary, largest finite, smallest subnormal, a subnormal, ±0, ±∞, NaN. */
    private static final short[] SCALES = {0x3C00, (short) 0xB555, 0x2E66, 0x7BFF, (short) 0xFBFF, 0x0001,
            (short) 0x83FF, 0x0000, (short) 0x8000, 0x7C00, (short) 0xFC00, 0x7E00};

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void decodesAsTheLayoutDefines(DType dtype) {
        BlockType type = (BlockType) WeightType.of(dtype);
        SplittableRandom rnd = new SplittableRandom(dtype.ordinal());
        int bb = type.blockBytes();
        int be = type.blockElements();
        int blocks = 3 * SCALES.length + 2;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate((long) blocks * bb);
            for (int b = 0; b < blocks; b++) {
                for (int i = 0; i < bb; i++) {
                    data.set(ValueLayout.JAVA_BYTE, (long) b * bb + i, (byte) rnd.nextInt(256));
                }
                // Every fp16 field of the block gets one of the special scales in turn (the last blocks stay random).
                if (b < 3 * SCALES.length) {
                    for (long field : halfFields(dtype)) {
                        data.set(WeightReader.I16, (long) b * bb + field, SCALES[(b + (int) field) % SCALES.length]);
                    }
                }
            }
            float[] expected = new float[blocks * be];
            for (int b = 0; b < blocks; b++) {
                for (int v = 0; v < be; v++) {
                    expected[b * be + v] = definition(dtype, data, (long) b * bb, v);
                }
            }
            float[] decoded = new float[blocks * be + 2];
            type.decode(data, 0, decoded, 1, blocks * be);
            for (int i = 0; i < expected.length; i++) {
                if (Float.floatToRawIntBits(decoded[1 + i]) != Float.floatToRawIntBits(expected[i])
                        && !(Float.isNaN(decoded[1 + i]) && Float.isNaN(expected[i]))) {
                    throw new AssertionError(dtype + " block " + i / be + " value " + i % be + ": expected "
                            + expected[i] + " but decoded " + decoded[1 + i]);
                }
                assertThat(Float.floatToIntBits(type.get(data, i))).isEqualTo(Float.floatToIntBits(decoded[1 + i]));
            }
            assertThat(decoded[0]).isZero();
            assertThat(decoded[decoded.length - 1]).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void zeroBlocksDecodeToZero(DType dtype) {
        BlockType type = (BlockType) WeightType.of(dtype);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(type.blockBytes());
            float[] out = new float[type.blockElements()];
            java.util.Arrays.fill(out, 7f);
            type.decodeBlock(data, 0, out, 0);
            for (float v : out) {
                assertThat(Math.abs(v)).isZero();
            }
        }
    }

    @Test
    void q8_0ExtremeQuants() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(34);
            data.set(WeightReader.I16, 0, (short) 0x7BFF); // 65504
            data.set(ValueLayout.JAVA_BYTE, 2, (byte) -128);
            data.set(ValueLayout.JAVA_BYTE, 3, (byte) 127);
            data.set(ValueLayout.JAVA_BYTE, 4, (byte) -1);
            float[] out = new float[32];
            Q8_0Type.INSTANCE.decodeBlock(data, 0, out, 0);
            assertThat(out[0]).isEqualTo(-128 * 65504f);
            assertThat(out[1]).isEqualTo(127 * 65504f);
            assertThat(out[2]).isEqualTo(-65504f);
            assertThat(out[3]).isZero();
            data.set(WeightReader.I16, 0, (short) 0x0001); // 2^-24, the smallest subnormal half
            Q8_0Type.INSTANCE.decodeBlock(data, 0, out, 0);
            assertThat(out[0]).isEqualTo(-0x1p-17f);
            assertThat(out[1]).isEqualTo(127 * 0x1p-24f);
        }
    }

    /** Sums in the shared order: a block row's dot product has the bits of the F32 row of its decoded values. */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void dotMatchesTheDecodedF32Row(DType dtype) {
        BlockType type = (BlockType) WeightType.of(dtype);
        SplittableRandom rnd = new SplittableRandom(3);
        int cols = 3 * type.blockElements();
        float[] values = new float[cols];
        float[] x = new float[cols + 1];
        for (int i = 0; i < cols; i++) {
            values[i] = (float) rnd.nextGaussian();
            x[i + 1] = (float) rnd.nextGaussian();
        }
        Matrix q = Matrix.of("q", type, values, 1, cols);
        float[] decoded = new float[cols];
        q.row(0, decoded, 0);
        Matrix f = Matrix.ofFloats("f", decoded, 1, cols);
        assertThat(type.dot(q.data(), 0, x, 1, cols)).isEqualTo(F32Type.INSTANCE.dot(f.data(), 0, x, 1, cols));
    }

    @Test
    void matricesOfBlockTypesNeedWholeBlocks() {
        try (Arena arena = Arena.ofConfined()) {
            assertThatThrownBy(() -> new Matrix("w", arena.allocate(34 * 3), DType.Q8_0, 3, 16))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("w").hasMessageContaining("32");
            assertThatThrownBy(() -> new Matrix("w", arena.allocate(34 * 3), DType.Q8_0, 2, 32))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bytes");
            Matrix m = new Matrix("w", arena.allocate(210 * 6), DType.Q6_K, 3, 512);
            assertThat(m.rowBytes()).isEqualTo(420);
            assertThat(m.rowOffset(2)).isEqualTo(840);
            assertThatThrownBy(() -> WeightReader.toFloatArray(arena.allocate(35), DType.Q8_0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Q8_0");
        }
    }

    // ---- the definitions -------------------------------------------------------------------------------------

    /** Byte offsets of a block's fp16 fields. */
    private static long[] halfFields(DType dtype) {
        return switch (dtype) {
            case Q8_0, Q4_0, Q5_0 -> new long[] {0};
            case Q4_1, Q5_1, Q4_K, Q5_K -> new long[] {0, 2};
            case Q6_K -> new long[] {208};
            default -> throw new IllegalArgumentException(dtype.toString());
        };
    }

    private static int u8(MemorySegment d, long at) {
        return d.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    private static float f16(MemorySegment d, long at) {
        return Float.float16ToFloat(d.get(WeightReader.I16, at));
    }

    /** Bit {@code bit} of the little-endian bit string starting at byte {@code at}. */
    private static int bit(MemorySegment d, long at, int bit) {
        return u8(d, at + bit / 8) >> (bit % 8) & 1;
    }

    /** Value v of the block at byte b, straight from the definition. */
    private static float definition(DType dtype, MemorySegment d, long b, int v) {
        switch (dtype) {
            case Q8_0 -> {
                return d.get(ValueLayout.JAVA_BYTE, b + 2 + v) * f16(d, b);
            }
            case Q4_0 -> {
                return (nibble(d, b + 2, v) - 8) * f16(d, b);
            }
            case Q4_1 -> {
                float product = nibble(d, b + 4, v) * f16(d, b);
                return product + f16(d, b + 2);
            }
            case Q5_0 -> {
                int q = nibble(d, b + 6, v) + 16 * bit(d, b + 2, v);
                return (q - 16) * f16(d, b);
            }
            case Q5_1 -> {
                int q = nibble(d, b + 8, v) + 16 * bit(d, b + 4, v);
                float product = q * f16(d, b);
                return product + f16(d, b + 2);
            }
            case Q4_K, Q5_K -> {
                int sub = v / 32;
                int l = v % 32;
                long qs = b + (dtype == DType.Q4_K ? 16 : 48);
                int q = u8(d, qs + 32 * (sub / 2) + l) >> (4 * (sub % 2)) & 0xF;
                if (dtype == DType.Q5_K) {
                    q += 16 * (u8(d, b + 16 + l) >> sub & 1);
                }
                // The 12 scale bytes as three rows of four: d, m and their shared high parts.
                int[] sd = new int[4];
                int[] sm = new int[4];
                int[] shared = new int[4];
                for (int i = 0; i < 4; i++) {
                    sd[i] = u8(d, b + 4 + i);
                    sm[i] = u8(d, b + 8 + i);
                    shared[i] = u8(d, b + 12 + i);
                }
                int scale = sub < 4 ? sd[sub] & 0x3F : (shared[sub - 4] & 0x0F) | ((sd[sub - 4] >> 2) & 0x30);
                int min = sub < 4 ? sm[sub] & 0x3F : (shared[sub - 4] >> 4) | ((sm[sub - 4] >> 2) & 0x30);
                float ds = f16(d, b) * scale;
                float dm = f16(d, b + 2) * min;
                return ds * q - dm;
            }
            case Q6_K -> {
                int half = v / 128;
                int k = v % 128 / 32;
                int l = v % 32;
                int low = u8(d, b + 64 * half + 32 * (k % 2) + l) >> (4 * (k / 2)) & 0xF;
                int high = u8(d, b + 128 + 32 * half + l) >> (2 * k) & 3;
                float ds = f16(d, b + 208) * d.get(ValueLayout.JAVA_BYTE, b + 192 + v / 16);
                return ds * ((low | high << 4) - 32);
            }
            default -> throw new IllegalArgumentException(dtype.toString());
        }
    }

    /** The 4-bit value v of 32 stored as 16 bytes from {@code at}: v < 16 low nibbles, v ≥ 16 high nibbles. */
    private static int nibble(MemorySegment d, long at, int v) {
        return u8(d, at + v % 16) >> (4 * (v / 16)) & 0xF;
    }
}
