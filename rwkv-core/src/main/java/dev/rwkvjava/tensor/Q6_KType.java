package dev.rwkvjava.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * ggml's Q6_K: super-blocks of 256 values in 210 bytes, {u8 ql[128], u8 qh[64], int8 scales[16], fp16 d}, in two
 * halves of 128 values. In half h, value 32k + l (k in 0..3, l in 0..31) has its low four bits in
 * {@code ql[64h + 32(k & 1) + l]} (low nibble for k &lt; 2, high nibble otherwise) and its top two bits at bit 2k
 * of {@code qh[32h + l]}; q = those six bits − 32, and w = (d·scale)·q with the int8 scale of the value's group of
 * 16. Exact in float32 (at most 11 + 7 + 5 significant bits).
 */
public final class Q6_KType extends BlockType {
    public static final Q6_KType INSTANCE = new Q6_KType();

    private Q6_KType() {
        super(DType.Q6_K);
    }

    @Override
    public void decodeBlock(MemorySegment data, long offset, float[] out, int outOff) {
        long ql = offset;
        long qh = offset + 128;
        long scales = offset + 192;
        float d = half(data, offset + 208);
        for (int h = 0; h < 2; h++) {
            for (int k = 0; k < 4; k++) {
                int o = outOff + 128 * h + 32 * k;
                for (int l = 0; l < 32; l++) {
                    int lowByte = u8(data, ql + 64 * h + 32 * (k & 1) + l);
                    int low = k < 2 ? lowByte & 0xF : lowByte >>> 4;
                    int high = (u8(data, qh + 32 * h + l) >>> (2 * k)) & 3;
                    int group = (128 * h + 32 * k + l) / 16;
                    float ds = d * data.get(ValueLayout.JAVA_BYTE, scales + group);
                    out[o + l] = ds * ((low | high << 4) - 32);
                }
            }
        }
    }

    @Override
    public void encodeBlock(float[] src, int srcOff, MemorySegment dst, long offset) {
        KQuants.encodeQ6K(src, srcOff, dst, offset);
    }
}
