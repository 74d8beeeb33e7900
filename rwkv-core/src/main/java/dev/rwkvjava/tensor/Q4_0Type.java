package dev.rwkvjava.tensor;

import java.lang.foreign.MemorySegment;

/**
 * ggml's Q4_0: blocks of 32 values in 18 bytes, {fp16 d, u8 qs[16]}; value j &lt; 16 is the low nibble of qs[j],
 * value j + 16 its high nibble, and w = (nibble − 8)·d, exact in float32. Quantizing: m = the value of largest
 * magnitude, d = m / −8, nibble = min(15, trunc(x·(1/d) + 8.5)), the product and the sum each rounded to
 * float32, not fused (so ggml's and gguf-py's Q4_0 files were made: a fused multiply-add rounds some values the
 * other way).
 */
public final class Q4_0Type extends BlockType {
    public static final Q4_0Type INSTANCE = new Q4_0Type();

    private Q4_0Type() {
        super(DType.Q4_0);
    }

    @Override
    public void decodeBlock(MemorySegment data, long offset, float[] out, int outOff) {
        float d = half(data, offset);
        for (int j = 0; j < 16; j++) {
            int b = u8(data, offset + 2 + j);
            out[outOff + j] = ((b & 0xF) - 8) * d;
            out[outOff + j + 16] = ((b >>> 4) - 8) * d;
        }
    }

    @Override
    public void encodeBlock(float[] src, int srcOff, MemorySegment dst, long offset) {
        float d = signedMax(src, srcOff, 32) / -8;
        float id = inverse(d);
        putHalf(dst, offset, d);
        for (int j = 0; j < 16; j++) {
            int lo = clip(src[srcOff + j] * id + 8.5f, 15);
            int hi = clip(src[srcOff + j + 16] * id + 8.5f, 15);
            putU8(dst, offset + 2 + j, lo | hi << 4);
        }
    }
}
