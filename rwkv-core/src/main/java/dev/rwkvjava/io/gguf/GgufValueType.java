package dev.rwkvjava.io.gguf;

/** The value types of GGUF metadata, with their ids in the file. */
public enum GgufValueType {
    UINT8(0, 1), INT8(1, 1), UINT16(2, 2), INT16(3, 2), UINT32(4, 4), INT32(5, 4), FLOAT32(6, 4), BOOL(7, 1),
    /** uint64 byte length, then that many bytes of UTF-8. */
    STRING(8, 0),
    /** uint32 element type, uint64 count, then the elements (arrays may nest). */
    ARRAY(9, 0),
    UINT64(10, 8), INT64(11, 8), FLOAT64(12, 8);

    private static final GgufValueType[] BY_ID = new GgufValueType[13];

    static {
        for (GgufValueType t : values()) {
            BY_ID[t.id] = t;
        }
    }

    private final int id;
    private final int size;

    GgufValueType(int id, int size) {
        this.id = id;
        this.size = size;
    }

    /** The id the file stores. */
    public int id() {
        return id;
    }

    /** Bytes of one value, or 0 for the variable-length STRING and ARRAY. */
    public int size() {
        return size;
    }

    /** Whether the values are integers (signed or not, any width). */
    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }

    /** Fewest bytes one value can take: its size, or the length/header fields of STRING and ARRAY. */
    int minSize() {
        return switch (this) {
            case STRING -> 8;
            case ARRAY -> 12;
            default -> size;
        };
    }

    /** The type with this id, or null. */
    static GgufValueType of(long id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[(int) id] : null;
    }
}
