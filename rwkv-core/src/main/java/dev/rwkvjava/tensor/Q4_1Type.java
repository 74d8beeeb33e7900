package dev.rwkvjava.tensor;

import java.lang.foreign.MemorySegment;

/**
 * ggml's Q4_1: blocks of 32 values in 20 bytes, {fp16 d, fp16 m, u8 qs[16]}, nibbles ordered as in Q4_0, and
 * w = nibble·d + m: the product is exact, then m is added with one rounding (the references' order; a fused
 * multiply-add gives the same float). Quantizing: d = (max − min) / 15, nibble = min(15, trunc((x − min) / d + ½))
 * in float32, m = min.
 */
public final class Q4_1Type extends BlockType {
    public static final Q4_1Type INSTANCE = new Q4_1Type();

    private Q4_1Type() {
        super(DType.Q4_1);
    }

    @Override
    public void decodeBlock(MemorySegment data, long offset, float[] out, int outOff) {
        float d = half(data, offset);
        float m = half(data, offset + 2);
        for (int j = 0; j < 16; j++) {
            int b = u8(data, offset + 4 + j);
            out[outOff + j] = (b & 0xF) * d + m;
            out[outOff + j + 16] = (b >>> 4) * d + m;
        }
    }

    @Override
    public void encodeBlock(float[] src, int srcOff, MemorySegment dst, long offset) {
        float min = src[srcOff];
        float max = src[srcOff];
        for (int j = 1; j < 32; j++) {
            min = Math.min(min, src[srcOff + j]);
            max = Math.max(max, src[srcOff + j]);
        }
        float d = (max - min) / 15;
        float id = inverse(d);
        putHalf(dst, offset, d);
        putHalf(dst, offset + 2, min);
        for (int j = 0; j < 16; j++) {
            int lo = clip((src[srcOff + j] - min) * id + 0.5f, 15);
            int hi = clip((src[srcOff + j + 16] - min) * id + 0.5f, 15);
            putU8(dst, offset + 4 + j, lo | hi << 4);
        }
    }
}
