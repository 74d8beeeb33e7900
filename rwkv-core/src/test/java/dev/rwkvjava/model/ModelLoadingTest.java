package dev.rwkvjava.model;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.ModelFileException;
import dev.rwkvjava.io.SafetensorsFile;
import dev.rwkvjava.io.SafetensorsWriter;
import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.state.State;
import dev.rwkvjava.tensor.WeightReader;
import dev.rwkvjava.testutil.Close;
import dev.rwkvjava.testutil.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Loading RWKV-4 files: naming families, rwkv.cpp's expected logits, broken files, argument checks. */
class ModelLoadingTest {
    @TempDir
    Path dir;

    static final String TINY = "tiny-rwkv-4v0-660K.f32";
    static final String RANDOM = "random-v4-c128-l3-v1000";

    @Test
    void matchesRwkvCppExpectedLogits() throws IOException {
        byte[] raw = Files.readAllBytes(TestData.file("reference/rwkv.cpp-expected/expected-logits-4v0-660K.bin"));
        float[] expected = new float[raw.length / 4];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(expected);
        try (RwkvModel m = RwkvModel.load(TestData.modelOf(TINY))) {
            State s = m.newState();
            float[] logits = null;
            for (int t : new int[] {34, 105, 110}) {
                logits = m.forward(t, s);
            }
            Close.assertClose("rwkv.cpp expected logits", logits, expected, 1e-4);
        }
    }

    @Test
    void huggingFaceNamingGivesTheSameLogits() throws IOException {
        Path blink = TestData.modelOf(RANDOM);
        Path hf = dir.resolve("hf/model.safetensors");
        Files.createDirectories(hf.getParent());
        rewrite(blink, hf, ModelLoadingTest::toHuggingFace, null);
        Files.writeString(hf.resolveSibling("config.json"), "{\"model_type\":\"rwkv\",\"layer_norm_epsilon\":1e-05}");
        int[] tokens = {1, 500, 999, 3, 42};
        try (RwkvModel a = RwkvModel.load(blink); RwkvModel b = RwkvModel.load(hf.getParent())) {
            assertThat(b.info().naming()).isEqualTo("huggingface");
            assertThat(b.info().nLayer()).isEqualTo(a.info().nLayer());
            // The same weights under other names: equal up to the rounding of JIT-tier changes between the runs.
            Close.assertClose("logits with Hugging Face names", b.forwardAll(tokens, b.newState()),
                    a.forwardAll(tokens, a.newState()), ReferenceParityTest.MODE_TOL);
        }
    }

    /** BlinkDL name to transformers' RwkvForCausalLM name (data README, section 9). */
    static String toHuggingFace(String n) {
        if (n.equals("emb.weight")) {
            return "rwkv.embeddings.weight";
        }
        if (n.startsWith("ln_out.")) {
            return "rwkv." + n;
        }
        if (n.equals("head.weight")) {
            return n;
        }
        String s = n.replace("blocks.", "rwkv.blocks.").replace(".ln0.", ".pre_ln.")
                .replace(".att.time_mix_k", ".attention.time_mix_key").replace(".att.time_mix_v", ".attention.time_mix_value")
                .replace(".att.time_mix_r", ".attention.time_mix_receptance").replace(".att.", ".attention.")
                .replace(".ffn.time_mix_k", ".feed_forward.time_mix_key").replace(".ffn.time_mix_r", ".feed_forward.time_mix_receptance")
                .replace(".ffn.", ".feed_forward.");
        return s;
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        Path broken = dir.resolve("missing.safetensors");
        rewrite(TestData.modelOf(RANDOM), broken, n -> n.equals("blocks.1.att.key.weight") ? null : n, null);
        assertThatThrownBy(() -> RwkvModel.load(broken)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("missing.safetensors").hasMessageContaining("RWKV 4")
                .hasMessageContaining("blocks.1.att.key.weight").hasMessageContaining("missing");
    }

    /** The transposed tensor, and it alone, is named (the embedding is where the dimensions are read from). */
    @ParameterizedTest
    @ValueSource(strings = {"blocks.2.ffn.value.weight", "emb.weight", "head.weight"})
    void wrongShapeIsNamed(String tensor) throws IOException {
        Path broken = dir.resolve("shape.safetensors");
        rewrite(TestData.modelOf(RANDOM), broken, UnaryOperator.identity(), tensor);
        assertThatThrownBy(() -> RwkvModel.load(broken)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("'" + tensor + "'").hasMessageContaining("shape")
                .hasMessageNotContaining("ln1.weight");
    }

    @Test
    void notAModel() throws IOException {
        Path p = dir.resolve("other.safetensors");
        SafetensorsWriter.write(p, List.of(SafetensorsWriter.Entry.floats("weight", new long[] {2}, new float[2])), Map.of());
        assertThatThrownBy(() -> RwkvModel.load(p)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("emb.weight");
    }

    @Test
    void argumentsAreChecked() {
        try (RwkvModel m = RwkvModel.load(TestData.modelOf(RANDOM))) {
            State s = m.newState();
            assertThatThrownBy(() -> m.forward(1000, s)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("token id 1000").hasMessageContaining("1000 ids");
            assertThatThrownBy(() -> m.forward(-1, s)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> m.forward(new int[] {1, 2, 5000}, s)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("position 2");
            assertThatThrownBy(() -> m.forward(new int[0], s)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> m.forward(1, s, new float[10])).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("logits array");
            assertThat(s.tokens()).isZero();
        }
        try (RwkvModel tiny = RwkvModel.load(TestData.modelOf(TINY)); RwkvModel rnd = RwkvModel.load(TestData.modelOf(RANDOM))) {
            assertThatThrownBy(() -> rnd.forward(1, tiny.newState())).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("state");
        }
    }

    @Test
    void stateCopyAndRestoreContinueIdentically() {
        try (RwkvModel m = RwkvModel.load(TestData.modelOf(RANDOM))) {
            State s = m.newState();
            m.forward(new int[] {5, 6, 7}, s);
            State saved = s.copy();
            float[] a = m.forward(new int[] {8, 9}, s);
            State restored = m.newState();
            for (int i = 0; i < saved.tensorCount(); i++) {
                restored.setTensor(i, saved.tensor(i));
            }
            float[] b = m.forward(new int[] {8, 9}, restored);
            // Same inputs, but the JIT may have swapped a kernel's interpreted form for compiled vector code in
            // between (e.g. a vector exp), which changes the last bits: equal up to float rounding.
            Close.assertClose("restored state continues like the original", b, a, ReferenceParityTest.MODE_TOL);
            assertThat(s.tokens()).isEqualTo(5);
            s.reset();
            assertThat(s.tokens()).isZero();
            assertThat(s.tensor(3)).containsOnly(-1e30f);
        }
    }

    /**
     * Copies a model file, renaming tensors (a null name drops the tensor) and giving one tensor a wrong shape.
     */
    static void rewrite(Path from, Path to, UnaryOperator<String> rename, String reshape) {
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        try (SafetensorsFile f = SafetensorsFile.open(from)) {
            for (TensorInfo t : f.tensors()) {
                String name = rename.apply(t.name());
                if (name == null) {
                    continue;
                }
                float[] data = WeightReader.toFloatArray(f.data(t), t.dtype());
                long[] shape = t.shape();
                if (t.name().equals(reshape)) {
                    shape = new long[] {shape[1], shape[0]};
                }
                entries.add(SafetensorsWriter.Entry.floats(name, t.dtype(), shape, () -> data));
            }
            SafetensorsWriter.write(to, entries, f.metadata());
        }
    }
}
