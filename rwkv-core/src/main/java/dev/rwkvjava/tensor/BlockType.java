package dev.rwkvjava.tensor;

import java.lang.foreign.MemorySegment;

/**
 * The ggml block types: a row is cut into blocks of {@link #blockElements()} consecutive values, each stored as
 * {@link #blockBytes()} bytes in ggml's layout, bit for bit. A type says how one block decodes and how floats
 * quantize into one; rows, dot products and single values follow from that here.
 */
public abstract sealed class BlockType extends WeightType
        permits Q8_0Type, Q4_0Type, Q4_1Type, Q5_0Type, Q5_1Type, Q4_KType, Q5_KType, Q6_KType {
    /** One decoded block per thread, for {@link #dot} and {@link #get}. */
    private static final ThreadLocal<float[]> BLOCK = ThreadLocal.withInitial(() -> new float[256]);

    BlockType(DType dtype) {
        super(dtype);
    }

    /** Decodes the block at byte {@code offset} into {@code out[outOff .. outOff + blockElements())}. Exact. */
    public abstract void decodeBlock(MemorySegment data, long offset, float[] out, int outOff);

    /**
     * Quantizes {@code src[srcOff .. srcOff + blockElements())} into one block at byte {@code offset}, rounding as
     * ggml's reference quantizer does.
     */
    public abstract void encodeBlock(float[] src, int srcOff, MemorySegment dst, long offset);

    @Override
    public final void decode(MemorySegment data, long offset, float[] out, int outOff, int n) {
        checkWhole(n);
        int be = blockElements();
        for (int i = 0; i < n; i += be, offset += blockBytes()) {
            decodeBlock(data, offset, out, outOff + i);
        }
    }

    @Override
    public float dot(MemorySegment data, long offset, float[] x, int xOff, int n) {
        checkWhole(n);
        float[] w = BLOCK.get();
        int be = blockElements();
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (int c = 0; c < n; c += be, offset += blockBytes()) {
            decodeBlock(data, offset, w, 0);
            int xc = xOff + c;
            // Every block size is a multiple of 4, so value j of a block is column c + j ≡ j (mod 4).
            for (int j = 0; j < be; j += 4) {
                s0 += w[j] * x[xc + j];
                s1 += w[j + 1] * x[xc + j + 1];
                s2 += w[j + 2] * x[xc + j + 2];
                s3 += w[j + 3] * x[xc + j + 3];
            }
        }
        return (s0 + s1) + (s2 + s3);
    }

    @Override
    public final void encode(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        checkWhole(n);
        int be = blockElements();
        for (int i = 0; i < n; i += be, offset += blockBytes()) {
            encodeBlock(src, srcOff + i, dst, offset);
        }
    }

    @Override
    public final float get(MemorySegment data, long index) {
        float[] w = BLOCK.get();
        decodeBlock(data, index / blockElements() * blockBytes(), w, 0);
        return w[(int) (index % blockElements())];
    }

    private void checkWhole(int n) {
        if (n < 0 || n % blockElements() != 0) {
            throw new IllegalArgumentException(this + ": " + n + " values are not a whole number of blocks of "
                    + blockElements());
        }
    }

    // ---- shared by the types ----------------------------------------------------------------------------------

    /** The fp16 at byte {@code offset}, as float (exact, subnormals, infinities and NaN included). */
    static float half(MemorySegment data, long offset) {
        return Float.float16ToFloat(data.get(WeightReader.I16, offset));
    }

    static void putHalf(MemorySegment data, long offset, float value) {
        data.set(WeightReader.I16, offset, Float.floatToFloat16(value));
    }

    static int u8(MemorySegment data, long offset) {
        return data.get(java.lang.foreign.ValueLayout.JAVA_BYTE, offset) & 0xFF;
    }

    static void putU8(MemorySegment data, long offset, int value) {
        data.set(java.lang.foreign.ValueLayout.JAVA_BYTE, offset, (byte) value);
    }

    /**
     * The value of largest magnitude among {@code src[off .. off + n)}, the first such one on ties (what
     * ggml's reference quantizers of the symmetric types scale by, sign included).
     */
    static float signedMax(float[] src, int off, int n) {
        float amax = 0;
        float max = 0;
        for (int i = off; i < off + n; i++) {
            float a = Math.abs(src[i]);
            if (a > amax) {
                amax = a;
                max = src[i];
            }
        }
        return max;
    }

    /** C's roundf: to nearest, halves away from zero (Math.round rounds halves up). */
    static float roundHalfAway(float v) {
        float a = Math.abs(v);
        if (!(a < 0x1p23f)) {
            return v; // an integer already (floats this large have no fraction), or NaN
        }
        // a + ½ is exact in double, and truncation is floor for a ≥ 0: no branch on the data (a branch taken half
        // the time at random made quantizing several times slower).
        return Math.copySign((float) (int) (a + 0.5), v);
    }

    /** 1 / d, or 0 when d is 0 (a block of zeros quantizes to zeros). */
    static float inverse(float d) {
        return d != 0 ? 1 / d : 0;
    }

    /** (int) v clipped to [0, max]: C's truncating conversion of a non-negative value, then the reference's clip. */
    static int clip(float v, int max) {
        int q = (int) v;
        return Math.max(0, Math.min(max, q));
    }
}
