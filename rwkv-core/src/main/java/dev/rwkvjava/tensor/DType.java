package dev.rwkvjava.tensor;

/** Element types of stored tensors. Activations and state are always F32; weights may be any of the float types. */
public enum DType {
    F32(4), F16(2), BF16(2), F64(8), I32(4), I64(8), I16(2), I8(1), U8(1), BOOL(1);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** Size of one element in bytes. */
    public int bytes() {
        return bytes;
    }

    /** Whether weights of this type can be used directly by the kernels. */
    public boolean isWeightType() {
        return this == F32 || this == F16 || this == BF16;
    }

    /** The safetensors dtype name ("F32", "BF16", ...), or null when the name is not known. */
    public static DType fromSafetensorsName(String name) {
        for (DType t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }
}
