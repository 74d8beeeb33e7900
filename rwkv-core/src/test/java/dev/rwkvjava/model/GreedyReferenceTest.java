package dev.rwkvjava.model;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.state.State;
import dev.rwkvjava.testutil.Close;
import dev.rwkvjava.testutil.ReferenceCase;
import dev.rwkvjava.testutil.TestData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import dev.rwkvjava.io.SafetensorsFile;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Greedy generation as the reference did it (data README, section 11): the prompt in one sequence-mode call,
 * then argmax (lowest id on a tie) fed back one token at a time.
 */
class GreedyReferenceTest {

    static Stream<Arguments> cases() throws IOException {
        Path root = TestData.root();
        List<Arguments> out = new ArrayList<>();
        for (TestData.ModelReference model : TestData.modelReferences()) {
            try (Stream<Path> s = Files.list(root.resolve(model.reference()))) {
                for (Path p : s.sorted().toList()) {
                    if (p.getFileName().toString().startsWith("greedy_")) {
                        out.add(Arguments.of(model, p.getFileName().toString().replace(".safetensors", "")));
                    }
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void reproducesReferenceIds(TestData.ModelReference modelRef, String caseName) {
        Path file = TestData.file(modelRef.reference() + "/" + caseName + ".safetensors");
        int[] prompt;
        int[] expected;
        float[][] first8;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            prompt = ReferenceCase.ints(f, "prompt");
            expected = ReferenceCase.ints(f, "generated");
            first8 = ReferenceCase.rows(f, "logits_first8");
        }
        try (RwkvModel model = RwkvModel.load(modelRef.model())) {
            State state = model.newState();
            float[] logits = model.forward(prompt, state);
            int[] generated = new int[expected.length];
            for (int s = 0; s < expected.length; s++) {
                if (s < first8.length) {
                    Close.assertClose(caseName + " step " + s + " logits", logits, first8[s], ReferenceParityTest.LOGIT_TOL);
                }
                generated[s] = argmax(logits);
                if (s < expected.length - 1) {
                    model.forward(generated[s], state, logits);
                }
            }
            assertThat(generated).as("greedy ids of %s/%s", modelRef, caseName).containsExactly(expected);
        }
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
