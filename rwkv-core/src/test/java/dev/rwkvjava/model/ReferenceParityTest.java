package dev.rwkvjava.model;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.io.LoadMode;
import dev.rwkvjava.state.State;
import dev.rwkvjava.testutil.Close;
import dev.rwkvjava.testutil.ReferenceCase;
import dev.rwkvjava.testutil.TestData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every reference case of every supported model, in token mode and in sequence mode, against the logits and
 * states the official implementation computed (tolerances from the data's README, section 8.5).
 */
class ReferenceParityTest {
    /** Models under test: the model file's stem under models/ (and the folder name under reference/). */
    static final List<String> MODELS = List.of(
            "tiny-rwkv-4v0-660K.f32",
            "random-v4-c128-l3-v1000",
            "tiny-rwkv-5v1-730K.f32",
            "tiny-rwkv-5v2-730K.f32",
            "tiny-rwkv-6v0-1m.f32",
            "random-v6-c128-h2-l3-v1000",

            "tiny-rwkv-7v0-834K.f32",
            "tiny-rwkv-7v0-834K.bf16",
            "random-v7-c128-h2-l3-v1000",
            "random-v7-deepembed-c128-h2-l3-v1000");

    /**
     * Logits rows the reference cannot vouch for at LOGIT_TOL: there its own float32 rounding error, measured against
     * the float64 oracle (v7.V7Float64Oracle), already exceeds the tolerance, so even an exact engine fails.
     * random-v7 repeat128 (one token repeated): layer 0's time mix amplifies rounding about a thousandfold around
     * tokens 63 to 70; at row 63 the reference is 1.015e-4 from float64 (its other rows: at most 4.9e-5).
     * v7.V7Float64OracleTest asserts both figures. The engine is no closer there: 3.6e-5 to 1.2e-4 from float64 at
     * row 63 and up to 4.8e-4 at token 67, depending on kernels and JIT state (float32 rounding of layer 0's
     * projections, decay and state update alone moves these rows by that much).
     * These rows are still checked for sequence vs token mode.
     */
    static final Map<String, Set<Integer>> UNRELIABLE_ROWS = Map.of(
            "random-v7-c128-h2-l3-v1000/repeat128", Set.of(63));

    static final double LOGIT_TOL = 1e-4;
    static final double STATE_TOL = 1e-4;
    static final double MODE_TOL = 1e-5;

    private static final Map<String, RwkvModel> LOADED = new HashMap<>();

    static Stream<Arguments> cases() throws IOException {
        Path root = TestData.root();
        List<Arguments> out = new ArrayList<>();
        for (String model : MODELS) {
            Path dir = root.resolve("reference").resolve(model);
            assertThat(dir).isDirectory();
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : s.sorted().toList()) {
                    String name = p.getFileName().toString();
                    if (name.endsWith(".safetensors") && !name.startsWith("greedy_")) {
                        out.add(Arguments.of(model, name.replace(".safetensors", "")));
                    }
                }
            }
        }
        return out.stream();
    }

    /** Every other model is read into memory instead of mapped, so that both load paths face every version. */
    static RwkvModel model(String stem) {
        LoadMode mode = MODELS.indexOf(stem) % 2 == 0 ? LoadMode.MAP : LoadMode.READ;
        return LOADED.computeIfAbsent(stem, s -> RwkvModel.load(TestData.modelOf(s),
                RwkvModel.Options.defaults().withMaxChunk(48).withLoadMode(mode)));
    }

    @AfterAll
    static void closeModels() {
        LOADED.values().forEach(RwkvModel::close);
        LOADED.clear();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void matchesReferenceInTokenAndSequenceMode(String modelStem, String caseName) {
        RwkvModel model = model(modelStem);
        ReferenceCase ref = ReferenceCase.read(TestData.file("reference/" + modelStem + "/" + caseName + ".safetensors"));
        int v = model.vocabSize();

        // Token mode: one forward call per token.
        State tokenState = initialState(model, ref);
        float[][] tokenRows = new float[ref.tokens().length][];
        for (int t = 0; t < ref.tokens().length; t++) {
            tokenRows[t] = model.forward(ref.tokens()[t], tokenState);
        }

        // Sequence mode: the whole input in one call (fed in chunks internally).
        State seqState = initialState(model, ref);
        float[] all = model.forwardAll(ref.tokens(), seqState);

        for (int i = 0; i < ref.positions().length; i++) {
            int pos = ref.positions()[i];
            if (UNRELIABLE_ROWS.getOrDefault(modelStem + "/" + caseName, Set.of()).contains(pos)) {
                continue;
            }
            float[] seqRow = java.util.Arrays.copyOfRange(all, pos * v, (pos + 1) * v);
            Close.assertClose(caseName + " token mode logits row " + pos, tokenRows[pos], ref.logits()[i], LOGIT_TOL);
            Close.assertClose(caseName + " sequence mode logits row " + pos, seqRow, ref.logits()[i], LOGIT_TOL);
        }
        for (int t = 0; t < ref.tokens().length; t++) {
            float[] seqRow = java.util.Arrays.copyOfRange(all, t * v, (t + 1) * v);
            Close.assertClose(caseName + " sequence vs token mode row " + t, seqRow, tokenRows[t], MODE_TOL);
        }
        for (int i = 0; i < tokenState.tensorCount(); i++) {
            Close.assertClose(caseName + " sequence vs token mode state " + i, seqState.tensor(i), tokenState.tensor(i),
                    MODE_TOL * Math.max(1, Close.maxMagnitude(tokenState.tensor(i))));
        }
        if (!ref.state().isEmpty()) {
            assertThat(ref.state()).hasSize(tokenState.tensorCount());
            for (int i = 0; i < ref.state().size(); i++) {
                float[] expected = ref.state().get(i);
                double tol = STATE_TOL * Math.max(1, Close.maxMagnitude(expected));
                Close.assertClose(caseName + " token mode state " + i, tokenState.tensor(i), expected, tol);
                Close.assertClose(caseName + " sequence mode state " + i, seqState.tensor(i), expected, tol);
            }
        }
    }

    private static State initialState(RwkvModel model, ReferenceCase ref) {
        State s = model.newState();
        if (!ref.initState().isEmpty()) {
            assertThat(ref.initState()).hasSize(s.tensorCount());
            for (int i = 0; i < ref.initState().size(); i++) {
                s.setTensor(i, ref.initState().get(i));
            }
        }
        return s;
    }
}
