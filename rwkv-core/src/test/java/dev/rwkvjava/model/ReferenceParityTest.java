package dev.rwkvjava.model;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.LoadMode;
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
    static final double LOGIT_TOL = 1e-4;
    static final double STATE_TOL = 1e-4;
    static final double MODE_TOL = 1e-5;

    private static final Map<String, RwkvModel> LOADED = new HashMap<>();

    /** Every (model, case) of the data: each model of {@code index.json} with every case of its reference folder. */
    static Stream<Arguments> cases() throws IOException {
        Path root = TestData.root();
        List<Arguments> out = new ArrayList<>();
        for (TestData.ModelReference model : TestData.modelReferences()) {
            try (Stream<Path> s = Files.list(root.resolve(model.reference()))) {
                for (Path p : s.sorted().toList()) {
                    String name = p.getFileName().toString();
                    if (name.endsWith(".safetensors") && !name.startsWith("greedy_")) {
                        out.add(Arguments.of(model, name.replace(".safetensors", "")));
                    }
                }
            }
        }
        assertThat(out).isNotEmpty();
        return out.stream();
    }

    /** Every other model is read into memory instead of mapped, so that both load paths face every version. */
    static RwkvModel model(TestData.ModelReference ref) {
        return LOADED.computeIfAbsent(ref.id(), s -> RwkvModel.load(ref.model(), RwkvModel.Options.defaults()
                .withMaxChunk(48).withLoadMode(LOADED.size() % 2 == 0 ? LoadMode.MAP : LoadMode.READ)));
    }

    @AfterAll
    static void closeModels() {
        LOADED.values().forEach(RwkvModel::close);
        LOADED.clear();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void matchesReferenceInTokenAndSequenceMode(TestData.ModelReference modelRef, String caseName) {
        RwkvModel model = model(modelRef);
        ReferenceCase ref = ReferenceCase.read(TestData.file(modelRef.reference() + "/" + caseName + ".safetensors"));
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

        // Ill-conditioned cases (data README 8.6) are compared with the float64 evaluation at the case's own
        // tolerance, every other case with the float32 reference at LOGIT_TOL.
        float[][] expectedRows = ref.logitsFp64() != null ? ref.logitsFp64() : ref.logits();
        double logitTol = ref.logitsFp64() != null ? Double.parseDouble(ref.metadata().get("logits_fp64_tolerance")) : LOGIT_TOL;
        for (int i = 0; i < ref.positions().length; i++) {
            int pos = ref.positions()[i];
            float[] seqRow = java.util.Arrays.copyOfRange(all, pos * v, (pos + 1) * v);
            Close.assertClose(caseName + " token mode logits row " + pos, tokenRows[pos], expectedRows[i], logitTol);
            Close.assertClose(caseName + " sequence mode logits row " + pos, seqRow, expectedRows[i], logitTol);
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
