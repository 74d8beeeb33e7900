package dev.rwkvjava.tensor;

import java.lang.foreign.MemorySegment;

/**
 * ggml's Q5_1: blocks of 32 values in 24 bytes, {fp16 d, fp16 m, u32 qh, u8 qs[16]}, the 5-bit q as in Q5_0 and
 * w = q·d + m: the product is exact, then m is added with one rounding (as the rwkv.cpp references compute it).
 * Quantizing: d = (max − min) / 31, q = min(31, trunc((x − min) / d + ½)) in float32, m = min.
 */
public final class Q5_1Type extends BlockType {
    public static final Q5_1Type INSTANCE = new Q5_1Type();

    private Q5_1Type() {
        super(DType.Q5_1);
    }

    @Override
    public void decodeBlock(MemorySegment data, long offset, float[] out, int outOff) {
        float d = half(data, offset);
        float m = half(data, offset + 2);
        int qh = data.get(WeightReader.I32, offset + 4);
        for (int j = 0; j < 16; j++) {
            int b = u8(data, offset + 8 + j);
            int lo = (b & 0xF) | ((qh >>> j) & 1) << 4;
            int hi = (b >>> 4) | ((qh >>> (j + 16)) & 1) << 4;
            out[outOff + j] = lo * d + m;
            out[outOff + j + 16] = hi * d + m;
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
        float d = (max - min) / 31;
        float id = inverse(d);
        putHalf(dst, offset, d);
        putHalf(dst, offset + 2, min);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int lo = clip((src[srcOff + j] - min) * id + 0.5f, 31);
            int hi = clip((src[srcOff + j + 16] - min) * id + 0.5f, 31);
            putU8(dst, offset + 8 + j, (lo & 0xF) | (hi & 0xF) << 4);
            qh |= (lo >>> 4) << j | (hi >>> 4) << (j + 16);
        }
        dst.set(WeightReader.I32, offset + 4, qh);
    }
}
