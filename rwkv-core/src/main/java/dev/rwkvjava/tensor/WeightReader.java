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

    /**
     * Element {@code index} of a tensor of type {@code dtype}, as float.
     *
     * @throws IllegalArgumentException if dtype cannot hold weights
     */
    public static float get(MemorySegment data, DType dtype, long index) {
        return WeightType.of(dtype).get(data, index);
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

    /**
     * Converts a whole (small) tensor to floats, e.g. layer-norm weights or time-mix vectors.
     *
     * @throws IllegalArgumentException if dtype cannot hold weights, or the data is not a whole number of its blocks
     */
    public static float[] toFloatArray(MemorySegment data, DType dtype) {
        WeightType type = WeightType.of(dtype);
        if (data.byteSize() % type.blockBytes() != 0) {
            throw new IllegalArgumentException(data.byteSize() + " bytes are not whole " + dtype + " blocks of "
                    + type.blockBytes() + " bytes");
        }
        long n = data.byteSize() / type.blockBytes() * type.blockElements();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor too large to convert: " + n + " elements");
        }
        float[] out = new float[(int) n];
        type.decode(data, 0, out, 0, out.length);
        return out;
    }
}
