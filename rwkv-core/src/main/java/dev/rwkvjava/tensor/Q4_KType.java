package dev.rwkvjava.tensor;

import java.lang.foreign.MemorySegment;

/**
 * ggml's Q4_K: super-blocks of 256 values in 144 bytes, {fp16 d, fp16 dmin, u8 scales[12], u8 qs[128]}, eight
 * sub-blocks of 32 values each with a 6-bit scale s and a 6-bit min m packed in {@code scales} (see
 * {@link #scale} and {@link #min}). The 32 bytes {@code qs[32i ..]} hold sub-block 2i in their low nibbles and
 * sub-block 2i + 1 in their high nibbles; w = (d·s)·q − dmin·m. Both products are exact in float32 (at most
 * 11 + 6 + 4 significant bits), so only the subtraction rounds.
 */
public final class Q4_KType extends BlockType {
    public static final Q4_KType INSTANCE = new Q4_KType();

    private Q4_KType() {
        super(DType.Q4_K);
    }

    @Override
    public void decodeBlock(MemorySegment data, long offset, float[] out, int outOff) {
        float d = half(data, offset);
        float dmin = half(data, offset + 2);
        long scales = offset + 4;
        long qs = offset + 16;
        for (int i = 0; i < 4; i++) {
            float d1 = d * scale(data, scales, 2 * i);
            float m1 = dmin * min(data, scales, 2 * i);
            float d2 = d * scale(data, scales, 2 * i + 1);
            float m2 = dmin * min(data, scales, 2 * i + 1);
            int o = outOff + 64 * i;
            for (int l = 0; l < 32; l++) {
                int b = u8(data, qs + 32 * i + l);
                out[o + l] = d1 * (b & 0xF) - m1;
                out[o + 32 + l] = d2 * (b >>> 4) - m2;
            }
        }
    }

    /**
     * The 6-bit scale of sub-block j (0..7) from the 12 packed bytes at {@code at}: for j &lt; 4 the low six bits
     * of byte j; for j ≥ 4 the low nibble of byte j + 4 with the top two bits of byte j − 4 above it.
     */
    public static int scale(MemorySegment data, long at, int j) {
        return j < 4 ? u8(data, at + j) & 63
                : (u8(data, at + j + 4) & 0xF) | (u8(data, at + j - 4) >>> 6) << 4;
    }

    /**
     * The 6-bit min of sub-block j: for j &lt; 4 the low six bits of byte j + 4; for j ≥ 4 the high nibble of byte
     * j + 4 with the top two bits of byte j above it.
     */
    public static int min(MemorySegment data, long at, int j) {
        return j < 4 ? u8(data, at + j + 4) & 63
                : (u8(data, at + j + 4) >>> 4) | (u8(data, at + j) >>> 6) << 4;
    }

    /** Packs the eight 6-bit scales and mins as {@link #scale} and {@link #min} unpack them. */
    static void putScalesAndMins(MemorySegment data, long at, int[] sc, int[] mn) {
        for (int j = 0; j < 4; j++) {
            putU8(data, at + j, sc[j] | (sc[j + 4] >>> 4) << 6);
            putU8(data, at + j + 4, mn[j] | (mn[j + 4] >>> 4) << 6);
            putU8(data, at + j + 8, (sc[j + 4] & 0xF) | (mn[j + 4] & 0xF) << 4);
        }
    }

    @Override
    public void encodeBlock(float[] src, int srcOff, MemorySegment dst, long offset) {
        KQuants.encodeQ4K(src, srcOff, dst, offset);
    }
}
