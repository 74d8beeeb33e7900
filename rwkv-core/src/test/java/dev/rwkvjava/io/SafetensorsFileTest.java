package dev.rwkvjava.io;

import dev.rwkvjava.ModelFileException;

import dev.rwkvjava.LoadMode;

import dev.rwkvjava.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class SafetensorsFileTest {
    @TempDir
    Path dir;

    /** A file with the given header JSON (padded) and data bytes. */
    private Path file(String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path p = dir.resolve("m.safetensors");
        Files.write(p, b.array());
        return p;
    }

    @ParameterizedTest
    @EnumSource(LoadMode.class)
    void roundTripsWrittenTensorsAndMetadata(LoadMode mode) {
        Path p = dir.resolve("rt.safetensors");
        float[] a = {1, -2, 3.5f, 4, 5, 6};
        SafetensorsWriter.write(p, List.of(
                SafetensorsWriter.Entry.floats("a", new long[] {2, 3}, a),
                SafetensorsWriter.Entry.floats("b", DType.BF16, new long[] {3}, () -> new float[] {1, 2, 3}),
                SafetensorsWriter.Entry.floats("c", DType.F16, new long[] {2}, () -> new float[] {0.5f, -8}),
                SafetensorsWriter.Entry.ints("i", new long[] {2}, new int[] {7, -9})), Map.of("k", "v"));
        try (SafetensorsFile f = SafetensorsFile.open(p, mode)) {
            assertThat(f.metadata()).containsEntry("k", "v");
            assertThat(f.tensors()).extracting(TensorInfo::name).containsExactly("a", "b", "c", "i");
            TensorInfo t = f.find("a");
            assertThat(t.shape()).containsExactly(2, 3);
            assertThat(dev.rwkvjava.tensor.WeightReader.toFloatArray(f.data(t), DType.F32)).containsExactly(a);
            assertThat(dev.rwkvjava.tensor.WeightReader.toFloatArray(f.data(f.find("b")), DType.BF16)).containsExactly(1, 2, 3);
            assertThat(dev.rwkvjava.tensor.WeightReader.toFloatArray(f.data(f.find("c")), DType.F16)).containsExactly(0.5f, -8);
            assertThat(f.data(f.find("i")).byteSize()).isEqualTo(8);
        }
    }

    @Test
    void readIntoMemoryTheDataAreaStartsOnACacheLine() {
        // Headers of eight different lengths (padded to 8 bytes): the data area lands on every offset mod 64.
        for (int extra = 0; extra < 8; extra++) {
            Path p = dir.resolve("align" + extra + ".safetensors");
            SafetensorsWriter.write(p, List.of(SafetensorsWriter.Entry.floats("a", new long[] {16}, new float[16])),
                    Map.of("pad", "x".repeat(8 * extra)));
            try (SafetensorsFile f = SafetensorsFile.open(p, LoadMode.READ)) {
                assertThat(f.data(f.find("a")).address() % 64).as("header variant %d", extra).isZero();
            }
        }
    }

    @Test
    void truncatedFile() throws IOException {
        Path p = dir.resolve("short.safetensors");
        Files.write(p, new byte[] {1, 2, 3});
        assertThatThrownBy(() -> SafetensorsFile.open(p)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("short.safetensors").hasMessageContaining("too short");
    }

    @ParameterizedTest
    @EnumSource(LoadMode.class)
    void headerLengthPastTheEnd(LoadMode mode) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).putLong(0);
        Path p = dir.resolve("past.safetensors");
        Files.write(p, b.array());
        assertThatThrownBy(() -> SafetensorsFile.open(p, mode)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("runs past the end");
    }

    @Test
    void hugeHeaderLength() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE).putLong(0);
        Path p = dir.resolve("huge.safetensors");
        Files.write(p, b.array());
        assertThatThrownBy(() -> SafetensorsFile.open(p)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("out of range");
    }

    @Test
    void malformedJson() throws IOException {
        Path p = file("{\"a\": {\"dtype\": \"F32\", ", 0);
        assertThatThrownBy(() -> SafetensorsFile.open(p)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("not valid JSON");
    }

    @Test
    void textAfterTheHeaderObject() throws IOException {
        Path p = file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}} xyz", 4);
        assertThatThrownBy(() -> SafetensorsFile.open(p)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("not valid JSON").hasMessageContaining("xyz");
    }

    @Test
    void spacesAfterTheHeaderObjectArePadding() throws IOException {
        Path p = file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}     ", 4);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.find("a").shape()).containsExactly(1);
        }
    }

    @Test
    void writtenFilesTakeTheDefaultPermissions() throws IOException {
        Path p = dir.resolve("perm.safetensors");
        SafetensorsWriter.write(p, List.of(SafetensorsWriter.Entry.floats("a", new long[] {1}, new float[1])),
                Map.of());
        Path plain = Files.createFile(dir.resolve("plain"));
        assumeTrue(Files.getFileStore(p).supportsFileAttributeView("posix"), "POSIX permissions");
        assertThat(Files.getPosixFilePermissions(p)).isEqualTo(Files.getPosixFilePermissions(plain));
        try (var names = Files.list(dir)) {
            assertThat(names.map(n -> n.getFileName().toString())).containsExactlyInAnyOrder("perm.safetensors",
                    "plain");
        }
    }

    @Test
    void duplicateNames() throws IOException {
        Path p = file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8);
        assertThatThrownBy(() -> SafetensorsFile.open(p)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("Duplicate");
    }

    @Test
    void unknownDtype() throws IOException {
        Path p = file("{\"w\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2);
        assertThatThrownBy(() -> SafetensorsFile.open(p)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("'w'").hasMessageContaining("unknown dtype 'Q4'");
    }

    @Test
    void offsetsOutOfRange() throws IOException {
        Path p = file("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8);
        assertThatThrownBy(() -> SafetensorsFile.open(p)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("'w'").hasMessageContaining("outside the data area");
    }

    @Test
    void beginAfterEnd() throws IOException {
        Path p = file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8);
        assertThatThrownBy(() -> SafetensorsFile.open(p)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("'w'").hasMessageContaining("begin <= end");
    }

    @Test
    void sizeDisagreesWithShape() throws IOException {
        Path p = file("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8);
        assertThatThrownBy(() -> SafetensorsFile.open(p)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("'w'").hasMessageContaining("needs 12");
    }

    @Test
    void overlappingTensors() throws IOException {
        Path p = file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
        assertThatThrownBy(() -> SafetensorsFile.open(p)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("'b'").hasMessageContaining("overlap tensor 'a'");
    }

    @Test
    void negativeDimension() throws IOException {
        Path p = file("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4);
        assertThatThrownBy(() -> SafetensorsFile.open(p)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("'w'").hasMessageContaining("invalid dimension");
    }

    @Test
    void metadataMustBeStrings() throws IOException {
        Path p = file("{\"__metadata__\":{\"n\":3}}", 0);
        assertThatThrownBy(() -> SafetensorsFile.open(p)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("__metadata__");
    }

    @Test
    void missingFile() {
        assertThatThrownBy(() -> SafetensorsFile.open(dir.resolve("nope.safetensors")))
                .isInstanceOf(ModelFileException.class).hasMessageContaining("nope.safetensors");
    }

    @Test
    void interruptedWriteLeavesNoFile() {
        Path p = dir.resolve("partial.safetensors");
        assertThatThrownBy(() -> SafetensorsWriter.write(p, List.of(
                SafetensorsWriter.Entry.floats("a", new long[] {1}, new float[] {1}),
                SafetensorsWriter.Entry.floats("b", DType.F32, new long[] {2}, () -> {
                    throw new IllegalStateException("generator failed");
                })), Map.of())).hasMessageContaining("generator failed");
        assertThat(p).doesNotExist();
        assertThat(dir.toFile().list()).satisfies(names -> assertThat(Arrays.asList(names)).isEmpty());
    }
}
