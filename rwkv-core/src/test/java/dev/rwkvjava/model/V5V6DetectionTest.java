package dev.rwkvjava.model;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.ModelFileException;
import dev.rwkvjava.testutil.ModelFiles;
import dev.rwkvjava.testutil.ModelFiles.Tensor;
import dev.rwkvjava.testutil.TestData;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * RWKV 5.0, 5.1, 5.2 and 6.0 are told apart from the set of names and shapes, with their head dimensions; a file
 * with a required tensor missing or mis-shaped fails with an error naming the version it looks closest to and the
 * tensor.
 */
class V5V6DetectionTest {
    @TempDir
    Path dir;

    /** version, source, a tensor to remove, a tensor to mis-shape, its wrong shape, the shape the error expects. */
    static Stream<Arguments> versions() {
        return Stream.of(
                Arguments.of("5.0", "tiny-rwkv-5v1-730K", "blocks.7.att.time_mix_r",
                        "blocks.3.att.time_decay", new long[] {2, 4}, "[8]"),
                Arguments.of("5.1", "v5.1 from tiny-rwkv-5v2-730K", "blocks.5.att.gate.weight",
                        "blocks.2.att.value.weight", new long[] {32, 128}, "[64, 64]"),
                Arguments.of("5.2", "tiny-rwkv-5v2-730K", "blocks.11.att.time_faaaa",
                        "blocks.4.att.gate.weight", new long[] {32, 128}, "[64, 64]"),
                Arguments.of("6.0", "tiny-rwkv-6v0-1m", "blocks.6.att.time_decay_w2",
                        "blocks.2.att.time_maa_w2", new long[] {5, 64, 32}, "[5, 32, 64]"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("versions")
    void detectsVersionAndHeads(String version, String source) {
        Path file = ModelFiles.write(dir.resolve("ok.safetensors"), tensors(source));
        try (RwkvModel m = RwkvModel.load(file, RwkvModel.Options.defaults().withThreads(1))) {
            assertThat(m.info().version().label()).isEqualTo(version);
            assertThat(m.info().heads()).isEqualTo(8);
            assertThat(m.info().headSize()).isEqualTo(8);
            assertThat(m.info().ffnSize()).isEqualTo(version.equals("6.0") ? 224 : 256);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("versions")
    void namesMissingTensor(String version, String source, String missing) {
        List<Tensor> t = tensors(source);
        t.removeIf(x -> x.name().equals(missing));
        Path file = ModelFiles.write(dir.resolve("missing.safetensors"), t);
        assertThatThrownBy(() -> RwkvModel.load(file))
                .isInstanceOf(ModelFileException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("looks closest to RWKV " + version + " but")
                .hasMessageContaining("tensor '" + missing + "' is missing");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("versions")
    void namesMisShapedTensor(String version, String source, String missing, String bad, long[] badShape,
                              String expected) {
        List<Tensor> t = tensors(source);
        ModelFiles.put(t, ModelFiles.get(t, bad).reshaped(badShape));
        Path file = ModelFiles.write(dir.resolve("misshaped.safetensors"), t);
        assertThatThrownBy(() -> RwkvModel.load(file))
                .isInstanceOf(ModelFileException.class)
                .hasMessageContaining("looks closest to RWKV " + version + " but")
                .hasMessageContaining("tensor '" + bad + "' has shape " + java.util.Arrays.toString(badShape)
                        + ", expected " + expected);
    }

    private static List<Tensor> tensors(String source) {
        if (source.startsWith("v5.1 from ")) {
            return V51Files.v51(ModelFiles.read(TestData.file("models/tiny-rwkv-5v2-730K.f32.safetensors")), false);
        }
        return ModelFiles.read(TestData.file("models/" + source + ".f32.safetensors"));
    }
}
