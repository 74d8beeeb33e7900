package dev.rwkvjava.model.v7;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.ModelFileException;
import dev.rwkvjava.io.SafetensorsFile;
import dev.rwkvjava.io.SafetensorsWriter;
import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.RwkvVersion;
import dev.rwkvjava.tensor.WeightReader;
import dev.rwkvjava.testutil.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** RWKV-7 and DeepEmbed detection, and the errors for incomplete or mis-shaped files. */
class V7DetectionTest {
    private static final String V7 = "models/random-v7-c128-h2-l3-v1000.f32.safetensors";
    private static final String DEEPEMBED = "models/random-v7-deepembed-c128-h2-l3-v1000.f32.safetensors";

    @TempDir
    Path dir;

    @Test
    void detectsVersionAndDimensions() {
        try (RwkvModel m = RwkvModel.load(TestData.file(V7))) {
            assertThat(m.info().version()).isEqualTo(RwkvVersion.V7);
            assertThat(List.of(m.info().heads(), m.info().headSize(), m.info().ffnSize())).containsExactly(2, 64, 512);
            assertThat(m.newState().tensorShape(1)).containsExactly(2, 64, 64);
        }
        try (RwkvModel m = RwkvModel.load(TestData.file(DEEPEMBED))) {
            assertThat(m.info().version()).isEqualTo(RwkvVersion.V7_DEEPEMBED);
        }
        try (RwkvModel m = RwkvModel.load(TestData.file("models/tiny-rwkv-7v0-834K.bf16.safetensors"))) {
            assertThat(List.of(m.info().heads(), m.info().headSize(), m.info().nLayer())).containsExactly(1, 64, 12);
        }
    }

    @Test
    void namesMissingV7Tensor() {
        Path file = rewrite(V7, t -> t.name().equals("blocks.1.att.v2") ? null : t);
        assertThatThrownBy(() -> RwkvModel.load(file)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("looks closest to RWKV 7 but")
                .hasMessageContaining("tensor 'blocks.1.att.v2' is missing");
    }

    @Test
    void namesMisShapedV7Tensor() {
        Path file = rewrite(V7, t -> t.name().equals("blocks.2.att.a2") ? reshaped(t, 128, 32) : t);
        assertThatThrownBy(() -> RwkvModel.load(file)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("looks closest to RWKV 7 but")
                .hasMessageContaining("tensor 'blocks.2.att.a2' has shape [128, 32], expected [32, 128]");
    }

    @Test
    void namesMissingDeepEmbedTensorEvenInLayerZero() {
        Path file = rewrite(DEEPEMBED, t -> t.name().equals("blocks.0.ffn.s_emb.weight") ? null : t);
        assertThatThrownBy(() -> RwkvModel.load(file)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("looks closest to RWKV 7-deepembed but")
                .hasMessageContaining("tensor 'blocks.0.ffn.s_emb.weight' is missing");
    }

    @Test
    void namesMisShapedDeepEmbedTensor() {
        Path file = rewrite(DEEPEMBED, t -> t.name().equals("blocks.1.ffn.s1") ? reshaped(t, 32, 128) : t);
        assertThatThrownBy(() -> RwkvModel.load(file)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("looks closest to RWKV 7-deepembed but")
                .hasMessageContaining("tensor 'blocks.1.ffn.s1' has shape [32, 128], expected [128, 32]");
    }

    /** The same tensor under another shape with the same number of values. */
    private static TensorInfo reshaped(TensorInfo t, long... shape) {
        return new TensorInfo(t.name(), t.dtype(), shape, t.begin(), t.end());
    }

    /**
     * Copies a model into the temporary folder, passing every tensor through {@code edit} (null drops it; the
     * returned info's name and shape are written with the original data).
     */
    private Path rewrite(String model, UnaryOperator<TensorInfo> edit) {
        Path out = dir.resolve("edited.safetensors");
        try (SafetensorsFile src = SafetensorsFile.open(TestData.file(model))) {
            List<SafetensorsWriter.Entry> entries = new ArrayList<>();
            for (TensorInfo t : src.tensors()) {
                TensorInfo e = edit.apply(t);
                if (e != null) {
                    entries.add(SafetensorsWriter.Entry.floats(e.name(), e.dtype(), e.shape(),
                            () -> WeightReader.toFloatArray(src.data(t), t.dtype())));
                }
            }
            SafetensorsWriter.write(out, entries, Map.of());
        }
        return out;
    }
}
