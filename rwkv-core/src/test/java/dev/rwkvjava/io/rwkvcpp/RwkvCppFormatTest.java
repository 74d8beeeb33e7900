package dev.rwkvjava.io.rwkvcpp;

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
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** rwkv.cpp files written by the test: the layout, every supported type, and each refusal. */
class RwkvCppFormatTest {
    @TempDir
    Path dir;

    /** emb.weight F32 [4, 32], a Q8_0 [32, 32] matrix and an F16 [32] vector, in that order. */
    private static BinBuilder base() {
        return BinBuilder.v101()
                .header("emb.weight", 0, 32, 4).data(512, 0)
                .header("blocks.0.att.key.weight", 9, 32, 32).data(32 * 34, 1)
                .header("blocks.0.att.time_decay", 1, 32).data(64, 2);
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    @ParameterizedTest
    @EnumSource(LoadMode.class)
    void readsTheLayout(LoadMode mode) throws IOException {
        Path p = write("base.bin", base().build());
        try (RwkvCppFile f = RwkvCppFile.open(p, mode)) {
            assertThat(f.fileVersion()).isEqualTo(101);
            assertThat(f.nVocab()).isEqualTo(4);
            assertThat(f.nEmbed()).isEqualTo(32);
            assertThat(f.nLayer()).isEqualTo(1);
            assertThat(f.dataType()).isEqualTo(DType.F32);
            assertThat(f.dataTypeName()).isEqualTo("FP32");
            assertThat(f.tensors()).extracting(TensorInfo::name)
                    .containsExactly("emb.weight", "blocks.0.att.key.weight", "blocks.0.att.time_decay");
            TensorInfo emb = f.find("emb.weight");
            assertThat(emb.shape()).containsExactly(4, 32);
            // 24 bytes of file header, 12 of tensor header, 8 of dims, 10 of name.
            assertThat(emb.begin()).isEqualTo(24 + 12 + 8 + 10);
            assertThat(Float.floatToRawIntBits(WeightReader.toFloatArray(f.data(emb), DType.F32)[1]))
                    .isEqualTo(0x07060504);
            TensorInfo key = f.find("blocks.0.att.key.weight");
            assertThat(key.dtype()).isEqualTo(DType.Q8_0);
            assertThat(key.shape()).containsExactly(32, 32);
            assertThat(key.byteSize()).isEqualTo(32 * 34);
            assertThat(f.data(key).get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 1);
            TensorInfo decay = f.find("blocks.0.att.time_decay");
            assertThat(decay.dtype()).isEqualTo(DType.F16);
            assertThat(decay.shape()).containsExactly(32);
            assertThat(decay.end()).isEqualTo(f.fileSize());
            assertThat(f.data(decay).get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 2);
        }
    }

    @Test
    void everySupportedType() throws IOException {
        Object[][] types = {
            {0, DType.F32}, {1, DType.F16}, {2, DType.Q4_0}, {3, DType.Q4_1}, {7, DType.Q5_0}, {8, DType.Q5_1},
            {9, DType.Q8_0}, {13, DType.Q4_K}, {14, DType.Q5_K}, {15, DType.Q6_K},
        };
        BinBuilder b = BinBuilder.v101();
        for (Object[] t : types) {
            DType d = (DType) t[1];
            int rowLength = d.blockElements() == 1 ? 8 : d.blockElements();
            b.header(d.name(), (int) t[0], rowLength, 2, 3).data((int) d.byteSize(6L * rowLength), 0);
        }
        try (RwkvCppFile f = RwkvCppFile.open(write("types.bin", b.build()))) {
            for (Object[] t : types) {
                DType d = (DType) t[1];
                TensorInfo info = f.find(d.name());
                assertThat(info.dtype()).isEqualTo(d);
                int rowLength = d.blockElements() == 1 ? 8 : d.blockElements();
                assertThat(info.shape()).containsExactly(3, 2, rowLength);
            }
        }
    }

    @Test
    void version100ReadsPlainTypes() throws IOException {
        byte[] bytes = new BinBuilder(RwkvCppFile.MAGIC, 100, 4, 32, 1, 1)
                .header("emb.weight", 1, 32, 4).data(256, 0).build();
        try (RwkvCppFile f = RwkvCppFile.open(write("v100.bin", bytes))) {
            assertThat(f.fileVersion()).isEqualTo(100);
            assertThat(f.find("emb.weight").dtype()).isEqualTo(DType.F16);
        }
    }

    // ---------------------------------------------------------------- refusals

    private ModelFileException refused(byte[] bytes, String... fragments) throws IOException {
        Path p = write("bad.bin", bytes);
        ModelFileException last = null;
        for (LoadMode mode : LoadMode.values()) {
            Throwable t = catchThrowable(() -> RwkvCppFile.open(p, mode).close());
            assertThat(t).as("mode %s", mode).isInstanceOf(ModelFileException.class)
                    .hasMessageContaining(p.toString());
            for (String s : fragments) {
                assertThat(t).hasMessageContaining(s);
            }
            last = (ModelFileException) t;
        }
        assertThat(Files.readAllBytes(p)).as("file unchanged").isEqualTo(bytes);
        Path maps = Path.of("/proc/self/maps");
        if (Files.isReadable(maps)) {
            assertThat(Files.readAllLines(maps)).noneMatch(l -> l.endsWith(p.toAbsolutePath().toString()));
        }
        return last;
    }

    @Test
    void wrongMagicOrVersion() throws IOException {
        refused(new BinBuilder(0x67676a74, 101, 4, 32, 1, 0).build(), "not an rwkv.cpp file");
        refused("GGUF".getBytes(), "not an rwkv.cpp file");
        refused(new byte[2], "not an rwkv.cpp file", "2 bytes long");
        refused(new BinBuilder(RwkvCppFile.MAGIC, 102, 4, 32, 1, 0).build(), "unsupported rwkv.cpp file version 102");
        refused(new BinBuilder(RwkvCppFile.MAGIC, -1, 4, 32, 1, 0).build(), "version 4294967295");
    }

    @Test
    void truncatedHeader() throws IOException {
        refused(Arrays.copyOf(base().build(), 20), "file header truncated: 20 bytes");
    }

    @Test
    void badHeaderFields() throws IOException {
        refused(new BinBuilder(RwkvCppFile.MAGIC, 101, 0, 32, 1, 0).build(), "n_vocab = 0 is out of range");
        refused(new BinBuilder(RwkvCppFile.MAGIC, 101, 4, -5, 1, 0).build(), "n_embed = 4294967291 is out of range");
        refused(new BinBuilder(RwkvCppFile.MAGIC, 101, 4, 32, 1, 4).build(),
                "model data type 4 (Q4_1_O) is a format rwkv.cpp removed");
        refused(new BinBuilder(RwkvCppFile.MAGIC, 101, 4, 32, 1, 10).build(),
                "model data type 10 (Q8_1) is not supported");
        refused(new BinBuilder(RwkvCppFile.MAGIC, 101, 4, 32, 1, 77).build(), "model data type 77 (unknown)");
        refused(new BinBuilder(RwkvCppFile.MAGIC, 100, 4, 32, 1, 7).build(), "Q5_0 in file version 100");
    }

    @Test
    void version100QuantizedTensor() throws IOException {
        ModelFileException e = refused(new BinBuilder(RwkvCppFile.MAGIC, 100, 4, 32, 1, 0)
                .header("blocks.0.att.key.weight", 2, 32, 32).data(32 * 18, 0).build(), "Q4_0 in file version 100");
        assertThat(e.tensor()).isEqualTo("blocks.0.att.key.weight");
    }

    @Test
    void badTensorHeaders() throws IOException {
        byte[] good = base().build();
        refused(Arrays.copyOf(good, 24 + 7), "header of tensor 0 at byte 24 is truncated");
        refused(Arrays.copyOf(good, 24 + 12 + 5), "dimensions of tensor 0 at byte 24 are truncated");
        refused(BinBuilder.v101().header("x", 0).build(), "tensor 0 at byte 24 has 0 dimensions");
        refused(BinBuilder.v101().header("x", 0, 1, 1, 1, 1).data(4, 0).build(), "has 4 dimensions");
        refused(BinBuilder.v101().i32(1).i32(0).i32(0).i32(4).data(16, 0).build(), "has length 0");
        refused(BinBuilder.v101().i32(1).i32(500).i32(0).i32(4).bytes("x".getBytes()).build(),
                "has length 500, past the end of the file");
        refused(BinBuilder.v101().i32(1).i32(-1).i32(0).i32(4).build(), "has length 4294967295");
        refused(BinBuilder.v101().i32(1).i32(2).i32(0).i32(4).bytes(new byte[] {(byte) 0xC3, 0x28}).data(16, 0)
                .build(), "name of tensor 0 at byte 24 is not valid UTF-8");
    }

    @Test
    void unsupportedTensorTypes() throws IOException {
        ModelFileException e = refused(BinBuilder.v101().header("w", 5, 32).data(20, 0).build(),
                "type 5 (Q4_2) is a format rwkv.cpp removed");
        assertThat(e.tensor()).isEqualTo("w");
        refused(BinBuilder.v101().header("w", 11, 256).data(84, 0).build(), "'w'", "type 11 (Q2_K) is not supported");
        refused(BinBuilder.v101().header("w", 200, 4).data(16, 0).build(), "'w'", "type 200 (unknown)");
    }

    @Test
    void dataPastTheEnd() throws IOException {
        byte[] good = base().build();
        ModelFileException e = refused(Arrays.copyOf(good, good.length - 1), "runs past the end of the file");
        assertThat(e.tensor()).isEqualTo("blocks.0.att.time_decay");
    }

    @Test
    void overflowingDimensions() throws IOException {
        refused(BinBuilder.v101().header("big", 0, -1, -1, -1).build(), "'big'", "too large to address");
        refused(BinBuilder.v101().header("big", 0, -1, 2).build(), "'big'", "runs past the end of the file");
    }

    @Test
    void rowsMustBeWholeBlocks() throws IOException {
        refused(BinBuilder.v101().header("q", 9, 16, 2).data(34, 0).build(), "'q'", "row length 16",
                "Q8_0 block of 32");
    }

    @Test
    void duplicateName() throws IOException {
        refused(base().header("emb.weight", 0, 4).data(16, 0).build(), "'emb.weight'", "appears twice");
    }

    /**
     * Every cut of the file is refused, except at the end of a tensor: the format has no count, so a file cut there
     * is a well-formed file with fewer tensors (the loader then finds tensors missing).
     */
    @Test
    void everyTruncation() {
        byte[] full = base().build();
        Set<Integer> tensorEnds = Set.of(24, 24 + 30 + 512, 24 + 30 + 512 + 12 + 8 + 23 + 32 * 34, full.length);
        for (int n = 0; n <= full.length; n++) {
            MemorySegment seg = MemorySegment.ofArray(Arrays.copyOf(full, n));
            Throwable t = catchThrowable(() -> RwkvCppFile.of(Path.of("cut.bin"), seg).close());
            if (tensorEnds.contains(n)) {
                assertThat(t).as("file cut to %d bytes", n).isNull();
            } else {
                assertThat(t).as("file cut to %d bytes", n).isInstanceOf(ModelFileException.class);
            }
        }
    }
}
