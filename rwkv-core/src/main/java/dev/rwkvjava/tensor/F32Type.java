package dev.rwkvjava.tensor;

import java.lang.foreign.MemorySegment;

/** IEEE float32 weights, little-endian. */
public final class F32Type extends WeightType {
    public static final F32Type INSTANCE = new F32Type();

    private F32Type() {
        super(DType.F32);
    }

    @Override
    public void decode(MemorySegment data, long offset, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = data.get(WeightReader.F32, offset + 4L * i);
        }
    }

    @Override
    public float dot(MemorySegment data, long offset, float[] x, int xOff, int n) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int c = 0;
        for (; c + 3 < n; c += 4) {
            long o = offset + 4L * c;
            s0 += data.get(WeightReader.F32, o) * x[xOff + c];
            s1 += data.get(WeightReader.F32, o + 4) * x[xOff + c + 1];
            s2 += data.get(WeightReader.F32, o + 8) * x[xOff + c + 2];
            s3 += data.get(WeightReader.F32, o + 12) * x[xOff + c + 3];
        }
        for (; c < n; c++) {
            s0 += data.get(WeightReader.F32, offset + 4L * c) * x[xOff + c];
        }
        return (s0 + s1) + (s2 + s3);
    }

    @Override
    public void encode(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        for (int i = 0; i < n; i++) {
            dst.set(WeightReader.F32, offset + 4L * i, src[srcOff + i]);
        }
    }

    @Override
    public float get(MemorySegment data, long index) {
        return data.get(WeightReader.F32, 4 * index);
    }
}
