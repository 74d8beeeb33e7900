package dev.rwkvjava.tensor;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * How weights of one {@link DType} are stored and read: the block geometry (a row is a whole number of blocks of
 * {@link #blockElements()} values taking {@link #blockBytes()} bytes each; the plain float types have blocks of
 * one value), and the scalar reference code that decodes values, takes the dot product of a row with float
 * activations and encodes floats into the type (rounding, or quantizing for the block types).
 *
 * <p>To quantize (or round) float weights, as on load or when converting a model: {@link #encode} a row or a whole
 * tensor of whole blocks into bytes, or {@link Matrix#of} for a matrix ready for the kernels. The block types
 * quantize as ggml's reference quantizers do (byte for byte for Q8_0, Q4_0, Q4_1, Q5_0 and Q5_1).
 *
 * <p>Each type is one class; {@link #of(DType)} finds it. The Vector API kernels have one class per type too, in
 * {@code kernel.panama}, found from this one. Decoding is exact: every block type's values are products and sums
 * that float32 represents without rounding (see each class), so a type's decoded weights are unambiguous.
 */
public abstract sealed class WeightType permits F32Type, F16Type, BF16Type, BlockType {
    /**
     * The registration of every type. A class of its own: the types' instances are made when it is first used,
     * after WeightType itself is initialized (a subclass read from WeightType's own initializer could still be null).
     */
    private static final class Registry {
        static final List<WeightType> ALL = List.of(F32Type.INSTANCE, F16Type.INSTANCE, BF16Type.INSTANCE,
                Q8_0Type.INSTANCE, Q4_0Type.INSTANCE, Q4_1Type.INSTANCE, Q5_0Type.INSTANCE, Q5_1Type.INSTANCE,
                Q4_KType.INSTANCE, Q5_KType.INSTANCE, Q6_KType.INSTANCE);
        /** The types by {@link DType#ordinal()}; null where a dtype cannot hold weights. */
        static final WeightType[] BY_DTYPE = new WeightType[DType.values().length];

        static {
            for (WeightType t : ALL) {
                BY_DTYPE[t.dtype.ordinal()] = t;
            }
        }
    }

    private final DType dtype;

    WeightType(DType dtype) {
        this.dtype = dtype;
    }

    /**
     * The type of weights stored as {@code dtype}.
     *
     * @throws IllegalArgumentException when that dtype cannot hold weights (integers, F64)
     */
    public static WeightType of(DType dtype) {
        WeightType t = Registry.BY_DTYPE[dtype.ordinal()];
        if (t == null) {
            throw new IllegalArgumentException("dtype " + dtype + " cannot hold weights (expected one of "
                    + Registry.ALL.stream().map(w -> w.dtype.name()).toList() + ")");
        }
        return t;
    }

    /**
     * The type of the given name, in any case: {@code f32}, {@code f16}, {@code bf16}, {@code q8_0}, {@code q4_0},
     * {@code q4_1}, {@code q5_0}, {@code q5_1}, {@code q4_k}, {@code q5_k}, {@code q6_k} (for options such as
     * {@code --quantize q8_0}).
     *
     * @throws IllegalArgumentException naming the known types when there is none of that name
     */
    public static WeightType named(String name) {
        for (WeightType t : Registry.ALL) {
            if (t.dtype.name().equalsIgnoreCase(name.trim())) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown weight type '" + name + "' (expected one of "
                + Registry.ALL.stream().map(w -> w.dtype.name().toLowerCase(java.util.Locale.ROOT)).toList() + ")");
    }

    /** Whether {@code dtype} has a weight type. */
    public static boolean exists(DType dtype) {
        return Registry.BY_DTYPE[dtype.ordinal()] != null;
    }

    /** Every weight type, plain ones first. */
    public static List<WeightType> all() {
        return Registry.ALL;
    }

    public final DType dtype() {
        return dtype;
    }

    /** Values per block (1 for F32, F16 and BF16). */
    public final int blockElements() {
        return dtype.blockElements();
    }

    /** Bytes per block. */
    public final int blockBytes() {
        return dtype.blockBytes();
    }

    /**
     * Bytes of one row of {@code cols} values.
     *
     * @throws IllegalArgumentException if cols is not a positive multiple of {@link #blockElements()}
     */
    public final long rowBytes(long cols) {
        if (cols <= 0 || cols % blockElements() != 0) {
            throw new IllegalArgumentException(dtype + " rows must be a positive multiple of " + blockElements()
                    + " values, not " + cols);
        }
        return Math.multiplyExact(cols / blockElements(), (long) blockBytes());
    }

    /**
     * Decodes {@code n} values, a whole number of blocks, starting at byte {@code offset} of {@code data} (the start
     * of a block), into {@code out[outOff .. outOff + n)}. Exact.
     */
    public abstract void decode(MemorySegment data, long offset, float[] out, int outOff, int n);

    /**
     * Σ w[c]·x[xOff + c] over the {@code n} values (a whole number of blocks) at byte {@code offset}, in the fixed
     * order every type shares: value c into the c mod 4'th of four float sums, each in increasing c, then
     * (s0 + s1) + (s2 + s3). So a row of any type gives the bits that an F32 row of its decoded values gives.
     */
    public abstract float dot(MemorySegment data, long offset, float[] x, int xOff, int n);

    /**
     * Stores {@code n} values (a whole number of blocks) from {@code src[srcOff ..]} at byte {@code offset} of
     * {@code dst}: rounded to nearest for the float types, quantized as ggml's reference quantizer does for the
     * block types. The same input gives the same bytes on every run.
     */
    public abstract void encode(float[] src, int srcOff, int n, MemorySegment dst, long offset);

    /** Value {@code index} of a tensor of this type stored from byte 0 of {@code data}. Slow: one value at a time. */
    public abstract float get(MemorySegment data, long index);

    /**
     * Facts about a rows × cols matrix that this type's kernels need and that a scan finds once (see
     * {@link Matrix#facts()}), or null when the type needs none.
     */
    Object scan(MemorySegment data, int rows, int cols) {
        return null;
    }

    @Override
    public String toString() {
        return dtype.name();
    }
}
