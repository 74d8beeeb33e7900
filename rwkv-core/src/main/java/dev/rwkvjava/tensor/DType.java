package dev.rwkvjava.tensor;

/**
 * Element types of stored tensors. Activations and state are always F32; weights may be of any type that has a
 * {@link WeightType}: the float types and the ggml block types.
 *
 * <p>The ggml block types (Q8_0, Q4_0, Q4_K, ...) store a row in blocks of {@link #blockElements()} values taking
 * {@link #blockBytes()} bytes each, bit for bit as ggml lays them out (so GGUF and rwkv.cpp files map in place).
 * For the plain types a block is one element.
 */
public enum DType {
    F32(4), F16(2), BF16(2), F64(8), I32(4), I64(8), I16(2), I8(1), U8(1), BOOL(1),
    /** 32 values: fp16 scale d, 32 int8 q; w = q·d. */
    Q8_0(32, 34),
    /** 32 values: fp16 d, 16 bytes of nibbles (low nibbles values 0..15, high nibbles 16..31); w = (q − 8)·d. */
    Q4_0(32, 18),
    /** 32 values: fp16 d, fp16 m, 16 bytes of nibbles; w = q·d + m. */
    Q4_1(32, 20),
    /** 32 values: fp16 d, 4 bytes of fifth bits, 16 bytes of nibbles; w = (q − 16)·d. */
    Q5_0(32, 22),
    /** 32 values: fp16 d, fp16 m, 4 bytes of fifth bits, 16 bytes of nibbles; w = q·d + m. */
    Q5_1(32, 24),
    /** 256 values in 8 sub-blocks of 32 with 6-bit scales and mins: fp16 d, fp16 dmin, 12 bytes scales, 128 nibbles. */
    Q4_K(256, 144),
    /** As Q4_K with a fifth bit per value (32 more bytes). */
    Q5_K(256, 176),
    /** 256 values in 16 sub-blocks of 16 with int8 scales: 128 low nibbles, 64 high 2-bit pairs, 16 scales, fp16 d. */
    Q6_K(256, 210);

    private final int blockElements;
    private final int blockBytes;

    DType(int bytes) {
        this(1, bytes);
    }

    DType(int blockElements, int blockBytes) {
        this.blockElements = blockElements;
        this.blockBytes = blockBytes;
    }

    /** Size of one element in bytes; only for the plain (one element a block) types. */
    public int bytes() {
        if (blockElements != 1) {
            throw new UnsupportedOperationException(this + " is a block type: " + blockBytes + " bytes per "
                    + blockElements + " elements");
        }
        return blockBytes;
    }

    /** Elements per block (1 for the plain types). */
    public int blockElements() {
        return blockElements;
    }

    /** Bytes per block (the element size for the plain types). */
    public int blockBytes() {
        return blockBytes;
    }

    /** Whether values are stored in blocks of several (the ggml quantized types). */
    public boolean isBlockType() {
        return blockElements != 1;
    }

    /**
     * Bytes that {@code elements} values take, or -1 when they are not a whole number of blocks.
     *
     * @throws ArithmeticException on overflow
     */
    public long byteSize(long elements) {
        if (elements % blockElements != 0) {
            return -1;
        }
        return Math.multiplyExact(elements / blockElements, (long) blockBytes);
    }

    /** Whether weights of this type can be used directly by the kernels (it has a {@link WeightType}). */
    public boolean isWeightType() {
        return WeightType.exists(this);
    }

    /** The safetensors dtype name ("F32", "BF16", ...), or null when the name is not known. */
    public static DType fromSafetensorsName(String name) {
        for (DType t : values()) {
            if (!t.isBlockType() && t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }
}
