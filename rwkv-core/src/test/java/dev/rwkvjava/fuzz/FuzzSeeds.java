package dev.rwkvjava.fuzz;

import dev.rwkvjava.io.ModelFormat;
import dev.rwkvjava.io.SafetensorsWriter;
import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.io.TensorStore;
import dev.rwkvjava.LoadMode;
import dev.rwkvjava.io.pytorch.PyTorchSeeds;
import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.WeightReader;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Makes the model fuzzers' seeds from the data set: each of its tiny models cut down to its first layer (the
 * embedding, head and norms kept, every tensor of a later layer dropped, the layer count in the header set to 1), in
 * its own format, so that a seed is a real file of that format small enough to fuzz (libFuzzer takes inputs of up
 * to 1 MB). The committed seeds under {@code src/test/resources/dev/rwkvjava/fuzz/} were written by
 * {@code main(testdataDir, resourcesDir)}; {@link #cut} is also what the sharded-index fuzzer builds its shards from.
 */
public final class FuzzSeeds {
    private static final Pattern LAYER = Pattern.compile("(?:^|\\.)(?:blocks|blk|layers)\\.(\\d+)\\.");

    private FuzzSeeds() {
    }

    public static void main(String[] args) throws IOException {
        Path data = Path.of(args[0]);
        Path res = Path.of(args[1]).resolve("dev/rwkvjava/fuzz");
        Path st = dir(res, "SafetensorsFuzzer");
        // Stored as F16 where the F32 cut would be large (the fuzzer's inputs stay small); v7 keeps F32 and BF16.
        for (String m : List.of("tiny-rwkv-4v0-660K", "tiny-rwkv-5v1-730K", "tiny-rwkv-5v2-730K", "tiny-rwkv-6v0-1m")) {
            safetensorsCut(data.resolve("models/" + m + ".f32.safetensors"), st.resolve(m + ".f16-1layer.safetensors"),
                    DType.F16);
        }
        for (String m : List.of("tiny-rwkv-7v0-834K.f32", "tiny-rwkv-7v0-834K.bf16")) {
            safetensorsCut(data.resolve("models/" + m + ".safetensors"), st.resolve(m + "-1layer.safetensors"), null);
        }
        safetensorsCut(data.resolve("models/fla-rwkv7-tiny-834K/model.safetensors"),
                st.resolve("fla-rwkv7-1layer.safetensors"), DType.F16);
        Files.copy(data.resolve("reference/tiny-rwkv-4v0-660K.f32/newline.safetensors"), st.resolve("reference-case.safetensors"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        Path gg = dir(res, "GgufFuzzer");
        for (String m : List.of("tiny-rwkv-7v0-834K-F16", "tiny-rwkv-7v0-834K-Q4_0", "tiny-rwkv-6v0-1m-Q8_0")) {
            Files.write(gg.resolve(m + "-1layer.gguf"), ggufCut(data.resolve("models/gguf/" + m + ".gguf")));
        }
        Path cpp = dir(res, "RwkvCppFuzzer");
        for (String m : List.of("tiny-rwkv-5v2-730K-FP32", "tiny-rwkv-7v0-834K-FP16",
                "tiny-rwkv-7v0-834K-Q5_1")) {
            Files.write(cpp.resolve(m + "-1layer.bin"), rwkvCppCut(data.resolve("models/rwkv.cpp/" + m + ".bin")));
        }
        Path shards = Files.createTempDirectory("shards");
        Files.write(dir(res, "ShardedIndexFuzzer").resolve("model.safetensors.index.json"),
                shards(data.resolve("models/tiny-rwkv-7v0-834K.f32.safetensors"), shards));
        StateSeeds.write(st.resolve("tiny-rwkv-7v0-834K.f32-1layer.safetensors"), dir(res, "StateFileFuzzer"));

        Path pt = dir(res, "PyTorchFuzzer");
        Files.write(pt.resolve("tiny-rwkv-7v0-834K.bf16-1layer.pth"),
                pytorchCut(data.resolve("models/tiny-rwkv-7v0-834K.bf16.pth"), null));
        Files.write(pt.resolve("hf-rwkv4-1layer-pytorch_model.bin"),
                pytorchCut(data.resolve("models/hf-rwkv4-tiny-660K-pickle/pytorch_model.bin"), DType.F16));
    }

    private static Path dir(Path res, String fuzzer) throws IOException {
        Path d = res.resolve(fuzzer + "Inputs/load");
        Files.createDirectories(d);
        return d;
    }

    /** True for tensors of the first layer and for those of no layer. */
    static boolean kept(String name) {
        Matcher m = LAYER.matcher(name);
        return !m.find() || m.group(1).equals("0");
    }

    /** The kept tensors of a store, in file order. */
    static List<TensorInfo> keptTensors(TensorStore s) {
        return s.tensors().stream().filter(t -> kept(t.name())).toList();
    }

    /**
     * A one-layer cut of a safetensors model as safetensors entries (their data read now), in file order, stored as
     * {@code as} (null: as in the model).
     */
    public static List<SafetensorsWriter.Entry> cut(Path model, DType as) {
        try (TensorStore s = ModelFormat.SAFETENSORS.open(model, LoadMode.READ)) {
            List<SafetensorsWriter.Entry> out = new ArrayList<>();
            for (TensorInfo t : keptTensors(s)) {
                float[] v = WeightReader.toFloatArray(s.data(t), t.dtype());
                out.add(SafetensorsWriter.Entry.floats(t.name(), as != null ? as : t.dtype(), t.shape(), () -> v));
            }
            return out;
        }
    }

    /** The two shard names of {@link #shards}. */
    static final List<String> SHARDS = List.of("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors");

    /**
     * Writes the one-layer cut of a safetensors model into {@code dir} as two shards (the first half of its tensors in
     * the first) and returns their index, {@code model.safetensors.index.json}.
     */
    public static byte[] shards(Path model, Path dir) {
        List<SafetensorsWriter.Entry> all = cut(model, null);
        int half = all.size() / 2;
        SafetensorsWriter.write(dir.resolve(SHARDS.get(0)), all.subList(0, half), Map.of("format", "pt"));
        SafetensorsWriter.write(dir.resolve(SHARDS.get(1)), all.subList(half, all.size()), Map.of("format", "pt"));
        StringBuilder json = new StringBuilder("{\n  \"metadata\": {\"total_size\": 0},\n  \"weight_map\": {");
        for (int i = 0; i < all.size(); i++) {
            json.append(i == 0 ? "\n" : ",\n").append("    \"").append(all.get(i).name()).append("\": \"")
                    .append(SHARDS.get(i < half ? 0 : 1)).append('"');
        }
        return json.append("\n  }\n}\n").toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void safetensorsCut(Path model, Path to, DType as) {
        Map<String, String> meta;
        try (TensorStore s = ModelFormat.SAFETENSORS.open(model, LoadMode.READ)) {
            meta = new LinkedHashMap<>(s.metadata());
        }
        meta.remove("hparams");
        meta.remove("source");
        SafetensorsWriter.write(to, cut(model, as), meta);
    }

    private static byte[] pytorchCut(Path model, DType as) {
        try (TensorStore s = ModelFormat.PYTORCH.open(model, LoadMode.READ)) {
            List<PyTorchSeeds.Tensor> out = new ArrayList<>();
            for (TensorInfo t : keptTensors(s)) {
                DType type = as != null ? as : t.dtype();
                float[] v = WeightReader.toFloatArray(s.data(t), t.dtype());
                ByteBuffer b = ByteBuffer.allocate(v.length * type.bytes()).order(ByteOrder.LITTLE_ENDIAN);
                for (float f : v) {
                    switch (type) {
                        case F32 -> b.putFloat(f);
                        case F16 -> b.putShort(Float.floatToFloat16(f));
                        case BF16 -> b.putShort(WeightReader.floatToBf16(f));
                        default -> throw new IllegalArgumentException(t.name() + ": " + type);
                    }
                }
                String storage = switch (type) {
                    case F32 -> "FloatStorage";
                    case F16 -> "HalfStorage";
                    default -> "BFloat16Storage";
                };
                out.add(new PyTorchSeeds.Tensor(t.name(), storage, t.shape(), b.array()));
            }
            return PyTorchSeeds.checkpoint(out);
        }
    }

    /** rwkv.cpp: the header with n_layer 1, then the records of the kept tensors, copied byte for byte. */
    private static byte[] rwkvCppCut(Path model) throws IOException {
        byte[] b = Files.readAllBytes(model);
        ByteBuffer in = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        Map<String, Long> sizes = new LinkedHashMap<>();
        try (TensorStore s = ModelFormat.RWKV_CPP.open(model, LoadMode.READ)) {
            s.tensors().forEach(t -> sizes.put(t.name(), t.byteSize()));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] header = java.util.Arrays.copyOf(b, 24);
        ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).putInt(16, 1);
        out.writeBytes(header);
        int pos = 24;
        while (pos < b.length) {
            int dims = in.getInt(pos);
            int nameLen = in.getInt(pos + 4);
            int nameAt = pos + 12 + 4 * dims;
            String name = new String(b, nameAt, nameLen, StandardCharsets.UTF_8);
            int end = Math.toIntExact(nameAt + nameLen + sizes.get(name));
            if (kept(name)) {
                out.write(b, pos, end - pos);
            }
            pos = end;
        }
        return out.toByteArray();
    }

    /**
     * GGUF: the metadata copied with {@code <arch>.block_count} set to 1, the tensor infos of the kept tensors with
     * new offsets, and their data at the file's alignment.
     */
    private static byte[] ggufCut(Path model) throws IOException {
        byte[] b = Files.readAllBytes(model);
        MemorySegment seg = MemorySegment.ofArray(b);
        ValueLayout.OfLong u64 = ValueLayout.JAVA_LONG_UNALIGNED;
        ValueLayout.OfInt u32 = ValueLayout.JAVA_INT_UNALIGNED;
        long tensorCount = seg.get(u64, 8);
        long kvCount = seg.get(u64, 16);
        long pos = 24;
        long alignment = 32;
        long blockCountValue = -1;
        for (long i = 0; i < kvCount; i++) {
            long keyLen = seg.get(u64, pos);
            String key = new String(b, (int) pos + 8, (int) keyLen, StandardCharsets.UTF_8);
            pos += 8 + keyLen;
            int type = seg.get(u32, pos);
            pos += 4;
            if (key.endsWith(".block_count")) {
                blockCountValue = pos;
            }
            if (key.equals("general.alignment")) {
                alignment = seg.get(u32, pos);
            }
            pos = skipValue(seg, pos, type);
        }
        long infosStart = pos;
        record Info(String name, byte[] dimsAndType, long offset) {
        }
        List<Info> infos = new ArrayList<>();
        for (long i = 0; i < tensorCount; i++) {
            long nameLen = seg.get(u64, pos);
            String name = new String(b, (int) pos + 8, (int) nameLen, StandardCharsets.UTF_8);
            pos += 8 + nameLen;
            int nDims = seg.get(u32, pos);
            byte[] dimsAndType = java.util.Arrays.copyOfRange(b, (int) pos, (int) pos + 4 + 8 * nDims + 4);
            pos += 4 + 8L * nDims + 4;
            infos.add(new Info(name, dimsAndType, seg.get(u64, pos)));
            pos += 8;
        }
        long dataStart = (pos + alignment - 1) / alignment * alignment;
        Map<String, Long> sizes = new LinkedHashMap<>();
        try (TensorStore s = ModelFormat.GGUF.open(model, LoadMode.READ)) {
            s.tensors().forEach(t -> sizes.put(t.name(), t.byteSize()));
        }
        byte[] kv = java.util.Arrays.copyOfRange(b, 0, (int) infosStart);
        ByteBuffer kvb = ByteBuffer.wrap(kv).order(ByteOrder.LITTLE_ENDIAN);
        kvb.putInt((int) blockCountValue, 1);
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        long kept = 0;
        for (Info info : infos) {
            if (!kept(info.name)) {
                continue;
            }
            kept++;
            byte[] name = info.name.getBytes(StandardCharsets.UTF_8);
            head.writeBytes(le(name.length, 8));
            head.writeBytes(name);
            head.writeBytes(info.dimsAndType);
            head.writeBytes(le(data.size(), 8));
            data.write(b, (int) (dataStart + info.offset), Math.toIntExact(sizes.get(info.name)));
            while (data.size() % alignment != 0) {
                data.write(0);
            }
        }
        kvb.putLong(8, kept);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(kv);
        out.writeBytes(head.toByteArray());
        while (out.size() % alignment != 0) {
            out.write(0);
        }
        out.writeBytes(data.toByteArray());
        return out.toByteArray();
    }

    private static long skipValue(MemorySegment seg, long pos, int type) {
        return switch (type) {
            case 0, 1, 7 -> pos + 1;
            case 2, 3 -> pos + 2;
            case 4, 5, 6 -> pos + 4;
            case 10, 11, 12 -> pos + 8;
            case 8 -> pos + 8 + seg.get(ValueLayout.JAVA_LONG_UNALIGNED, pos);
            case 9 -> {
                int elem = seg.get(ValueLayout.JAVA_INT_UNALIGNED, pos);
                long n = seg.get(ValueLayout.JAVA_LONG_UNALIGNED, pos + 4);
                long p = pos + 12;
                for (long i = 0; i < n; i++) {
                    p = skipValue(seg, p, elem);
                }
                yield p;
            }
            default -> throw new IllegalArgumentException("GGUF value type " + type);
        };
    }

    private static byte[] le(long v, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (v >>> (8 * i));
        }
        return b;
    }
}
