package dev.rwkvjava.tensor;

import java.lang.foreign.MemorySegment;

/** bfloat16 weights: the upper 16 bits of a float32, little-endian. */
public final class BF16Type extends WeightType {
    public static final BF16Type INSTANCE = new BF16Type();

    private BF16Type() {
        super(DType.BF16);
    }

    @Override
    public void decode(MemorySegment data, long offset, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = WeightReader.bf16ToFloat(data.get(WeightReader.I16, offset + 2L * i));
        }
    }

    @Override
    public float dot(MemorySegment data, long offset, float[] x, int xOff, int n) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int c = 0;
        for (; c + 3 < n; c += 4) {
            long o = offset + 2L * c;
            s0 += WeightReader.bf16ToFloat(data.get(WeightReader.I16, o)) * x[xOff + c];
            s1 += WeightReader.bf16ToFloat(data.get(WeightReader.I16, o + 2)) * x[xOff + c + 1];
            s2 += WeightReader.bf16ToFloat(data.get(WeightReader.I16, o + 4)) * x[xOff + c + 2];
            s3 += WeightReader.bf16ToFloat(data.get(WeightReader.I16, o + 6)) * x[xOff + c + 3];
        }
        for (; c < n; c++) {
            s0 += WeightReader.bf16ToFloat(data.get(WeightReader.I16, offset + 2L * c)) * x[xOff + c];
        }
        return (s0 + s1) + (s2 + s3);
    }

    @Override
    public void encode(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        for (int i = 0; i < n; i++) {
            dst.set(WeightReader.I16, offset + 2L * i, WeightReader.floatToBf16(src[srcOff + i]));
        }
    }

    @Override
    public float get(MemorySegment data, long index) {
        return WeightReader.bf16ToFloat(data.get(WeightReader.I16, 2 * index));
    }
}
