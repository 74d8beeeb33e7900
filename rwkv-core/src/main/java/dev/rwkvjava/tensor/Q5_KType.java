package dev.rwkvjava.tensor;

import java.lang.foreign.MemorySegment;

/**
 * ggml's Q5_K: super-blocks of 256 values in 176 bytes, {fp16 d, fp16 dmin, u8 scales[12], u8 qh[32],
 * u8 qs[128]}: Q4_K's scales, mins and nibbles, and a fifth bit for value l of sub-block j in bit j of qh[l];
 * w = (d·s)·q − dmin·m with q in 0..31, the products exact in float32.
 */
public final class Q5_KType extends BlockType {
    public static final Q5_KType INSTANCE = new Q5_KType();

    private Q5_KType() {
        super(DType.Q5_K);
    }

    @Override
    public void decodeBlock(MemorySegment data, long offset, float[] out, int outOff) {
        float d = half(data, offset);
        float dmin = half(data, offset + 2);
        long scales = offset + 4;
        long qh = offset + 16;
        long qs = offset + 48;
        for (int i = 0; i < 4; i++) {
            float d1 = d * Q4_KType.scale(data, scales, 2 * i);
            float m1 = dmin * Q4_KType.min(data, scales, 2 * i);
            float d2 = d * Q4_KType.scale(data, scales, 2 * i + 1);
            float m2 = dmin * Q4_KType.min(data, scales, 2 * i + 1);
            int o = outOff + 64 * i;
            for (int l = 0; l < 32; l++) {
                int b = u8(data, qs + 32 * i + l);
                int h = u8(data, qh + l);
                out[o + l] = d1 * ((b & 0xF) | ((h >>> (2 * i)) & 1) << 4) - m1;
                out[o + 32 + l] = d2 * ((b >>> 4) | ((h >>> (2 * i + 1)) & 1) << 4) - m2;
            }
        }
    }

    @Override
    public void encodeBlock(float[] src, int srcOff, MemorySegment dst, long offset) {
        KQuants.encodeQ5K(src, srcOff, dst, offset);
    }
}
