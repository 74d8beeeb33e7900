package dev.rwkvjava.tensor;

import java.lang.foreign.MemorySegment;

/**
 * ggml's Q5_0: blocks of 32 values in 22 bytes, {fp16 d, u32 qh, u8 qs[16]}; the low four bits of value j come
 * from qs as in Q4_0, its fifth bit is bit j of qh (little-endian), and w = (q − 16)·d, exact in float32.
 * Quantizing: m = the value of largest magnitude, d = m / −16, q = min(31, trunc(x·(1/d) + 16.5)), product and
 * sum each rounded to float32 as in Q4_0.
 */
public final class Q5_0Type extends BlockType {
    public static final Q5_0Type INSTANCE = new Q5_0Type();

    private Q5_0Type() {
        super(DType.Q5_0);
    }

    @Override
    public void decodeBlock(MemorySegment data, long offset, float[] out, int outOff) {
        float d = half(data, offset);
        int qh = data.get(WeightReader.I32, offset + 2);
        for (int j = 0; j < 16; j++) {
            int b = u8(data, offset + 6 + j);
            int lo = (b & 0xF) | ((qh >>> j) & 1) << 4;
            int hi = (b >>> 4) | ((qh >>> (j + 16)) & 1) << 4;
            out[outOff + j] = (lo - 16) * d;
            out[outOff + j + 16] = (hi - 16) * d;
        }
    }

    @Override
    public void encodeBlock(float[] src, int srcOff, MemorySegment dst, long offset) {
        float d = signedMax(src, srcOff, 32) / -16;
        float id = inverse(d);
        putHalf(dst, offset, d);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int lo = clip(src[srcOff + j] * id + 16.5f, 31);
            int hi = clip(src[srcOff + j + 16] * id + 16.5f, 31);
            putU8(dst, offset + 6 + j, (lo & 0xF) | (hi & 0xF) << 4);
            qh |= (lo >>> 4) << j | (hi >>> 4) << (j + 16);
        }
        dst.set(WeightReader.I32, offset + 2, qh);
    }
}
