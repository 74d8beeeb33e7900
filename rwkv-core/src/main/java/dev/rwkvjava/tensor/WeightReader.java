package dev.rwkvjava.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Element access to little-endian weight data, one value at a time. */
public final class WeightReader {
    public static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private WeightReader() {
    }

    /** Element {@code index} of a tensor of type {@code dtype}, as float. */
    public static float get(MemorySegment data, DType dtype, long index) {
        return switch (dtype) {
            case F32 -> data.get(F32, index * 4);
            case F16 -> Float.float16ToFloat(data.get(I16, index * 2));
            case BF16 -> bf16ToFloat(data.get(I16, index * 2));
            default -> throw new IllegalArgumentException("not a float weight type: " + dtype);
        };
    }

    /** bfloat16 is the upper half of an IEEE float32. */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** Rounds to nearest even; NaN stays NaN. */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /** Converts a whole (small) tensor to floats, e.g. layer-norm weights or time-mix vectors. */
    public static float[] toFloatArray(MemorySegment data, DType dtype) {
        long n = data.byteSize() / dtype.bytes();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor too large to convert: " + n + " elements");
        }
        float[] out = new float[(int) n];
        for (int i = 0; i < out.length; i++) {
            out[i] = get(data, dtype, i);
        }
        return out;
    }
}
