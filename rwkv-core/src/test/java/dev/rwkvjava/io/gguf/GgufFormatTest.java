package dev.rwkvjava.io.gguf;

import dev.rwkvjava.LoadMode;
import dev.rwkvjava.ModelFileException;
import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.WeightReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static dev.rwkvjava.io.gguf.GgufValueType.ARRAY;
import static dev.rwkvjava.io.gguf.GgufValueType.BOOL;
import static dev.rwkvjava.io.gguf.GgufValueType.FLOAT32;
import static dev.rwkvjava.io.gguf.GgufValueType.FLOAT64;
import static dev.rwkvjava.io.gguf.GgufValueType.INT16;
import static dev.rwkvjava.io.gguf.GgufValueType.INT32;
import static dev.rwkvjava.io.gguf.GgufValueType.INT64;
import static dev.rwkvjava.io.gguf.GgufValueType.INT8;
import static dev.rwkvjava.io.gguf.GgufValueType.STRING;
import static dev.rwkvjava.io.gguf.GgufValueType.UINT16;
import static dev.rwkvjava.io.gguf.GgufValueType.UINT32;
import static dev.rwkvjava.io.gguf.GgufValueType.UINT64;
import static dev.rwkvjava.io.gguf.GgufValueType.UINT8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/** GGUF files written by the test: every value type, the header variants real files use, and each refusal. */
class GgufFormatTest {
    private static final int F32 = 0;
    private static final int Q8_0 = 8;

    @TempDir
    Path dir;

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    /** Two tensors (F32 [2, 8] at 0, Q8_0 [2, 32] at 64) and three entries; 132 data bytes. */
    private static GgufBuilder base() {
        return new GgufBuilder()
                .string("general.architecture", "rwkv7")
                .u32("rwkv7.block_count", 1)
                .kv("tokenizer.ggml.tokens", ARRAY.id(), le -> le.u32(STRING.id()).u64(2).str("a").str("b"))
                .tensor("a.weight", F32, 0, 8, 2)
                .tensor("b.weight", Q8_0, 64, 32, 2);
    }

    private static final int BASE_DATA = 64 + 2 * 34;

    @ParameterizedTest
    @EnumSource(LoadMode.class)
    void readsTheBaseFile(LoadMode mode) throws IOException {
        Path p = write("base.gguf", base().build(BASE_DATA));
        try (GgufFile f = GgufFile.open(p, mode)) {
            assertThat(f.tensors()).extracting(TensorInfo::name).containsExactly("a.weight", "b.weight");
            TensorInfo a = f.find("a.weight");
            assertThat(a.shape()).containsExactly(2, 8);
            assertThat(a.dtype()).isEqualTo(DType.F32);
            TensorInfo b = f.find("b.weight");
            assertThat(b.shape()).containsExactly(2, 32);
            assertThat(b.dtype()).isEqualTo(DType.Q8_0);
            assertThat(b.begin()).isEqualTo(64);
            assertThat(b.byteSize()).isEqualTo(68);
            // Data byte i is i mod 251: the F32 tensor's first float is bytes 0, 1, 2, 3.
            assertThat(f.data(a).byteSize()).isEqualTo(64);
            assertThat(Float.floatToRawIntBits(WeightReader.toFloatArray(f.data(a), DType.F32)[0]))
                    .isEqualTo(0x03020100);
            assertThat(f.data(b).get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 64);
            assertThat(f.dataOffset() % 32).isZero();
            assertThat(f.architecture()).isEqualTo("rwkv7");
            assertThat(f.metadata()).containsOnlyKeys("general.architecture", "rwkv7.block_count");
            assertThat(f.strings("tokenizer.ggml.tokens")).containsExactly("a", "b");
        }
    }

    @Test
    void readIntoMemoryTheDataSectionStartsOnACacheLine() throws IOException {
        for (int extra = 0; extra < 4; extra++) {
            Path p = write("align" + extra + ".gguf", base().string("pad", "x".repeat(32 * extra + 7)).build(BASE_DATA));
            try (GgufFile f = GgufFile.open(p, LoadMode.READ)) {
                assertThat(f.data(f.find("a.weight")).address() % 64).as("variant %d", extra).isZero();
            }
        }
    }

    @Test
    void everyValueTypeAndNestedArrays() throws IOException {
        byte[] bytes = new GgufBuilder()
                .kv("u8", UINT8.id(), le -> le.u8(250))
                .kv("i8", INT8.id(), le -> le.u8(-5))
                .kv("u16", UINT16.id(), le -> le.u16(65535))
                .kv("i16", INT16.id(), le -> le.u16(-300))
                .kv("u32", UINT32.id(), le -> le.u32(0xFFFFFFF0L))
                .kv("i32", INT32.id(), le -> le.u32(-7))
                .kv("f32", FLOAT32.id(), le -> le.f32(1e-5f))
                .kv("bool", BOOL.id(), le -> le.u8(1))
                .kv("str", STRING.id(), le -> le.str("Grüße, 東京"))
                .kv("u64", UINT64.id(), le -> le.u64(-1L))
                .kv("i64", INT64.id(), le -> le.u64(-(1L << 40)))
                .kv("f64", FLOAT64.id(), le -> le.f64(Math.PI))
                .kv("ints", ARRAY.id(), le -> le.u32(INT32.id()).u64(3).u32(1).u32(-2).u32(3))
                .kv("bytes", ARRAY.id(), le -> le.u32(UINT8.id()).u64(2).u8(255).u8(7))
                .kv("floats", ARRAY.id(), le -> le.u32(FLOAT32.id()).u64(2).f32(0.5f).f32(-2))
                .kv("bools", ARRAY.id(), le -> le.u32(BOOL.id()).u64(2).u8(0).u8(1))
                .kv("strs", ARRAY.id(), le -> le.u32(STRING.id()).u64(3).str("").str("é").str("\\x0a"))
                .kv("empty", ARRAY.id(), le -> le.u32(UINT64.id()).u64(0))
                .kv("nested", ARRAY.id(), le -> le.u32(ARRAY.id()).u64(2)
                        .u32(INT16.id()).u64(2).u16(1).u16(2)
                        .u32(STRING.id()).u64(1).str("x"))
                .build(0);
        try (GgufFile f = GgufFile.open(write("values.gguf", bytes))) {
            assertThat(f.keys()).hasSize(19).startsWith("u8", "i8");
            assertThat(f.integer("u8")).isEqualTo(250);
            assertThat(f.integer("i8")).isEqualTo(-5);
            assertThat(f.integer("u16")).isEqualTo(65535);
            assertThat(f.integer("i16")).isEqualTo(-300);
            assertThat(f.integer("u32")).isEqualTo(0xFFFFFFF0L);
            assertThat(f.integer("i32")).isEqualTo(-7);
            assertThat(f.real("f32")).isEqualTo(1e-5f);
            assertThat(f.value("f32")).contains(1e-5f);
            assertThat(f.bool("bool")).isTrue();
            assertThat(f.string("str")).isEqualTo("Grüße, 東京");
            assertThat(f.value("u64")).contains(new BigInteger("18446744073709551615"));
            assertThat(f.integer("i64")).isEqualTo(-(1L << 40));
            assertThat(f.real("f64")).isEqualTo(Math.PI);
            assertThat(f.ints("ints")).containsExactly(1, -2, 3);
            assertThat(f.longs("ints")).containsExactly(1, -2, 3);
            assertThat(f.ints("bytes")).containsExactly(255, 7);
            assertThat(f.floats("floats")).containsExactly(0.5f, -2f);
            assertThat(f.value("bools")).contains(List.of(false, true));
            assertThat(f.strings("strs")).containsExactly("", "é", "\\x0a");
            assertThat(f.value("empty")).contains(List.of());
            assertThat(f.arrayLength("empty")).isZero();
            assertThat(f.value("nested")).contains(List.of(List.of(1L, 2L), List.of("x")));
            assertThat(f.elementType("nested")).contains(ARRAY);
            assertThat(f.metadata()).containsEntry("u64", "18446744073709551615").containsEntry("bool", "true")
                    .containsEntry("f32", "1.0E-5").containsEntry("str", "Grüße, 東京")
                    .doesNotContainKey("ints");
            assertThat(f.tensors()).isEmpty();

            assertThatThrownBy(() -> f.integer("u64")).isInstanceOf(ModelFileException.class)
                    .hasMessageContaining("'u64'").hasMessageContaining("does not fit");
            assertThatThrownBy(() -> f.integer("str")).isInstanceOf(ModelFileException.class)
                    .hasMessageContaining("'str' is a STRING, not an integer");
            assertThatThrownBy(() -> f.strings("ints")).isInstanceOf(ModelFileException.class)
                    .hasMessageContaining("'ints' is an ARRAY of INT32, not an ARRAY of STRING");
            assertThatThrownBy(() -> f.floats("ints")).isInstanceOf(ModelFileException.class);
            assertThatThrownBy(() -> f.string("missing")).isInstanceOf(ModelFileException.class)
                    .hasMessageContaining("values.gguf").hasMessageContaining("'missing' is missing");
            assertThatThrownBy(f::architecture).isInstanceOf(ModelFileException.class)
                    .hasMessageContaining("'general.architecture' is missing");
        }
    }

    /** A vocabulary of the size real RWKV world models have, with scores and token types. */
    @Test
    void largeTokenizerArrays() throws IOException {
        int n = 65536;
        String[] tokens = new String[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = i % 7 == 0 ? "é" + i + "東" : "t" + Integer.toHexString(i);
        }
        byte[] bytes = new GgufBuilder()
                .kv("tokenizer.ggml.tokens", ARRAY.id(), le -> {
                    le.u32(STRING.id()).u64(n);
                    for (String t : tokens) {
                        le.str(t);
                    }
                })
                .kv("tokenizer.ggml.scores", ARRAY.id(), le -> {
                    le.u32(FLOAT32.id()).u64(n);
                    for (int i = 0; i < n; i++) {
                        le.f32(-i / 2f);
                    }
                })
                .kv("tokenizer.ggml.token_type", ARRAY.id(), le -> {
                    le.u32(INT32.id()).u64(n);
                    for (int i = 0; i < n; i++) {
                        le.u32(i % 3);
                    }
                })
                .build(0);
        try (GgufFile f = GgufFile.open(write("vocab.gguf", bytes))) {
            List<String> read = f.strings("tokenizer.ggml.tokens");
            assertThat(read).containsExactly(tokens);
            float[] scores = f.floats("tokenizer.ggml.scores");
            int[] types = f.ints("tokenizer.ggml.token_type");
            for (int i = 0; i < n; i++) {
                assertThat(scores[i]).isEqualTo(-i / 2f);
                assertThat(types[i]).isEqualTo(i % 3);
            }
        }
    }

    @Test
    void versionTwoAndACustomAlignment() throws IOException {
        GgufBuilder b = new GgufBuilder().u32("general.alignment", 64)
                .tensor("x", F32, 0, 4)
                .tensor("y", F32, 64, 3, 1, 2);
        b.version = 2;
        b.alignment = 64;
        try (GgufFile f = GgufFile.open(write("v2.gguf", b.build(64 + 24)))) {
            assertThat(f.version()).isEqualTo(2);
            assertThat(f.alignment()).isEqualTo(64);
            assertThat(f.dataOffset() % 64).isZero();
            assertThat(f.find("y").shape()).containsExactly(2, 1, 3);
        }
    }

    @Test
    void everySupportedTensorType() throws IOException {
        // ggml id, type, ne[0]: one row of one block (or 32 plain values).
        Object[][] types = {
            {0, DType.F32, 32}, {1, DType.F16, 32}, {30, DType.BF16, 32}, {2, DType.Q4_0, 32}, {3, DType.Q4_1, 32},
            {6, DType.Q5_0, 32}, {7, DType.Q5_1, 32}, {8, DType.Q8_0, 32}, {12, DType.Q4_K, 256},
            {13, DType.Q5_K, 256}, {14, DType.Q6_K, 256},
        };
        GgufBuilder b = new GgufBuilder();
        long offset = 0;
        for (Object[] t : types) {
            DType d = (DType) t[1];
            b.tensor(d.name(), (int) t[0], offset, (int) t[2], 3);
            offset += d.byteSize(3L * (int) t[2]);
            offset += Math.floorMod(-offset, 32);
        }
        try (GgufFile f = GgufFile.open(write("types.gguf", b.build((int) offset)))) {
            for (Object[] t : types) {
                DType d = (DType) t[1];
                TensorInfo info = f.find(d.name());
                assertThat(info.dtype()).isEqualTo(d);
                assertThat(info.shape()).containsExactly(3, (int) t[2]);
                assertThat(info.byteSize()).isEqualTo(3L * d.blockBytes() * ((int) t[2] / d.blockElements()));
                assertThat(f.data(info).byteSize()).isEqualTo(info.byteSize());
            }
        }
    }

    /** A tensor past 4 GiB (the file is sparse: its size, not its bytes, is large). */
    @Test
    void sixtyFourBitOffsets() throws IOException {
        long far = (5L << 30) + 64;
        byte[] header = new GgufBuilder().tensor("near", F32, 0, 8).tensor("far", F32, far, 4).build(0);
        Path p = write("big.gguf", header);
        long dataStart = header.length;
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.setLength(dataStart + far + 16);
            raf.seek(dataStart + far);
            raf.write(new byte[] {0, 0, (byte) 0x80, 0x3f}); // 1.0f
        }
        long t0 = System.nanoTime();
        try (GgufFile f = GgufFile.open(p)) {
            long openMs = (System.nanoTime() - t0) / 1_000_000;
            TensorInfo t = f.find("far");
            assertThat(t.begin()).isEqualTo(far);
            assertThat(f.data(t).byteSize()).isEqualTo(16);
            assertThat(WeightReader.toFloatArray(f.data(t), DType.F32)).containsExactly(1f, 0f, 0f, 0f);
            // Opening maps and reads the header only: a 5 GiB file opens as fast as a small one.
            assertThat(openMs).as("open time in ms").isLessThan(2000);
        }
    }

    // ---------------------------------------------------------------- refusals

    /** Opens in both modes, expects a refusal naming the file and the fragments, and no trace left behind. */
    private ModelFileException refused(byte[] bytes, String... fragments) throws IOException {
        Path p = write("bad.gguf", bytes);
        ModelFileException last = null;
        for (LoadMode mode : LoadMode.values()) {
            Throwable t = catchThrowable(() -> GgufFile.open(p, mode).close());
            assertThat(t).as("mode %s", mode).isInstanceOf(ModelFileException.class)
                    .hasMessageContaining(p.toString());
            for (String s : fragments) {
                assertThat(t).hasMessageContaining(s);
            }
            last = (ModelFileException) t;
        }
        assertThat(Files.readAllBytes(p)).as("file unchanged").isEqualTo(bytes);
        assertNotMapped(p);
        return last;
    }

    /** The failed open released its mapping (checked where the system lists a process's mappings). */
    static void assertNotMapped(Path p) throws IOException {
        Path maps = Path.of("/proc/self/maps");
        if (Files.isReadable(maps)) {
            assertThat(Files.readAllLines(maps)).noneMatch(l -> l.endsWith(p.toAbsolutePath().toString()));
        }
    }

    private static byte[] patched(byte[] b, int at, long value, int width) {
        byte[] c = b.clone();
        for (int i = 0; i < width; i++) {
            c[at + i] = (byte) (value >>> (8 * i));
        }
        return c;
    }

    @Test
    void wrongMagic() throws IOException {
        GgufBuilder b = base();
        b.magic = new byte[] {'G', 'G', 'M', 'L'};
        refused(b.build(BASE_DATA), "not a GGUF file", "47 47 4d 4c");
        refused(new byte[] {'G', 'G'}, "not a GGUF file", "2 bytes");
        refused(new byte[0], "not a GGUF file", "0 bytes");
    }

    @Test
    void unsupportedVersions() throws IOException {
        GgufBuilder b = base();
        b.version = 1;
        refused(b.build(BASE_DATA), "GGUF version 1 is not supported");
        b.version = 4;
        refused(b.build(BASE_DATA), "unsupported GGUF version 4");
        b.version = 0x03000000L;
        refused(b.build(BASE_DATA), "big-endian");
    }

    @Test
    void everyTruncationOfTheHeaderIsRefused() throws IOException {
        byte[] full = base().build(BASE_DATA);
        int headerEnd = base().headerBytes();
        for (int n = 0; n < headerEnd + BASE_DATA; n += (n < headerEnd ? 1 : 7)) {
            byte[] cut = Arrays.copyOf(full, n);
            Throwable t = catchThrowable(() -> GgufFile.of(Path.of("cut.gguf"), java.lang.foreign.MemorySegment.ofArray(cut)));
            assertThat(t).as("file cut to %d bytes", n).isInstanceOf(ModelFileException.class);
        }
        refused(Arrays.copyOf(full, 40), "truncated");
    }

    @Test
    void tensorOutsideTheDataSection() throws IOException {
        byte[] bytes = new GgufBuilder().tensor("a.weight", F32, 0, 8, 2).tensor("far.weight", F32, 1L << 40, 8)
                .build(64);
        ModelFileException e = refused(bytes, "outside the data section");
        assertThat(e.tensor()).isEqualTo("far.weight");
        // One byte short of the last tensor.
        refused(base().build(BASE_DATA - 1), "'b.weight'", "outside the data section");
    }

    @Test
    void misalignedOffset() throws IOException {
        ModelFileException e = refused(new GgufBuilder().tensor("a.weight", F32, 16, 4).build(64),
                "not a multiple of the alignment 32");
        assertThat(e.tensor()).isEqualTo("a.weight");
    }

    @Test
    void unsupportedTypeIds() throws IOException {
        ModelFileException e = refused(new GgufBuilder().tensor("q.weight", 9, 0, 32).build(64),
                "type id 9 (Q8_1) is not supported", "'q.weight'");
        assertThat(e.tensor()).isEqualTo("q.weight");
        refused(new GgufBuilder().tensor("q.weight", 16, 0, 256).build(64), "type id 16 (IQ2_XXS)");
        refused(new GgufBuilder().tensor("q.weight", 4, 0, 32).build(64), "type id 4 (Q4_2 (removed))");
        refused(new GgufBuilder().tensor("q.weight", 26, 0, 4).build(64), "type id 26 (I32)");
        refused(new GgufBuilder().tensor("q.weight", 1000, 0, 4).build(64), "type id 1000 (unknown)");
    }

    @Test
    void overflowingDimensions() throws IOException {
        refused(new GgufBuilder().tensor("big", F32, 0, 1L << 32, 1L << 32).build(64), "'big'", "more than 2^63");
        refused(new GgufBuilder().tensor("neg", F32, 0, -1L).build(64), "'neg'", "out of range");
        // Elements fit, bytes do not.
        refused(new GgufBuilder().tensor("bytes", F32, 0, 1L << 31, 1L << 31).build(64), "'bytes'", "too large");
        refused(new GgufBuilder().tensor("dims", F32, 0, 1, 1, 1, 1, 1).build(64), "'dims'", "5 dimensions");
    }

    @Test
    void blockTypeRowsMustBeWholeBlocks() throws IOException {
        refused(new GgufBuilder().tensor("q", Q8_0, 0, 16, 4).build(128), "'q'", "row length ne[0] = 16",
                "Q8_0 block of 32");
    }

    @Test
    void duplicateNames() throws IOException {
        refused(base().tensor("a.weight", F32, 192, 4).build(256), "'a.weight'", "appears twice");
        refused(base().u32("rwkv7.block_count", 2).build(BASE_DATA), "'rwkv7.block_count' appears twice");
    }

    @Test
    void overlappingTensors() throws IOException {
        refused(new GgufBuilder().tensor("a", F32, 0, 16).tensor("b", F32, 32, 8).build(96), "'b'", "overlaps tensor 'a'");
    }

    @Test
    void stringLengthsPastTheEnd() throws IOException {
        byte[] good = base().build(BASE_DATA);
        // The first key's length field is at byte 24.
        refused(patched(good, 24, 1L << 40, 8), "key of metadata entry 0", "past the end of the file");
        refused(patched(good, 24, -1L, 8), "past the end of the file");
        refused(new GgufBuilder().kv("s", STRING.id(), le -> le.u64(1L << 62).bytes(new byte[8])).build(0),
                "value of metadata 's'", "past the end");
        refused(new GgufBuilder().kv("t", ARRAY.id(), le -> le.u32(STRING.id()).u64(2).str("ok").u64(1L << 50))
                .build(0), "element 1 of metadata 't'");
        byte[] oneTensor = new GgufBuilder().tensor("a", F32, 0, 4).build(64);
        refused(patched(oneTensor, 24, 1L << 33, 8), "name of tensor 0", "past the end");
    }

    @Test
    void hugeCounts() throws IOException {
        GgufBuilder b = base();
        b.tensorCount = 1L << 62;
        refused(b.build(BASE_DATA), "tensor count 4611686018427387904 is out of range");
        b = base();
        b.entryCount = -1L;
        refused(b.build(BASE_DATA), "metadata count 18446744073709551615 is out of range");
        b = base();
        b.entryCount = 1000L;
        refused(b.build(BASE_DATA), "metadata count 1000 needs at least 14000 bytes");
        refused(new GgufBuilder().kv("a", ARRAY.id(), le -> le.u32(UINT64.id()).u64(1L << 60)).build(0),
                "'a' claims 1152921504606846976 elements");
        refused(new GgufBuilder().kv("a", ARRAY.id(), le -> le.u32(ARRAY.id()).u64(1L << 40)).build(0),
                "'a' claims 1099511627776 elements");
    }

    @Test
    void malformedEntries() throws IOException {
        refused(new GgufBuilder().kv("t", 13, le -> le.u8(0)).build(0), "'t' has unknown value type 13");
        refused(new GgufBuilder().kv("t", ARRAY.id(), le -> le.u32(99).u64(0)).build(0), "array of unknown value type 99");
        refused(new GgufBuilder().kv("b", BOOL.id(), le -> le.u8(2)).build(0), "'b' is a BOOL stored as 2");
        refused(new GgufBuilder().kv("", UINT8.id(), le -> le.u8(2)).build(0), "empty key");
        refused(new GgufBuilder().kv("k", STRING.id(), le -> le.u64(2).u8(0xC3).u8(0x28)).build(0), "not valid UTF-8");
        refused(new GgufBuilder().u32("general.alignment", 48).build(0), "'general.alignment' = 48 is not a power of two");
        refused(new GgufBuilder().u32("general.alignment", 0).build(0), "not a power of two");
        refused(new GgufBuilder().kv("general.alignment", UINT64.id(), le -> le.u64(32)).build(0),
                "'general.alignment' must be a UINT32, not UINT64");
        refused(new GgufBuilder().tensor("", F32, 0, 4).build(64), "empty name");
        // Arrays nested deeper than accepted.
        GgufBuilder deep = new GgufBuilder().kv("d", ARRAY.id(), le -> {
            for (int i = 0; i < 20; i++) {
                le.u32(ARRAY.id()).u64(1);
            }
            le.u32(UINT8.id()).u64(0);
        });
        refused(deep.build(0), "'d' nests arrays more than");
    }
}
