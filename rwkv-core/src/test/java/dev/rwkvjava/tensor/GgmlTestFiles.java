package dev.rwkvjava.tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Just enough of the GGUF and rwkv.cpp {@code .bin} containers (testdata README sections 12.3.2 and 4.3) to find
 * each tensor's type, row length and bytes in the shared test files, for checking block decoding and quantizing
 * against files that ggml's tools wrote. Trusts its input: it reads only the fixed reference files.
 */
final class GgmlTestFiles {
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** A stored tensor: its dtype (null for one no weight type reads), values per row, value count and bytes. */
    record Tensor(String name, DType dtype, long rowLength, long elements, MemorySegment data) {
    }

    private GgmlTestFiles() {
    }

    static MemorySegment map(Path file, Arena arena) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        }
    }

    /** ggml's type numbers. */
    private static DType ggmlType(int id) {
        return switch (id) {
            case 0 -> DType.F32;
            case 1 -> DType.F16;
            case 2 -> DType.Q4_0;
            case 3 -> DType.Q4_1;
            case 6, 7 -> null;
            case 8 -> DType.Q8_0;
            case 12 -> DType.Q4_K;
            case 13 -> DType.Q5_K;
            case 14 -> DType.Q6_K;
            default -> null;
        };
    }

    /** The tensors of a GGUF file, by name. */
    static Map<String, Tensor> gguf(MemorySegment f) {
        long[] pos = {0};
        if (f.get(I32, 0) != 0x46554747) {
            throw new IllegalArgumentException("not GGUF");
        }
        pos[0] = 8;
        long tensors = f.get(I64, pos[0]);
        long kvs = f.get(I64, pos[0] + 8);
        pos[0] += 16;
        long alignment = 32;
        for (long i = 0; i < kvs; i++) {
            String key = string(f, pos);
            int type = f.get(I32, pos[0]);
            pos[0] += 4;
            if (key.equals("general.alignment")) {
                alignment = f.get(I32, pos[0]);
            }
            skipValue(f, pos, type);
        }
        record Info(String name, long[] ne, int type, long offset) {
        }
        java.util.List<Info> infos = new java.util.ArrayList<>();
        for (long i = 0; i < tensors; i++) {
            String name = string(f, pos);
            int dims = f.get(I32, pos[0]);
            pos[0] += 4;
            long[] ne = new long[dims];
            for (int d = 0; d < dims; d++) {
                ne[d] = f.get(I64, pos[0]);
                pos[0] += 8;
            }
            int type = f.get(I32, pos[0]);
            long offset = f.get(I64, pos[0] + 4);
            pos[0] += 12;
            infos.add(new Info(name, ne, type, offset));
        }
        long dataStart = (pos[0] + alignment - 1) / alignment * alignment;
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Info t : infos) {
            DType dtype = ggmlType(t.type());
            long n = 1;
            for (long d : t.ne()) {
                n *= d;
            }
            long bytes = dtype == null ? 0 : dtype.byteSize(n);
            out.put(t.name(), new Tensor(t.name(), dtype, t.ne()[0], n, f.asSlice(dataStart + t.offset(), bytes)));
        }
        return out;
    }

    /** The tensors of an rwkv.cpp {@code .bin} file, by name (types 0 FP32, 1 FP16, 7 Q5_0, 8 Q5_1). */
    static Map<String, Tensor> rwkvCpp(MemorySegment f) {
        if (f.get(I32, 0) != 0x67676d66) {
            throw new IllegalArgumentException("not an rwkv.cpp file");
        }
        long pos = 24;
        Map<String, Tensor> out = new LinkedHashMap<>();
        while (pos < f.byteSize()) {
            int dims = f.get(I32, pos);
            int nameLength = f.get(I32, pos + 4);
            int type = f.get(I32, pos + 8);
            pos += 12;
            long n = 1;
            long rowLength = 0;
            for (int d = 0; d < dims; d++) {
                long dim = f.get(I32, pos + 4L * d);
                rowLength = d == 0 ? dim : rowLength;
                n *= dim;
            }
            pos += 4L * dims;
            byte[] name = f.asSlice(pos, nameLength).toArray(ValueLayout.JAVA_BYTE);
            pos += nameLength;
            DType dtype = switch (type) {
                case 0 -> DType.F32;
                case 1 -> DType.F16;
                case 7 -> DType.Q5_0;
                case 8 -> DType.Q5_1;
                default -> throw new IllegalArgumentException("type " + type);
            };
            long bytes = dtype.byteSize(n);
            String s = new String(name, StandardCharsets.UTF_8);
            out.put(s, new Tensor(s, dtype, rowLength, n, f.asSlice(pos, bytes)));
            pos += bytes;
        }
        return out;
    }

    private static String string(MemorySegment f, long[] pos) {
        long length = f.get(I64, pos[0]);
        byte[] b = f.asSlice(pos[0] + 8, length).toArray(ValueLayout.JAVA_BYTE);
        pos[0] += 8 + length;
        return new String(b, StandardCharsets.UTF_8);
    }

    private static void skipValue(MemorySegment f, long[] pos, int type) {
        switch (type) {
            case 0, 1, 7 -> pos[0] += 1;
            case 2, 3 -> pos[0] += 2;
            case 4, 5, 6 -> pos[0] += 4;
            case 10, 11, 12 -> pos[0] += 8;
            case 8 -> string(f, pos);
            case 9 -> {
                int elementType = f.get(I32, pos[0]);
                long count = f.get(I64, pos[0] + 4);
                pos[0] += 12;
                for (long i = 0; i < count; i++) {
                    skipValue(f, pos, elementType);
                }
            }
            default -> throw new IllegalArgumentException("GGUF value type " + type);
        }
    }
}
