package dev.rwkvjava.io.gguf;

import dev.rwkvjava.tensor.DType;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The header of a GGUF file to write (version 3, little-endian): metadata entries and tensor infos, in the order
 * they are added, with each tensor's offset in the data section assigned as it is added (every tensor starts at a
 * multiple of the alignment, as {@link GgufFile} and llama.cpp require). {@link #bytes()} gives everything before
 * the data section, padding included; the caller then writes each tensor's data, padded to the alignment, in the
 * same order.
 */
public final class GgufHeader {
    private record Value(GgufValueType type, GgufValueType elementType, Object value) {
    }

    /** A tensor as the header describes it: shape in PyTorch order (the file stores it reversed). */
    public record Tensor(String name, long[] shape, DType dtype, long offset, long bytes) {
        public Tensor {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }
    }

    private final long alignment;
    private final Map<String, Value> entries = new LinkedHashMap<>();
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();
    private long dataBytes;

    /** A header with the default alignment of 32 bytes (no {@code general.alignment} entry). */
    public GgufHeader() {
        this(GgufFile.DEFAULT_ALIGNMENT);
    }

    /**
     * A header with the given alignment, a power of two; any other than 32 is recorded as {@code general.alignment}.
     */
    public GgufHeader(long alignment) {
        if (alignment <= 0 || (alignment & (alignment - 1)) != 0 || alignment > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("alignment " + alignment + " is not a power of two");
        }
        this.alignment = alignment;
        if (alignment != GgufFile.DEFAULT_ALIGNMENT) {
            put("general.alignment", GgufValueType.UINT32, alignment);
        }
    }

    public long alignment() {
        return alignment;
    }

    /**
     * Adds a scalar entry: a {@link Number} for the numeric types, a {@link Boolean} for BOOL, a {@link String} for
     * STRING.
     *
     * @throws IllegalArgumentException when the key is already present, the value does not fit the type, or the type
     *                                  is ARRAY (see {@link #putArray})
     */
    public GgufHeader put(String key, GgufValueType type, Object value) {
        if (type == GgufValueType.ARRAY) {
            throw new IllegalArgumentException(key + ": use putArray for arrays");
        }
        checkScalar(key, type, value);
        return add(key, new Value(type, null, value));
    }

    /** Adds an array entry whose elements are scalars of {@code elementType} (as for {@link #put}). */
    public GgufHeader putArray(String key, GgufValueType elementType, List<?> values) {
        if (elementType == GgufValueType.ARRAY) {
            throw new IllegalArgumentException(key + ": nested arrays are not written");
        }
        for (Object v : values) {
            checkScalar(key, elementType, v);
        }
        return add(key, new Value(GgufValueType.ARRAY, elementType, List.copyOf(values)));
    }

    private GgufHeader add(String key, Value v) {
        Objects.requireNonNull(key, "key");
        if (key.isEmpty() || entries.containsKey(key)) {
            throw new IllegalArgumentException("metadata key '" + key + "' is empty or already present");
        }
        entries.put(key, v);
        return this;
    }

    private static void checkScalar(String key, GgufValueType type, Object value) {
        boolean ok = switch (type) {
            case STRING -> value instanceof String;
            case BOOL -> value instanceof Boolean;
            case FLOAT32, FLOAT64 -> value instanceof Number;
            case UINT8 -> inRange(value, 0, 0xFF);
            case INT8 -> inRange(value, Byte.MIN_VALUE, Byte.MAX_VALUE);
            case UINT16 -> inRange(value, 0, 0xFFFF);
            case INT16 -> inRange(value, Short.MIN_VALUE, Short.MAX_VALUE);
            case UINT32 -> inRange(value, 0, 0xFFFF_FFFFL);
            case INT32 -> inRange(value, Integer.MIN_VALUE, Integer.MAX_VALUE);
            case INT64 -> value instanceof Long || value instanceof Integer;
            case UINT64 -> value instanceof Long l && l >= 0 || value instanceof Integer i && i >= 0
                    || value instanceof BigInteger b && b.signum() >= 0 && b.bitLength() <= 64;
            case ARRAY -> false;
        };
        if (!ok) {
            throw new IllegalArgumentException("metadata '" + key + "': " + value + " is not a " + type);
        }
    }

    private static boolean inRange(Object value, long lo, long hi) {
        return (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte)
                && ((Number) value).longValue() >= lo && ((Number) value).longValue() <= hi;
    }

    /**
     * Adds a tensor: its data will start at the next multiple of the alignment after the previous tensor's.
     *
     * @param shape PyTorch order (the last dimension is the contiguous one)
     * @throws IllegalArgumentException when the name is taken, GGUF has no such type, the shape has more than four
     *                                  dimensions, or a row ({@code shape[last]}) is not whole blocks of the type
     */
    public Tensor tensor(String name, long[] shape, DType dtype) {
        if (name.isEmpty() || tensors.containsKey(name)) {
            throw new IllegalArgumentException("tensor name '" + name + "' is empty or already present");
        }
        if (GgmlTypes.id(dtype) < 0) {
            throw new IllegalArgumentException(name + ": GGUF has no type " + dtype);
        }
        if (shape.length > GgufFile.MAX_DIMS) {
            throw new IllegalArgumentException(name + ": " + shape.length + " dimensions; GGUF tensors have at most "
                    + GgufFile.MAX_DIMS);
        }
        long elements = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException(name + ": negative dimension in " + Arrays.toString(shape));
            }
            elements = Math.multiplyExact(elements, d);
        }
        long row = shape.length == 0 ? 1 : shape[shape.length - 1];
        if (row % dtype.blockElements() != 0) {
            throw new IllegalArgumentException(name + ": rows of " + row + " values are not whole " + dtype
                    + " blocks of " + dtype.blockElements());
        }
        long bytes = dtype.byteSize(elements);
        Tensor t = new Tensor(name, shape, dtype, dataBytes, bytes);
        tensors.put(name, t);
        dataBytes = Math.addExact(dataBytes, Math.addExact(bytes, padding(bytes, alignment)));
        return t;
    }

    /** The tensors, in the order they were added (and their data is written). */
    public List<Tensor> tensors() {
        return List.copyOf(tensors.values());
    }

    /** Bytes of the data section: every tensor's data, each padded to the alignment. */
    public long dataBytes() {
        return dataBytes;
    }

    /** Zero bytes that follow {@code length} bytes to reach the next multiple of {@code alignment}. */
    public static long padding(long length, long alignment) {
        return Math.floorMod(-length, alignment);
    }

    /** The metadata keys, in order. */
    public List<String> keys() {
        return Collections.unmodifiableList(new ArrayList<>(entries.keySet()));
    }

    /** Everything before the data section: magic, version, counts, metadata, tensor infos, padding. */
    public byte[] bytes() {
        Out o = new Out();
        o.raw(new byte[] {'G', 'G', 'U', 'F'});
        o.u32(3);
        o.u64(tensors.size());
        o.u64(entries.size());
        for (Map.Entry<String, Value> e : entries.entrySet()) {
            o.string(e.getKey());
            Value v = e.getValue();
            o.u32(v.type().id());
            if (v.type() == GgufValueType.ARRAY) {
                List<?> list = (List<?>) v.value();
                o.u32(v.elementType().id());
                o.u64(list.size());
                for (Object x : list) {
                    o.scalar(v.elementType(), x);
                }
            } else {
                o.scalar(v.type(), v.value());
            }
        }
        for (Tensor t : tensors.values()) {
            o.string(t.name());
            long[] s = t.shape;
            o.u32(s.length);
            for (int d = s.length - 1; d >= 0; d--) {
                o.u64(s[d]);
            }
            o.u32(GgmlTypes.id(t.dtype()));
            o.u64(t.offset());
        }
        int pad = (int) padding(o.size(), alignment);
        o.raw(new byte[pad]);
        return o.toByteArray();
    }

    /** A little-endian byte sink. */
    private static final class Out extends ByteArrayOutputStream {
        void raw(byte[] b) {
            write(b, 0, b.length);
        }

        void le(long v, int bytes) {
            for (int i = 0; i < bytes; i++) {
                write((int) (v >>> (8 * i)) & 0xFF);
            }
        }

        void u32(long v) {
            le(v, 4);
        }

        void u64(long v) {
            le(v, 8);
        }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            raw(b);
        }

        void scalar(GgufValueType type, Object v) {
            switch (type) {
                case UINT8, INT8, BOOL -> le(v instanceof Boolean b ? (b ? 1 : 0) : ((Number) v).longValue(), 1);
                case UINT16, INT16 -> le(((Number) v).longValue(), 2);
                case UINT32, INT32 -> le(((Number) v).longValue(), 4);
                case UINT64, INT64 -> le(((Number) v).longValue(), 8);
                case FLOAT32 -> le(Float.floatToRawIntBits(((Number) v).floatValue()), 4);
                case FLOAT64 -> le(Double.doubleToRawLongBits(((Number) v).doubleValue()), 8);
                case STRING -> string((String) v);
                case ARRAY -> throw new IllegalStateException("nested array");
            }
        }
    }
}
