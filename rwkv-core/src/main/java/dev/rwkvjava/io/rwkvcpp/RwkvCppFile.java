package dev.rwkvjava.io.rwkvcpp;

import dev.rwkvjava.io.FileSegments;
import dev.rwkvjava.LoadMode;
import dev.rwkvjava.ModelFileException;
import dev.rwkvjava.io.ModelFormat;
import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.io.TensorStore;
import dev.rwkvjava.tensor.DType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An rwkv.cpp model file ({@code .bin}, file versions 100 and 101), memory-mapped whole or, with
 * {@link LoadMode#READ}, read whole into memory the process owns; tensors are read in place. Opening walks and
 * validates every tensor header and reads no tensor data; any violation is a {@link ModelFileException} naming the
 * file, and the tensor when one is at fault.
 *
 * <p>Layout: six little-endian 32-bit fields (magic {@code 0x67676d66}, file version, n_vocab, n_embed, n_layer,
 * data type), then tensors until the end of the file, each: int32 n_dims (1 to 3), int32 name length, int32 type,
 * n_dims uint32 dimensions in ggml order (the contiguous one first), the UTF-8 name, and the data, unpadded.
 *
 * <p>Tensors keep their stored names (BlinkDL-like, e.g. {@code blocks.0.att.time_decay}) and the stored forms
 * (rwkv.cpp transforms some, e.g. the v4 decay is stored as -exp(w)); shapes are given in PyTorch order, the reverse
 * of the stored dimensions. {@link TensorInfo#begin()} and {@code end()} are file offsets (the data area is the
 * whole file), so tensors are not aligned. Quantized tensors have the ggml block {@link DType}s.
 *
 * <p>Type ids (rwkv.cpp's {@code rwkv_type}): 0 FP32, 1 FP16, 2 Q4_0, 3 Q4_1, 7 Q5_0, 8 Q5_1, 9 Q8_0, 13 Q4_K,
 * 14 Q5_K, 15 Q6_K; 4 to 6 are formats rwkv.cpp removed, the others are not read. Quantized data in version 100
 * files predates ggml's May 2023 block layout and is refused, as rwkv.cpp refuses it.
 */
public final class RwkvCppFile implements TensorStore {
    /** The file's first four bytes, "fmgg" read as a little-endian int. */
    public static final int MAGIC = 0x67676d66;
    /** The original file version (quantized data in the old block layout). */
    public static final int VERSION_100 = 100;
    /** The file version since rwkv.cpp moved to ggml's current block layouts. */
    public static final int VERSION_101 = 101;
    /** Most dimensions a tensor has in rwkv.cpp. */
    static final int MAX_DIMS = 3;
    /** Longest tensor name accepted (rwkv.cpp's names are a few dozen bytes). */
    static final int MAX_NAME_BYTES = 1 << 16;

    private static final int HEADER_BYTES = 24;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final String[] TYPE_NAMES = {
        "FP32", "FP16", "Q4_0", "Q4_1", "Q4_1_O", "Q4_2", "Q4_3", "Q5_0", "Q5_1", "Q8_0",
        "Q8_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K",
    };

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final int fileVersion;
    private final int nVocab;
    private final int nEmbed;
    private final int nLayer;
    private final int dataTypeId;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private RwkvCppFile(Path path, Arena arena, MemorySegment file, int[] header, Map<String, TensorInfo> tensors) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.fileVersion = header[1];
        this.nVocab = header[2];
        this.nEmbed = header[3];
        this.nLayer = header[4];
        this.dataTypeId = header[5];
        this.tensors = tensors;
        Map<String, String> m = new LinkedHashMap<>();
        m.put("file_version", Integer.toString(fileVersion));
        m.put("n_vocab", Integer.toString(nVocab));
        m.put("n_embed", Integer.toString(nEmbed));
        m.put("n_layer", Integer.toString(nLayer));
        m.put("data_type", TYPE_NAMES[dataTypeId]);
        this.metadata = Collections.unmodifiableMap(m);
    }

    /** Maps and validates the file. */
    public static RwkvCppFile open(Path path) {
        return open(path, LoadMode.MAP);
    }

    /** Maps or reads the file, as {@code mode} says, and validates its headers. */
    public static RwkvCppFile open(Path path, LoadMode mode) {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment seg;
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                seg = mode == LoadMode.READ ? FileSegments.read(path, ch, ch.size(), 0, arena)
                        : FileSegments.map(ch, arena);
            }
            int[] header = parseHeader(path, seg);
            Map<String, TensorInfo> tensors = parseTensors(path, seg, header[1]);
            return new RwkvCppFile(path, arena, seg, header, tensors);
        } catch (IOException e) {
            arena.close();
            throw new ModelFileException(path, null, "cannot read file: " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * A file over bytes the caller owns (closing it frees nothing), parsed and validated as {@link #open} does;
     * {@code path} only names it in messages.
     */
    static RwkvCppFile of(Path path, MemorySegment bytes) {
        int[] header = parseHeader(path, bytes);
        return new RwkvCppFile(path, null, bytes, header, parseTensors(path, bytes, header[1]));
    }

    // ---------------------------------------------------------------- parsing

    private static int[] parseHeader(Path path, MemorySegment seg) {
        long size = seg.byteSize();
        if (size < 4 || seg.get(I32, 0) != MAGIC) {
            throw new ModelFileException(path, null, "not an rwkv.cpp file: it does not start with the magic "
                    + "0x67676d66 (\"fmgg\")" + (size < 4 ? " (" + size + " bytes long)" : ""));
        }
        if (size < HEADER_BYTES) {
            throw new ModelFileException(path, null, "file header truncated: " + size + " bytes, the header needs "
                    + HEADER_BYTES);
        }
        int[] h = new int[6];
        for (int i = 0; i < h.length; i++) {
            h[i] = seg.get(I32, 4L * i);
        }
        if (h[1] != VERSION_100 && h[1] != VERSION_101) {
            throw new ModelFileException(path, null, "unsupported rwkv.cpp file version "
                    + Integer.toUnsignedString(h[1]) + " (versions 100 and 101 are read)");
        }
        String[] fields = {null, null, "n_vocab", "n_embed", "n_layer"};
        for (int i = 2; i <= 4; i++) {
            if (h[i] <= 0) {
                throw new ModelFileException(path, null, "header field " + fields[i] + " = "
                        + Integer.toUnsignedString(h[i]) + " is out of range (1 to " + Integer.MAX_VALUE + ")");
            }
        }
        checkType(path, null, Integer.toUnsignedLong(h[5]), h[1], "model data type");
        return h;
    }

    /** The element type of rwkv.cpp type {@code id}, or a refusal naming it. */
    private static DType checkType(Path path, String tensor, long id, int version, String what) {
        DType t = switch ((int) Math.min(id, Integer.MAX_VALUE)) {
            case 0 -> DType.F32;
            case 1 -> DType.F16;
            case 2 -> DType.Q4_0;
            case 3 -> DType.Q4_1;
            case 7 -> DType.Q5_0;
            case 8 -> DType.Q5_1;
            case 9 -> DType.Q8_0;
            case 13 -> DType.Q4_K;
            case 14 -> DType.Q5_K;
            case 15 -> DType.Q6_K;
            default -> null;
        };
        String name = id < TYPE_NAMES.length ? TYPE_NAMES[(int) id] : "unknown";
        if (t == null) {
            String why = id >= 4 && id <= 6 ? "a format rwkv.cpp removed" : "not supported";
            throw new ModelFileException(path, tensor, what + " " + id + " (" + name + ") is " + why
                    + " (supported: FP32, FP16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K)");
        }
        if (t.isBlockType() && version == VERSION_100) {
            throw new ModelFileException(path, tensor, what + " " + name + " in file version 100 uses ggml's block "
                    + "layout from before May 2023, which is not read: quantize the model again with a current "
                    + "rwkv.cpp (file version 101)");
        }
        return t;
    }

    private static Map<String, TensorInfo> parseTensors(Path path, MemorySegment seg, int version) {
        long size = seg.byteSize();
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        long pos = HEADER_BYTES;
        for (int index = 0; pos < size; index++) {
            long at = pos;
            if (size - pos < 12) {
                throw new ModelFileException(path, null, "header of tensor " + index + " at byte " + at
                        + " is truncated: " + (size - pos) + " bytes left, 12 needed");
            }
            long nDims = Integer.toUnsignedLong(seg.get(I32, pos));
            long nameLength = Integer.toUnsignedLong(seg.get(I32, pos + 4));
            long typeId = Integer.toUnsignedLong(seg.get(I32, pos + 8));
            pos += 12;
            if (nDims < 1 || nDims > MAX_DIMS) {
                throw new ModelFileException(path, null, "tensor " + index + " at byte " + at + " has " + nDims
                        + " dimensions (1 to " + MAX_DIMS + " are valid)");
            }
            if (size - pos < 4 * nDims) {
                throw new ModelFileException(path, null, "dimensions of tensor " + index + " at byte " + at
                        + " are truncated");
            }
            long[] ne = new long[(int) nDims];
            for (int d = 0; d < ne.length; d++) {
                ne[d] = Integer.toUnsignedLong(seg.get(I32, pos));
                pos += 4;
            }
            if (nameLength == 0 || nameLength > MAX_NAME_BYTES) {
                throw new ModelFileException(path, null, "name of tensor " + index + " at byte " + at + " has length "
                        + nameLength + " (1 to " + MAX_NAME_BYTES + " bytes are accepted)");
            }
            if (nameLength > size - pos) {
                throw new ModelFileException(path, null, "name of tensor " + index + " at byte " + at + " has length "
                        + nameLength + ", past the end of the file (" + (size - pos)
                        + " bytes remain): file truncated or corrupt");
            }
            byte[] nameBytes = seg.asSlice(pos, nameLength).toArray(ValueLayout.JAVA_BYTE);
            pos += nameLength;
            String name;
            try {
                name = decoder.reset().decode(ByteBuffer.wrap(nameBytes)).toString();
            } catch (CharacterCodingException e) {
                throw new ModelFileException(path, null, "name of tensor " + index + " at byte " + at
                        + " is not valid UTF-8");
            }
            if (tensors.containsKey(name)) {
                throw new ModelFileException(path, name, "the name appears twice (tensor " + index + ", at byte "
                        + at + ")");
            }
            DType dtype = checkType(path, name, typeId, version, "type");
            if (dtype.isBlockType() && ne[0] % dtype.blockElements() != 0) {
                throw new ModelFileException(path, name, "row length " + ne[0] + " is not a multiple of the "
                        + dtype + " block of " + dtype.blockElements() + " values");
            }
            long bytes;
            try {
                long elements = 1;
                for (long n : ne) {
                    elements = Math.multiplyExact(elements, n);
                }
                bytes = dtype.byteSize(elements);
            } catch (ArithmeticException e) {
                throw new ModelFileException(path, name, "dimensions " + Arrays.toString(ne) + " of " + dtype
                        + " are too large to address");
            }
            if (bytes > size - pos) {
                throw new ModelFileException(path, name, "data of " + bytes + " bytes (" + dtype + ", dimensions "
                        + Arrays.toString(ne) + ") at byte " + pos + " runs past the end of the file (" + (size - pos)
                        + " bytes remain): file truncated or corrupt");
            }
            long[] shape = new long[ne.length];
            for (int d = 0; d < ne.length; d++) {
                shape[d] = ne[ne.length - 1 - d];
            }
            tensors.put(name, new TensorInfo(name, dtype, shape, pos, pos + bytes));
            pos += bytes;
        }
        return Collections.unmodifiableMap(tensors);
    }

    // ---------------------------------------------------------------- header fields

    /** The file version: 100 or 101. */
    public int fileVersion() {
        return fileVersion;
    }

    /** Vocabulary size from the header. */
    public int nVocab() {
        return nVocab;
    }

    /** Embedding size from the header. */
    public int nEmbed() {
        return nEmbed;
    }

    /** Number of layers from the header. */
    public int nLayer() {
        return nLayer;
    }

    /** The header's data type id (the type of most tensors; each tensor has its own). */
    public int dataTypeId() {
        return dataTypeId;
    }

    /** The header's data type as rwkv.cpp names it ("FP32", "FP16", "Q5_1", ...). */
    public String dataTypeName() {
        return TYPE_NAMES[dataTypeId];
    }

    /** The header's data type as an element type. */
    public DType dataType() {
        return checkType(path, null, dataTypeId, fileVersion, "model data type");
    }

    // ---------------------------------------------------------------- TensorStore

    @Override
    public ModelFormat format() {
        return ModelFormat.RWKV_CPP;
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public Collection<TensorInfo> tensors() {
        return tensors.values();
    }

    @Override
    public TensorInfo find(String name) {
        return tensors.get(name);
    }

    @Override
    public MemorySegment data(TensorInfo t) {
        if (tensors.get(t.name()) != t) {
            throw new IllegalArgumentException("tensor " + t.name() + " does not belong to " + path);
        }
        return file.asSlice(t.begin(), t.byteSize()).asReadOnly();
    }

    /** The header fields as text: file_version, n_vocab, n_embed, n_layer, data_type (e.g. "Q5_1"). */
    @Override
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public long fileSize() {
        return file.byteSize();
    }

    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }
}
