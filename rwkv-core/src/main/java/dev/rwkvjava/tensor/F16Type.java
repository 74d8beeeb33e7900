package dev.rwkvjava.tensor;

import java.lang.foreign.MemorySegment;

/**
 * IEEE half-precision weights, little-endian. Fast vector decodings of halves are only right for some of them,
 * so an F16 matrix is scanned once (the first time a kernel asks) for what those decodings must know:
 * {@link #hasNonFiniteHalves} and {@link #zeroExponentHalves}.
 */
public final class F16Type extends WeightType {
    public static final F16Type INSTANCE = new F16Type();

    private F16Type() {
        super(DType.F16);
    }

    @Override
    public void decode(MemorySegment data, long offset, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = Float.float16ToFloat(data.get(WeightReader.I16, offset + 2L * i));
        }
    }

    @Override
    public float dot(MemorySegment data, long offset, float[] x, int xOff, int n) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int c = 0;
        for (; c + 3 < n; c += 4) {
            long o = offset + 2L * c;
            s0 += Float.float16ToFloat(data.get(WeightReader.I16, o)) * x[xOff + c];
            s1 += Float.float16ToFloat(data.get(WeightReader.I16, o + 2)) * x[xOff + c + 1];
            s2 += Float.float16ToFloat(data.get(WeightReader.I16, o + 4)) * x[xOff + c + 2];
            s3 += Float.float16ToFloat(data.get(WeightReader.I16, o + 6)) * x[xOff + c + 3];
        }
        for (; c < n; c++) {
            s0 += Float.float16ToFloat(data.get(WeightReader.I16, offset + 2L * c)) * x[xOff + c];
        }
        return (s0 + s1) + (s2 + s3);
    }

    @Override
    public void encode(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        for (int i = 0; i < n; i++) {
            dst.set(WeightReader.I16, offset + 2L * i, Float.floatToFloat16(src[srcOff + i]));
        }
    }

    @Override
    public float get(MemorySegment data, long index) {
        return Float.float16ToFloat(data.get(WeightReader.I16, 2 * index));
    }

    @Override
    Object scan(MemorySegment data, int rows, int cols) {
        return F16Facts.scan(data, rows, cols);
    }

    /**
     * Whether the matrix is F16 and holds an infinite or NaN value. The first question about a matrix scans its
     * data; later ones return the kept answer. Kernels that decode halves with a shortcut which is only right for
     * finite values ask this to choose the exact decoding instead.
     */
    public static boolean hasNonFiniteHalves(Matrix m) {
        return m.type() == INSTANCE && facts(m).nonFinite;
    }

    /**
     * Where the F16 matrix holds halves whose exponent field is zero (zeros and subnormals), or null when they are
     * more than one in {@value F16Facts#LISTED_FRACTION} (and more than {@value F16Facts#MIN_LISTED}). Kernels whose
     * fast decoding is only right for the other halves correct these few afterwards. Found by the same one-time
     * scan as {@link #hasNonFiniteHalves}.
     *
     * @throws IllegalStateException if m is not F16
     */
    public static SparseHalves zeroExponentHalves(Matrix m) {
        return facts(m).zeroExponent;
    }

    private static F16Facts facts(Matrix m) {
        if (m.type() != INSTANCE) {
            throw new IllegalStateException("tensor " + m.name() + " is " + m.dtype() + ", not F16");
        }
        return (F16Facts) m.facts();
    }
}
