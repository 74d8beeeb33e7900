package dev.rwkvjava.io.gguf;

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
import java.math.BigInteger;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A GGUF file (llama.cpp's model format, versions 2 and 3, little-endian), memory-mapped whole or, with
 * {@link LoadMode#READ}, read whole into memory the process owns; tensors are read in place. Opening parses and
 * validates the header (metadata and tensor infos) strictly and reads no tensor data; any violation is a
 * {@link ModelFileException} naming the file, and the tensor when one is at fault.
 *
 * <p>Layout: "GGUF", uint32 version, uint64 tensor count, uint64 metadata count, the metadata entries (key string,
 * uint32 {@link GgufValueType} id, value), the tensor infos (name string, uint32 n_dims, n_dims uint64 {@code ne},
 * uint32 ggml type, uint64 offset), then the data section, which starts at the next multiple of the alignment
 * ({@code general.alignment}, default 32). Strings are a uint64 byte length and UTF-8 bytes.
 *
 * <p>Tensors: shapes are given in PyTorch order, the reverse of ggml's {@code ne} ({@code ne[0]}, the contiguous
 * dimension, is the last). {@link TensorInfo#begin()} and {@code end()} are relative to the data section
 * ({@link #dataOffset()}). Quantized tensors have the ggml block {@link DType}s (Q8_0, Q4_0, ...), whose byte range
 * holds the blocks as ggml lays them out; their rows ({@code ne[0]}) are whole blocks.
 *
 * <p>Metadata: {@link #metadata()} holds the scalar entries as text; the typed accessors ({@link #integer},
 * {@link #string}, {@link #strings}, {@link #ints}, {@link #floats}, ...) read any entry, arrays being decoded from
 * the file on each call.
 */
public final class GgufFile implements TensorStore {
    /** The data section's alignment when {@code general.alignment} is absent. */
    public static final int DEFAULT_ALIGNMENT = 32;
    /** Most tensors accepted (real models have a few thousand). */
    public static final long MAX_TENSORS = 1L << 20;
    /** Most metadata entries accepted (real models have a few dozen). */
    public static final long MAX_METADATA_ENTRIES = 1L << 20;
    /** ggml's GGML_MAX_DIMS. */
    static final int MAX_DIMS = 4;
    /** Deepest nesting of arrays accepted (the format allows nesting; real files do not nest). */
    static final int MAX_ARRAY_DEPTH = 8;
    /** Longest key or tensor name accepted (ggml's own tensor names are under 64 bytes). */
    static final int MAX_NAME_BYTES = 1 << 16;
    /** Longest string value accepted (chat templates, the longest real ones, take kilobytes). */
    static final int MAX_STRING_BYTES = 16 << 20;

    private static final byte[] MAGIC = {'G', 'G', 'U', 'F'};
    /** Fewest bytes one tensor info can take: name length and one byte, n_dims, type, offset. */
    private static final int MIN_TENSOR_INFO_BYTES = 8 + 1 + 4 + 4 + 8;
    /** Fewest bytes one metadata entry can take: key length and one byte, type, a one-byte value. */
    private static final int MIN_ENTRY_BYTES = 8 + 1 + 4 + 1;

    /** A metadata entry: scalars decoded at open, arrays located (elements from {@code offset} to {@code end}). */
    private record Entry(String key, GgufValueType type, GgufValueType elementType, long count, long offset,
                         long end, Object scalar) {
    }

    private record Header(int version, long alignment, long dataStart, Map<String, Entry> entries,
                          Map<String, TensorInfo> tensors) {
    }

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final Header header;
    private final Map<String, String> metadata;

    private GgufFile(Path path, Arena arena, MemorySegment file, Header header) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.header = header;
        Map<String, String> m = new LinkedHashMap<>();
        for (Entry e : header.entries.values()) {
            if (e.type != GgufValueType.ARRAY) {
                m.put(e.key, e.scalar.toString());
            }
        }
        this.metadata = Collections.unmodifiableMap(m);
    }

    /** Maps and validates the file. */
    public static GgufFile open(Path path) {
        return open(path, LoadMode.MAP);
    }

    /** Maps or reads the file, as {@code mode} says, and validates its header. */
    public static GgufFile open(Path path, LoadMode mode) {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment seg;
            Header h;
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                if (mode == LoadMode.READ) {
                    // Parse from a mapping first: where the data section starts decides how the copy is placed.
                    try (Arena scratch = Arena.ofConfined()) {
                        MemorySegment mapped = FileSegments.map(ch, scratch);
                        h = parse(path, mapped);
                        seg = FileSegments.read(path, ch, mapped.byteSize(), h.dataStart, arena);
                    }
                } else {
                    seg = FileSegments.map(ch, arena);
                    h = parse(path, seg);
                }
            }
            return new GgufFile(path, arena, seg, h);
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
    static GgufFile of(Path path, MemorySegment bytes) {
        return new GgufFile(path, null, bytes, parse(path, bytes));
    }

    // ---------------------------------------------------------------- parsing

    private static Header parse(Path path, MemorySegment seg) {
        long size = seg.byteSize();
        if (size < MAGIC.length) {
            throw new ModelFileException(path, null, "not a GGUF file: " + size + " bytes, too short for the magic");
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (seg.get(ValueLayout.JAVA_BYTE, i) != MAGIC[i]) {
                throw new ModelFileException(path, null, "not a GGUF file: it starts with bytes "
                        + hex(seg, 4) + " instead of \"GGUF\"");
            }
        }
        Cursor c = new Cursor(path, seg, MAGIC.length, size);
        long version = c.u32("version");
        if (version == 1) {
            throw c.error("GGUF version 1 is not supported (a 2023 format with 32-bit counts and lengths): "
                    + "convert the model again with a current llama.cpp");
        }
        if (version != 2 && version != 3) {
            long swapped = Integer.toUnsignedLong(Integer.reverseBytes((int) version));
            if (swapped >= 1 && swapped <= 3) {
                throw c.error("a big-endian GGUF file (version " + swapped + "): only little-endian files are read");
            }
            throw c.error("unsupported GGUF version " + version + " (versions 2 and 3 are read)");
        }
        long tensorCount = checkCount(c, c.i64("tensor count"), "tensor count", MAX_TENSORS, MIN_TENSOR_INFO_BYTES);
        long entryCount = checkCount(c, c.i64("metadata count"), "metadata count", MAX_METADATA_ENTRIES,
                MIN_ENTRY_BYTES);

        Map<String, Entry> entries = new LinkedHashMap<>();
        for (long i = 0; i < entryCount; i++) {
            long at = c.pos();
            String key = c.string("key of metadata entry " + i, MAX_NAME_BYTES);
            if (key.isEmpty()) {
                throw c.error("metadata entry " + i + " at byte " + at + " has an empty key");
            }
            if (entries.containsKey(key)) {
                throw c.error("metadata key '" + key + "' appears twice (again at byte " + at + ")");
            }
            long typeId = c.u32("value type of metadata '" + key + "'");
            GgufValueType type = GgufValueType.of(typeId);
            if (type == null) {
                throw c.error("metadata '" + key + "' has unknown value type " + typeId + " (0 to 12 exist)");
            }
            entries.put(key, readEntry(c, key, type));
        }

        long alignment = DEFAULT_ALIGNMENT;
        Entry a = entries.get("general.alignment");
        if (a != null) {
            if (a.type != GgufValueType.UINT32) {
                throw c.error("metadata 'general.alignment' must be a UINT32, not " + a.type);
            }
            alignment = (Long) a.scalar;
            if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
                throw c.error("metadata 'general.alignment' = " + alignment + " is not a power of two");
            }
        }

        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (long i = 0; i < tensorCount; i++) {
            c.tensor = null;
            long at = c.pos();
            String name = c.string("name of tensor " + i, MAX_NAME_BYTES);
            if (name.isEmpty()) {
                throw c.error("tensor " + i + " at byte " + at + " has an empty name");
            }
            c.tensor = name;
            if (tensors.containsKey(name)) {
                throw c.error("the name appears twice (tensor " + i + ", at byte " + at + ")");
            }
            tensors.put(name, readTensorInfo(c, name, alignment));
        }
        c.tensor = null;

        long infoEnd = c.pos();
        long dataStart = Math.addExact(infoEnd, Math.floorMod(-infoEnd, alignment));
        if (dataStart > size) {
            if (!tensors.isEmpty()) {
                throw c.error("the data section would start at byte " + dataStart + " (tensor infos end at "
                        + infoEnd + ", alignment " + alignment + "), past the end of the file (" + size
                        + " bytes): file truncated");
            }
            dataStart = size;
        }
        long dataSize = size - dataStart;
        for (TensorInfo t : tensors.values()) {
            if (t.end() > dataSize) {
                throw new ModelFileException(path, t.name(), "data [" + t.begin() + ", " + t.end()
                        + ") lies outside the data section of " + dataSize + " bytes (starting at byte " + dataStart
                        + "): file truncated or corrupt");
            }
        }
        checkNoOverlap(path, tensors.values());
        return new Header((int) version, alignment, dataStart, Collections.unmodifiableMap(entries),
                Collections.unmodifiableMap(tensors));
    }

    private static long checkCount(Cursor c, long count, String what, long max, int minBytes) {
        if (count < 0 || count > max) {
            throw c.error(what + " " + Long.toUnsignedString(count) + " is out of range (at most " + max
                    + "): file corrupt");
        }
        if (count > c.remaining() / minBytes) {
            throw c.error(what + " " + count + " needs at least " + count * minBytes + " bytes, but only "
                    + c.remaining() + " remain: file truncated or corrupt");
        }
        return count;
    }

    private static Entry readEntry(Cursor c, String key, GgufValueType type) {
        String what = "value of metadata '" + key + "'";
        Object v = switch (type) {
            case UINT8 -> (long) c.u8(what);
            case INT8 -> (long) (byte) c.u8(what);
            case UINT16 -> (long) (c.i16(what) & 0xFFFF);
            case INT16 -> (long) c.i16(what);
            case UINT32 -> c.u32(what);
            case INT32 -> (long) c.i32(what);
            case UINT64 -> unsigned(c.i64(what));
            case INT64 -> c.i64(what);
            case FLOAT32 -> c.f32(what);
            case FLOAT64 -> c.f64(what);
            case BOOL -> {
                int b = c.u8(what);
                if (b > 1) {
                    throw c.error("metadata '" + key + "' is a BOOL stored as " + b + " (must be 0 or 1)");
                }
                yield b == 1;
            }
            case STRING -> c.string(what, MAX_STRING_BYTES);
            case ARRAY -> null;
        };
        if (type != GgufValueType.ARRAY) {
            return new Entry(key, type, null, 0, 0, 0, v);
        }
        GgufValueType elem = arrayHeader(c, key);
        long count = arrayCount(c, key, elem);
        long offset = c.pos();
        skipElements(c, key, elem, count, 1);
        return new Entry(key, type, elem, count, offset, c.pos(), null);
    }

    private static Object unsigned(long v) {
        return v >= 0 ? Long.valueOf(v) : new BigInteger(Long.toUnsignedString(v));
    }

    private static GgufValueType arrayHeader(Cursor c, String key) {
        long id = c.u32("element type of metadata '" + key + "'");
        GgufValueType elem = GgufValueType.of(id);
        if (elem == null) {
            throw c.error("metadata '" + key + "' is an array of unknown value type " + id + " (0 to 12 exist)");
        }
        return elem;
    }

    private static long arrayCount(Cursor c, String key, GgufValueType elem) {
        long count = c.i64("element count of metadata '" + key + "'");
        if (count < 0 || count > c.remaining() / elem.minSize()) {
            throw c.error("metadata '" + key + "' claims " + Long.toUnsignedString(count) + " elements of type "
                    + elem + ", more than the " + c.remaining() + " bytes left can hold: file truncated or corrupt");
        }
        return count;
    }

    /** Steps over {@code count} array elements, checking that each lies inside the file. */
    private static void skipElements(Cursor c, String key, GgufValueType elem, long count, int depth) {
        switch (elem) {
            case STRING -> {
                for (long i = 0; i < count; i++) {
                    if (!c.skipStringIfPresent(MAX_STRING_BYTES)) {
                        throw c.error("element " + i + " of metadata '" + key + "' (a string at byte " + c.pos()
                                + ") runs past the end of the file or is longer than " + MAX_STRING_BYTES
                                + " bytes: file truncated or corrupt");
                    }
                }
            }
            case ARRAY -> {
                if (depth >= MAX_ARRAY_DEPTH) {
                    throw c.error("metadata '" + key + "' nests arrays more than " + MAX_ARRAY_DEPTH + " deep");
                }
                for (long i = 0; i < count; i++) {
                    GgufValueType inner = arrayHeader(c, key);
                    skipElements(c, key, inner, arrayCount(c, key, inner), depth + 1);
                }
            }
            default -> c.skip(count * elem.size(), "elements of metadata '" + key + "'");
        }
    }

    private static TensorInfo readTensorInfo(Cursor c, String name, long alignment) {
        long nDims = c.u32("dimension count");
        if (nDims > MAX_DIMS) {
            throw c.error("has " + nDims + " dimensions; ggml tensors have at most " + MAX_DIMS);
        }
        long[] ne = new long[(int) nDims];
        long elements = 1;
        for (int d = 0; d < ne.length; d++) {
            ne[d] = c.i64("dimension ne[" + d + "]");
            if (ne[d] < 0) {
                throw c.error("dimension ne[" + d + "] = " + Long.toUnsignedString(ne[d]) + " is out of range");
            }
        }
        for (long n : ne) {
            try {
                elements = Math.multiplyExact(elements, n);
            } catch (ArithmeticException e) {
                throw c.error("ne " + Arrays.toString(ne) + " has more than 2^63 elements");
            }
        }
        long typeId = c.u32("type");
        DType dtype = GgmlTypes.dtype(typeId);
        if (dtype == null) {
            throw c.error(GgmlTypes.describe(typeId) + " is not supported (supported: " + GgmlTypes.SUPPORTED + ")");
        }
        long offset = c.i64("data offset");
        if (offset < 0) {
            throw c.error("data offset " + Long.toUnsignedString(offset) + " is out of range");
        }
        if (offset % alignment != 0) {
            throw c.error("data offset " + offset + " is not a multiple of the alignment " + alignment);
        }
        if (dtype.isBlockType() && (ne.length == 0 || ne[0] % dtype.blockElements() != 0)) {
            throw c.error("row length ne[0] = " + (ne.length == 0 ? "1 (a scalar)" : Long.toString(ne[0]))
                    + " is not a multiple of the " + dtype + " block of " + dtype.blockElements() + " values");
        }
        long bytes;
        long end;
        try {
            bytes = dtype.byteSize(elements);
            end = Math.addExact(offset, bytes);
        } catch (ArithmeticException e) {
            throw c.error("ne " + Arrays.toString(ne) + " of " + dtype + " at offset " + offset
                    + " is too large to address");
        }
        long[] shape = new long[ne.length];
        for (int d = 0; d < ne.length; d++) {
            shape[d] = ne[ne.length - 1 - d];
        }
        return new TensorInfo(name, dtype, shape, offset, end);
    }

    private static void checkNoOverlap(Path path, Collection<TensorInfo> all) {
        List<TensorInfo> sorted = new ArrayList<>();
        for (TensorInfo t : all) {
            if (t.byteSize() > 0) {
                sorted.add(t);
            }
        }
        sorted.sort(Comparator.comparingLong(TensorInfo::begin));
        for (int i = 1; i < sorted.size(); i++) {
            TensorInfo prev = sorted.get(i - 1);
            TensorInfo cur = sorted.get(i);
            if (cur.begin() < prev.end()) {
                throw new ModelFileException(path, cur.name(), "data [" + cur.begin() + ", " + cur.end()
                        + ") overlaps tensor '" + prev.name() + "' [" + prev.begin() + ", " + prev.end() + ")");
            }
        }
    }

    private static String hex(MemorySegment seg, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : " ").append(String.format("%02x", seg.get(ValueLayout.JAVA_BYTE, i)));
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- file facts

    /** The GGUF version (2 or 3; the two are laid out alike). */
    public int version() {
        return header.version;
    }

    /** Alignment of the data section and of every tensor in it (a power of two). */
    public long alignment() {
        return header.alignment;
    }

    /** File offset of the data section, to which tensor byte ranges are relative. */
    public long dataOffset() {
        return header.dataStart;
    }

    /**
     * The model architecture ({@code general.architecture}, e.g. "rwkv7").
     *
     * @throws ModelFileException when the entry is missing or not a string
     */
    public String architecture() {
        return string("general.architecture");
    }

    // ---------------------------------------------------------------- metadata

    /** All metadata keys, in file order. */
    public Set<String> keys() {
        return header.entries.keySet();
    }

    /** The value type of an entry, if present. */
    public Optional<GgufValueType> type(String key) {
        Entry e = header.entries.get(key);
        return e == null ? Optional.empty() : Optional.of(e.type);
    }

    /** The element type of an array entry, if present and an array. */
    public Optional<GgufValueType> elementType(String key) {
        Entry e = header.entries.get(key);
        return e == null ? Optional.empty() : Optional.ofNullable(e.elementType);
    }

    /**
     * The value of an entry, if present: integers of every width as {@link Long} (a UINT64 above 2^63 - 1 as
     * {@link BigInteger}), FLOAT32 as {@link Float}, FLOAT64 as {@link Double}, BOOL as {@link Boolean}, STRING as
     * {@link String}, and an array as an unmodifiable {@link List} of such values (nested arrays as lists). For
     * large arrays the typed accessors ({@link #strings}, {@link #ints}, {@link #floats}) avoid the boxing.
     */
    public Optional<Object> value(String key) {
        Entry e = header.entries.get(key);
        if (e == null) {
            return Optional.empty();
        }
        if (e.type != GgufValueType.ARRAY) {
            return Optional.of(e.scalar);
        }
        Cursor c = new Cursor(path, file, e.offset, e.end);
        return Optional.of(decodeList(c, e.key, e.elementType, e.count));
    }

    private List<Object> decodeList(Cursor c, String key, GgufValueType elem, long count) {
        int n = javaLength(key, count);
        Object[] out = new Object[n];
        String what = "element of metadata '" + key + "'";
        for (int i = 0; i < n; i++) {
            out[i] = switch (elem) {
                case UINT8 -> (long) c.u8(what);
                case INT8 -> (long) (byte) c.u8(what);
                case UINT16 -> (long) (c.i16(what) & 0xFFFF);
                case INT16 -> (long) c.i16(what);
                case UINT32 -> c.u32(what);
                case INT32 -> (long) c.i32(what);
                case UINT64 -> unsigned(c.i64(what));
                case INT64 -> c.i64(what);
                case FLOAT32 -> c.f32(what);
                case FLOAT64 -> c.f64(what);
                case BOOL -> {
                    int b = c.u8(what);
                    if (b > 1) {
                        throw c.error("element " + i + " of metadata '" + key + "' is a BOOL stored as " + b);
                    }
                    yield b == 1;
                }
                case STRING -> c.string(what, MAX_STRING_BYTES);
                case ARRAY -> {
                    GgufValueType inner = arrayHeader(c, key);
                    yield decodeList(c, key, inner, arrayCount(c, key, inner));
                }
            };
        }
        return List.of(out);
    }

    /**
     * An integer entry of any integer type.
     *
     * @throws ModelFileException when missing, not an integer, or a UINT64 above 2^63 - 1
     */
    public long integer(String key) {
        Entry e = require(key);
        if (!e.type.isInteger()) {
            throw wrongType(e, "an integer");
        }
        if (e.scalar instanceof Long l) {
            return l;
        }
        throw new ModelFileException(path, null, "metadata '" + key + "' = " + e.scalar
                + " does not fit in a signed 64-bit integer");
    }

    /**
     * A FLOAT32 or FLOAT64 entry.
     *
     * @throws ModelFileException when missing or of another type
     */
    public double real(String key) {
        Entry e = require(key);
        return switch (e.type) {
            case FLOAT32 -> (Float) e.scalar;
            case FLOAT64 -> (Double) e.scalar;
            default -> throw wrongType(e, "a FLOAT32 or FLOAT64");
        };
    }

    /**
     * A BOOL entry.
     *
     * @throws ModelFileException when missing or of another type
     */
    public boolean bool(String key) {
        Entry e = require(key);
        if (e.type != GgufValueType.BOOL) {
            throw wrongType(e, "a BOOL");
        }
        return (Boolean) e.scalar;
    }

    /**
     * A STRING entry.
     *
     * @throws ModelFileException when missing or of another type
     */
    public String string(String key) {
        Entry e = require(key);
        if (e.type != GgufValueType.STRING) {
            throw wrongType(e, "a STRING");
        }
        return (String) e.scalar;
    }

    /** Number of elements of an array entry. */
    public long arrayLength(String key) {
        return requireArray(key, null, "an ARRAY").count;
    }

    /**
     * An array of strings (e.g. {@code tokenizer.ggml.tokens}), decoded from the file, unmodifiable.
     *
     * @throws ModelFileException when missing, not an array of strings, or an element is not valid UTF-8
     */
    public List<String> strings(String key) {
        Entry e = requireArray(key, GgufValueType.STRING, "an ARRAY of STRING");
        int n = javaLength(key, e.count);
        if (e.end - e.offset > Integer.MAX_VALUE - 8) {
            throw new ModelFileException(path, null, "metadata '" + key + "' takes " + (e.end - e.offset)
                    + " bytes, more than one Java array holds");
        }
        // One copy of the whole array, then plain array reads: fast even before the JIT has compiled anything.
        byte[] b = new byte[(int) (e.end - e.offset)];
        MemorySegment.copy(file, ValueLayout.JAVA_BYTE, e.offset, b, 0, b.length);
        String[] out = new String[n];
        int pos = 0;
        for (int i = 0; i < n; i++) {
            long len = b.length - pos >= 8 ? littleEndianLong(b, pos) : -1;
            if (len < 0 || len > b.length - pos - 8) {
                throw new ModelFileException(path, null, "element " + i + " of metadata '" + key
                        + "' runs past the end of the array (file changed?)");
            }
            out[i] = Cursor.utf8(b, pos + 8, (int) len);
            if (out[i] == null) {
                throw new ModelFileException(path, null, "element " + i + " of metadata '" + key
                        + "' is not valid UTF-8");
            }
            pos += 8 + (int) len;
        }
        return List.of(out);
    }

    private static long littleEndianLong(byte[] b, int at) {
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = (v << 8) | (b[at + i] & 0xFF);
        }
        return v;
    }

    /**
     * An array of integers as int (e.g. {@code tokenizer.ggml.token_type}); any integer element type whose values
     * fit in an int.
     *
     * @throws ModelFileException when missing, not an integer array, or a value does not fit
     */
    public int[] ints(String key) {
        Entry e = requireIntegerArray(key);
        int n = javaLength(key, e.count);
        int[] out = new int[n];
        if (e.elementType == GgufValueType.INT32) {
            MemorySegment.copy(file, Cursor.I32, e.offset, out, 0, n);
            return out;
        }
        long[] wide = longs(key);
        for (int i = 0; i < n; i++) {
            if (wide[i] != (int) wide[i]) {
                throw new ModelFileException(path, null, "element " + i + " of metadata '" + key + "' = " + wide[i]
                        + " does not fit in an int");
            }
            out[i] = (int) wide[i];
        }
        return out;
    }

    /**
     * An array of integers as long; any integer element type (a UINT64 above 2^63 - 1 is an error).
     *
     * @throws ModelFileException when missing, not an integer array, or a value does not fit
     */
    public long[] longs(String key) {
        Entry e = requireIntegerArray(key);
        int n = javaLength(key, e.count);
        long[] out = new long[n];
        long pos = e.offset;
        int size = e.elementType.size();
        for (int i = 0; i < n; i++, pos += size) {
            out[i] = switch (e.elementType) {
                case UINT8 -> file.get(ValueLayout.JAVA_BYTE, pos) & 0xFF;
                case INT8 -> file.get(ValueLayout.JAVA_BYTE, pos);
                case UINT16 -> file.get(Cursor.I16, pos) & 0xFFFF;
                case INT16 -> file.get(Cursor.I16, pos);
                case UINT32 -> Integer.toUnsignedLong(file.get(Cursor.I32, pos));
                case INT32 -> file.get(Cursor.I32, pos);
                default -> file.get(Cursor.I64, pos);
            };
            if (out[i] < 0 && e.elementType == GgufValueType.UINT64) {
                throw new ModelFileException(path, null, "element " + i + " of metadata '" + key + "' = "
                        + Long.toUnsignedString(out[i]) + " does not fit in a signed 64-bit integer");
            }
        }
        return out;
    }

    /**
     * An array of FLOAT32 (e.g. {@code tokenizer.ggml.scores}).
     *
     * @throws ModelFileException when missing or not an array of FLOAT32
     */
    public float[] floats(String key) {
        Entry e = requireArray(key, GgufValueType.FLOAT32, "an ARRAY of FLOAT32");
        float[] out = new float[javaLength(key, e.count)];
        MemorySegment.copy(file, Cursor.F32, e.offset, out, 0, out.length);
        return out;
    }

    private Entry require(String key) {
        Entry e = header.entries.get(key);
        if (e == null) {
            throw new ModelFileException(path, null, "metadata '" + key + "' is missing");
        }
        return e;
    }

    private Entry requireArray(String key, GgufValueType elem, String expected) {
        Entry e = require(key);
        if (e.type != GgufValueType.ARRAY || (elem != null && e.elementType != elem)) {
            throw wrongType(e, expected);
        }
        return e;
    }

    private Entry requireIntegerArray(String key) {
        Entry e = require(key);
        if (e.type != GgufValueType.ARRAY || !e.elementType.isInteger()) {
            throw wrongType(e, "an ARRAY of integers");
        }
        return e;
    }

    private ModelFileException wrongType(Entry e, String expected) {
        String actual = e.type == GgufValueType.ARRAY ? "an ARRAY of " + e.elementType : "a " + e.type;
        return new ModelFileException(path, null, "metadata '" + e.key + "' is " + actual + ", not " + expected);
    }

    private int javaLength(String key, long count) {
        if (count > Integer.MAX_VALUE - 8) {
            throw new ModelFileException(path, null, "metadata '" + key + "' has " + count
                    + " elements, too many for one Java array");
        }
        return (int) count;
    }

    // ---------------------------------------------------------------- TensorStore

    @Override
    public ModelFormat format() {
        return ModelFormat.GGUF;
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public Collection<TensorInfo> tensors() {
        return header.tensors.values();
    }

    @Override
    public TensorInfo find(String name) {
        return header.tensors.get(name);
    }

    @Override
    public MemorySegment data(TensorInfo t) {
        if (header.tensors.get(t.name()) != t) {
            throw new IllegalArgumentException("tensor " + t.name() + " does not belong to " + path);
        }
        return file.asSlice(header.dataStart + t.begin(), t.byteSize()).asReadOnly();
    }

    /** The scalar metadata entries as text, in file order (arrays: see the typed accessors). */
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
