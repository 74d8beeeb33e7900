package dev.rwkvjava.state;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.generate.GenerationConfig;
import dev.rwkvjava.generate.Session;
import dev.rwkvjava.ModelFileException;
import dev.rwkvjava.io.SafetensorsFile;
import dev.rwkvjava.io.SafetensorsWriter;
import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.RwkvVersion;
import dev.rwkvjava.tensor.WeightReader;
import dev.rwkvjava.testutil.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StateFileTest {
    static final int[] PROMPT = {301, 781, 386, 605, 466, 709, 344, 89};
    static final int[] MORE = {294, 630, 620, 980, 242};

    @TempDir
    Path dir;

    static Path randomV4() {
        return TestData.file("models/random-v4-c128-l3-v1000.f32.safetensors");
    }

    static Path tinyV4() {
        return TestData.file("models/tiny-rwkv-4v0-660K.f32.safetensors");
    }

    static RwkvModel load(Path p) {
        return RwkvModel.load(p, RwkvModel.Options.defaults().withThreads(2));
    }

    /**
     * Save in one JVM, load and continue in another, against one uninterrupted run in a third: identical logits.
     * The JVMs use the scalar kernels, whose float arithmetic is the same however the JIT compiles it (the Vector API
     * kernels' reductions round differently before and after compilation, so two JVMs can differ in the last bits).
     */
    @Test
    void savedStateContinuesExactlyInANewProcess() throws Exception {
        Path stateFile = dir.resolve("after-prompt.safetensors");
        Path continued = dir.resolve("continued.safetensors");
        Path straight = dir.resolve("straight.safetensors");
        String model = randomV4().toString();
        child("save", model, join(PROMPT), stateFile.toString());
        child("continue", model, stateFile.toString(), join(MORE), continued.toString());
        child("straight", model, join(PROMPT), join(MORE), straight.toString());
        float[] a = logitsOf(continued);
        float[] b = logitsOf(straight);
        assertThat(a).containsExactly(b);
        try (SafetensorsFile f = SafetensorsFile.open(continued)) {
            assertThat(f.metadata().get("tokens")).isEqualTo(Integer.toString(PROMPT.length + MORE.length));
            assertThat(f.metadata().get("kernels")).isEqualTo("scalar");
        }
        // This JVM's own uninterrupted run (whatever its kernels) agrees to float32 accuracy.
        try (RwkvModel m = load(randomV4())) {
            Session s = new Session(m, null);
            s.append(PROMPT);
            s.append(MORE);
            float[] here = s.logits();
            for (int i = 0; i < here.length; i++) {
                assertThat((double) here[i]).isCloseTo(a[i], org.assertj.core.data.Offset.offset(1e-4));
            }
        }
    }

    private static void child(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-modules")) {
                cmd.add(a);
            }
        }
        cmd.add("-Drwkv.kernels=scalar");
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), ContinueFromStateMain.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(log).isZero();
    }

    private static float[] logitsOf(Path file) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            TensorInfo t = f.find("logits");
            return WeightReader.toFloatArray(f.data(t), t.dtype());
        }
    }

    @Test
    void aSavedStateHoldsTheReferenceLayoutAndTheLogits() {
        Path file = dir.resolve("s.safetensors");
        try (RwkvModel m = load(randomV4())) {
            Session s = new Session(m, null);
            s.append(PROMPT);
            State state = s.state();
            float[] logits = s.logits();
            s.save(file, Map.of("note", "hello"));
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                assertThat(f.metadata()).containsEntry("format", "rwkv-java-state").containsEntry("format_version", "1")
                        .containsEntry("tokens", "8").containsEntry("model.version", "4").containsEntry("model.n_embd", "128")
                        .containsEntry("model.n_layer", "3").containsEntry("model.vocab_size", "1000")
                        .containsEntry("note", "hello").containsKey("model.tensors_sha256");
                assertThat(state.tensorCount()).isEqualTo(15);
                for (int i = 0; i < state.tensorCount(); i++) {
                    TensorInfo t = f.find("state." + i);
                    assertThat(t.shape()).containsExactly(128);
                    assertThat(WeightReader.toFloatArray(f.data(t), t.dtype())).containsExactly(state.tensor(i));
                }
                assertThat(f.find("state.15")).isNull();
            }
            StateFile.Loaded l = StateFile.load(file, m);
            assertThat(l.kind()).isEqualTo(StateFile.Kind.SAVED);
            assertThat(l.logits()).containsExactly(logits);
            assertThat(l.state().tokens()).isEqualTo(8);
            // Generating straight from the loaded state uses the saved logits.
            Session resumed = new Session(m, null);
            resumed.load(file);
            Session direct = new Session(m, null);
            direct.append(PROMPT);
            assertThat(resumed.generate(GenerationConfig.greedy(10).withIgnoreEos(true), null).generatedIds())
                    .containsExactly(direct.generate(GenerationConfig.greedy(10).withIgnoreEos(true), null).generatedIds());
        }
    }

    @Test
    void loadingIntoAnotherModelFailsNamingBoth() {
        Path file = dir.resolve("random.safetensors");
        try (RwkvModel m = load(randomV4())) {
            Session s = new Session(m, null);
            s.append(PROMPT);
            s.save(file);
        }
        try (RwkvModel other = load(tinyV4())) {
            assertThatThrownBy(() -> new Session(other, null).load(file))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("random.safetensors")
                    .hasMessageContaining("random-v4-c128-l3-v1000.f32.safetensors")
                    .hasMessageContaining("C=128, L=3")
                    .hasMessageContaining("tiny-rwkv-4v0-660K.f32.safetensors")
                    .hasMessageContaining("C=128, L=4");
        }
    }

    @Test
    void fingerprintIgnoresWeightTypesButNotTensors() {
        try (RwkvModel a = load(randomV4()); RwkvModel b = load(tinyV4())) {
            ModelFingerprint fa = ModelFingerprint.of(a);
            assertThat(fa).isEqualTo(ModelFingerprint.of(a));
            assertThat(fa).isNotEqualTo(ModelFingerprint.of(b));
            Map<String, String> meta = new java.util.HashMap<>();
            fa.putInto(meta);
            assertThat(ModelFingerprint.from(meta)).isEqualTo(fa);
            meta.remove("model.n_layer");
            assertThat(ModelFingerprint.from(meta)).isNull();
        }
    }

    @Test
    void otherFilesAreRejected() {
        try (RwkvModel m = load(randomV4())) {
            // A reference case has state tensors, but no format metadata: it is not taken on trust.
            Path caseFile = TestData.file("reference/random-v4-c128-l3-v1000/rand8.safetensors");
            assertThatThrownBy(() -> StateFile.load(caseFile, m)).isInstanceOf(ModelFileException.class)
                    .hasMessageContaining("rand8.safetensors").hasMessageContaining("not a state file");
            Path future = dir.resolve("future.safetensors");
            SafetensorsWriter.write(future, List.of(SafetensorsWriter.Entry.floats("state.0", new long[] {1}, new float[1])),
                    Map.of("format", StateFile.FORMAT, "format_version", "99"));
            assertThatThrownBy(() -> StateFile.load(future, m)).hasMessageContaining("format version 99");
            Session s = new Session(m, null);
            s.append(PROMPT);
            assertThatThrownBy(() -> s.save(dir.resolve("x"), Map.of("tokens", "5")))
                    .hasMessageContaining("reserved");
        }
    }

    /** A NaN or an infinity in a state or its logits is refused by tensor name (the state fuzzer's first finding). */
    @Test
    void nonFiniteValuesAreRefusedByName() {
        try (RwkvModel m = load(tinyV4())) {
            dev.rwkvjava.state.State s = m.newState();
            float[] logits = m.forward(new int[] {72, 105}, s);
            float[] bad = s.tensor(1).clone();
            bad[5] = Float.NaN;
            s.setTensor(1, bad);
            Path nanState = dir.resolve("nan.state");
            StateFile.save(nanState, m, s, logits, Map.of());
            assertThatThrownBy(() -> StateFile.load(nanState, m)).isInstanceOf(ModelFileException.class)
                    .hasMessageContaining("nan.state").hasMessageContaining("'state.1'").hasMessageContaining("NaN");
            dev.rwkvjava.state.State good = m.newState();
            float[] infLogits = m.forward(new int[] {72, 105}, good);
            infLogits[3] = Float.POSITIVE_INFINITY;
            Path infLogitsFile = dir.resolve("inf.state");
            StateFile.save(infLogitsFile, m, good, infLogits, Map.of());
            assertThatThrownBy(() -> StateFile.load(infLogitsFile, m)).isInstanceOf(ModelFileException.class)
                    .hasMessageContaining("'logits'").hasMessageContaining("Infinity");
        }
        Path tuned = dir.resolve("tuned-nan.safetensors");
        float[] wkv = new float[64 * 64];
        wkv[7] = Float.NaN;
        SafetensorsWriter.write(tuned, List.of(SafetensorsWriter.Entry.floats("blocks.0.att.time_state",
                new long[] {1, 64, 64}, wkv)), Map.of());
        try (RwkvModel m = load(TestData.file("models/tiny-rwkv-7v0-834K.f32.safetensors"))) {
            assertThatThrownBy(() -> StateFile.load(tuned, m)).isInstanceOf(ModelFileException.class)
                    .hasMessageContaining("blocks.0.att.time_state").hasMessageContaining("NaN");
        }
    }

    @Test
    void timeStateNeedsAWkvMatrix() {
        Path file = dir.resolve("tuned.safetensors");
        SafetensorsWriter.write(file, List.of(SafetensorsWriter.Entry.floats("blocks.0.att.time_state",
                new long[] {2, 2, 2}, new float[8])), Map.of());
        try (RwkvModel m = load(tinyV4())) {
            assertThatThrownBy(() -> StateFile.load(file, m)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("tuned.safetensors").hasMessageContaining("RWKV 4")
                    .hasMessageContaining("wkv matrix");
        }
    }

    /** A v6/v7-shaped state (3 tensors per layer, wkv [H, N, N]) without a model of those versions. */
    static State wkvState(int layers, int heads, int n, int c) {
        StateLayout.Builder b = StateLayout.builder("test v6/v7 layout");
        for (int i = 0; i < layers; i++) {
            b.add("blocks." + i + ".att.x_prev", 0f, c);
            b.add("blocks." + i + ".att.wkv", 0f, heads, n, n);
            b.add("blocks." + i + ".ffn.x_prev", 0f, c);
        }
        return new State(b.build());
    }

    @Test
    void timeStateIsTransposedForV6AndCopiedForV7() {
        int heads = 2;
        int n = 3;
        Path file = dir.resolve("tuned.safetensors");
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        float[][] values = new float[2][heads * n * n];
        for (int layer = 0; layer < 2; layer++) {
            for (int i = 0; i < values[layer].length; i++) {
                values[layer][i] = 100 * layer + i;
            }
            entries.add(SafetensorsWriter.Entry.floats("blocks." + layer + ".att.time_state",
                    new long[] {heads, n, n}, values[layer]));
        }
        SafetensorsWriter.write(file, entries, Map.of());
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertThat(TimeState.isTimeStateFile(f)).isTrue();
            State v7 = wkvState(2, heads, n, 6);
            TimeState.apply(f, RwkvVersion.V7, 2, v7);
            assertThat(v7.tensor(1)).containsExactly(values[0]);
            assertThat(v7.tensor(4)).containsExactly(values[1]);
            assertThat(v7.tensor(0)).containsOnly(0f);

            State v6 = wkvState(2, heads, n, 6);
            TimeState.apply(f, RwkvVersion.V6_0, 2, v6);
            float[] got = v6.tensor(4);
            // file [head, value, key] -> v6 state [head, key, value]
            for (int h = 0; h < heads; h++) {
                for (int value = 0; value < n; value++) {
                    for (int key = 0; key < n; key++) {
                        assertThat(got[h * n * n + key * n + value]).isEqualTo(values[1][h * n * n + value * n + key]);
                    }
                }
            }
            State wrongShape = wkvState(2, heads, 4, 8);
            assertThatThrownBy(() -> TimeState.apply(f, RwkvVersion.V7, 2, wrongShape))
                    .hasMessageContaining("blocks.0.att.time_state").hasMessageContaining("does not fit");
            State threeLayers = wkvState(3, heads, n, 6);
            assertThatThrownBy(() -> TimeState.apply(f, RwkvVersion.V7, 3, threeLayers))
                    .hasMessageContaining("blocks.2.att.time_state").hasMessageContaining("missing");
        }
    }

    /** Real v5, v6 and v7 models: a state-tuning file becomes the wkv matrices, oriented for each version. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"tiny-rwkv-5v2-730K.f32", "tiny-rwkv-6v0-1m.f32",
            "tiny-rwkv-7v0-834K.f32"})
    void timeStateLoadsIntoRealModels(String stem) {
        try (RwkvModel m = load(TestData.file("models/" + stem + ".safetensors"))) {
            int layers = m.info().nLayer();
            int h = m.info().heads();
            int n = m.info().headSize();
            java.util.Random rnd = new java.util.Random(1);
            List<SafetensorsWriter.Entry> entries = new ArrayList<>();
            float[][] values = new float[layers][h * n * n];
            for (int i = 0; i < layers; i++) {
                for (int j = 0; j < values[i].length; j++) {
                    values[i][j] = (float) rnd.nextGaussian();
                }
                entries.add(SafetensorsWriter.Entry.floats("blocks." + i + ".att.time_state", new long[] {h, n, n},
                        values[i]));
            }
            Path file = dir.resolve(stem + "-state.safetensors");
            SafetensorsWriter.write(file, entries, Map.of());
            StateFile.Loaded l = StateFile.load(file, m);
            assertThat(l.kind()).isEqualTo(StateFile.Kind.TIME_STATE);
            assertThat(l.logits()).isNull();
            boolean v7 = m.info().version().label().startsWith("7");
            for (int i = 0; i < layers; i++) {
                float[] want = v7 ? values[i] : TimeState.transposeHeads(values[i], h, n);
                assertThat(l.state().tensor(3 * i + 1)).as("layer %d", i).containsExactly(want);
                assertThat(l.state().tensor(3 * i)).containsOnly(0f);
            }
            // A session starts from it; generating needs a prompt first (there are no logits yet).
            Session s = new Session(m, null);
            s.load(file);
            assertThat(s.hasContext()).isFalse();
            s.append(72, 105);
            assertThat(s.generate(GenerationConfig.greedy(3).withIgnoreEos(true), null).generatedIds()).hasSize(3);
        }
    }

    private static String join(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            sb.append(sb.isEmpty() ? "" : ",").append(id);
        }
        return sb.toString();
    }
}
