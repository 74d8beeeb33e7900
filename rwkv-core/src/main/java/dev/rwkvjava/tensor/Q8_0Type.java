package dev.rwkvjava.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * ggml's Q8_0: blocks of 32 values in 34 bytes, {fp16 d, int8 q[32]}, value j = q[j]·d. The product is exact in
 * float32 (at most 8 + 11 significant bits). Quantizing: d = max|x| / 127, q = round(x / d) halves away from zero.
 */
public final class Q8_0Type extends BlockType {
    public static final Q8_0Type INSTANCE = new Q8_0Type();

    private Q8_0Type() {
        super(DType.Q8_0);
    }

    @Override
    public void decodeBlock(MemorySegment data, long offset, float[] out, int outOff) {
        float d = half(data, offset);
        for (int j = 0; j < 32; j++) {
            out[outOff + j] = data.get(ValueLayout.JAVA_BYTE, offset + 2 + j) * d;
        }
    }

    @Override
    public void encodeBlock(float[] src, int srcOff, MemorySegment dst, long offset) {
        float amax = 0;
        for (int j = 0; j < 32; j++) {
            float a = Math.abs(src[srcOff + j]);
            amax = amax > a ? amax : a; // ggml's MAX(amax, a)
        }
        float d = amax / 127;
        float id = inverse(d);
        putHalf(dst, offset, d);
        for (int j = 0; j < 32; j++) {
            dst.set(ValueLayout.JAVA_BYTE, offset + 2 + j, (byte) roundHalfAway(src[srcOff + j] * id));
        }
    }
}
