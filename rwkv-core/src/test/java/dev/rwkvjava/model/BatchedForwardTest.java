package dev.rwkvjava.model;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.state.State;
import dev.rwkvjava.testutil.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The batched step ({@link RwkvModel#forwardBatch}), in which every row is the next token of its own sequence,
 * against decoding each sequence alone token by token: logits and states agree within 1e-5 for every version, with
 * sequences at different positions (one from the zero state), over several steps, and with batches larger than a
 * step (split into several).
 */
class BatchedForwardTest {
    private static final float TOLERANCE = 1e-5f;
    private static final int SEQUENCES = 6;
    private static final int STEPS = 12;

    @ParameterizedTest
    @ValueSource(strings = {"models/random-v4-c128-l3-v1000.f32.safetensors",
            "models/random-v6-c128-h2-l3-v1000.f32.safetensors",
            "models/random-v7-c128-h2-l3-v1000.f32.safetensors",
            "models/random-v7-deepembed-c128-h2-l3-v1000.f32.safetensors",
            "models/tiny-rwkv-4v0-660K.f32.safetensors",
            "models/tiny-rwkv-5v1-730K.f32.safetensors",
            "models/tiny-rwkv-5v2-730K.f32.safetensors",
            "models/tiny-rwkv-6v0-1m.f32.safetensors",
            "models/tiny-rwkv-7v0-834K.f32.safetensors",
            "models/tiny-rwkv-7v0-834K.bf16.safetensors"})
    void batchedDecodeEqualsSeparateDecoding(String file) {
        // maxChunk 4 < 6 sequences: the batch also runs as two steps.
        for (int maxChunk : new int[] {64, 4}) {
            try (RwkvModel model = RwkvModel.load(TestData.file(file),
                    RwkvModel.Options.defaults().withMaxChunk(maxChunk))) {
                compare(model, file + " maxChunk " + maxChunk);
            }
        }
    }

    private static void compare(RwkvModel model, String what) {
        int v = model.vocabSize();
        SplittableRandom r = new SplittableRandom(21);
        State[] alone = new State[SEQUENCES];
        State[] batched = new State[SEQUENCES];
        int[] next = new int[SEQUENCES];
        for (int i = 0; i < SEQUENCES; i++) {
            alone[i] = model.newState();
            if (i > 0) { // sequence 0 starts from the zero state
                model.prefill(r.ints(3 + 5 * i, 0, v).toArray(), alone[i]);
            }
            batched[i] = alone[i].copy();
            next[i] = r.nextInt(v);
        }
        float[] batchLogits = new float[SEQUENCES * v];
        float[] one = new float[v];
        float worst = 0;
        for (int step = 0; step < STEPS; step++) {
            model.forwardBatch(next.clone(), batched, batchLogits);
            for (int i = 0; i < SEQUENCES; i++) {
                model.forward(next[i], alone[i], one);
                float d = maxAbsDiff(one, 0, batchLogits, i * v, v);
                assertThat(d).as("%s: logits of sequence %d at step %d", what, i, step).isLessThanOrEqualTo(TOLERANCE);
                float ds = maxAbsDiff(dev.rwkvjava.internal.Internals.data(alone[i]), 0, dev.rwkvjava.internal.Internals.data(batched[i]), 0, dev.rwkvjava.internal.Internals.data(alone[i]).length);
                assertThat(ds).as("%s: state of sequence %d at step %d", what, i, step).isLessThanOrEqualTo(TOLERANCE);
                assertThat(batched[i].tokens()).isEqualTo(alone[i].tokens());
                worst = Math.max(worst, Math.max(d, ds));
                next[i] = argmax(one, v); // a decode: each sequence goes on with its own choice
            }
        }
        System.out.printf("%s: batched vs separate, max abs difference %.3g%n", what, worst);
    }

    @Test
    void badBatchesAreRefused() {
        try (RwkvModel model = RwkvModel.load(TestData.file("models/random-v4-c128-l3-v1000.f32.safetensors"))) {
            State a = model.newState();
            State b = model.newState();
            assertThatThrownBy(() -> model.forwardBatch(new int[] {1, 2}, new State[] {a}, null))
                    .hasMessageContaining("2 tokens but 1 states");
            assertThatThrownBy(() -> model.forwardBatch(new int[] {1, 2}, new State[] {a, a}, null))
                    .hasMessageContaining("appears twice");
            assertThatThrownBy(() -> model.forwardBatch(new int[] {1, 5000}, new State[] {a, b}, null))
                    .hasMessageContaining("token id 5000 at position 1");
            assertThatThrownBy(() -> model.forwardBatch(new int[] {1, 2}, new State[] {a, b}, new float[10]))
                    .hasMessageContaining("needs 2 × 1000");
            assertThatThrownBy(() -> model.forwardBatch(new int[0], new State[0], null))
                    .hasMessageContaining("empty");
            // Nothing was fed by the refused calls.
            assertThat(a.tokens()).isZero();
            assertThat(b.tokens()).isZero();
        }
    }

    private static float maxAbsDiff(float[] a, int aOff, float[] b, int bOff, int n) {
        float m = 0;
        for (int i = 0; i < n; i++) {
            float d = Math.abs(a[aOff + i] - b[bOff + i]);
            if (!(d <= m)) {
                m = Float.isNaN(d) ? Float.POSITIVE_INFINITY : d;
            }
        }
        return m;
    }

    private static int argmax(float[] x, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }
}
