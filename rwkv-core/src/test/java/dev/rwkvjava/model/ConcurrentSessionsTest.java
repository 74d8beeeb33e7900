package dev.rwkvjava.model;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.state.State;
import dev.rwkvjava.testutil.TestData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Many threads on one loaded model, each with its own state, give exactly the results of running the same inputs
 * one after the other: the weights are shared, every concurrent call has scratch of its own.
 */
class ConcurrentSessionsTest {
    static final int THREADS = 8;

    @ParameterizedTest
    @ValueSource(strings = {"models/random-v4-c128-l3-v1000.f32.safetensors",
            "models/random-v6-c128-h2-l3-v1000.f32.safetensors",
            "models/random-v7-c128-h2-l3-v1000.f32.safetensors"})
    void concurrentSessionsEqualSerialOnes(String file) throws Exception {
        try (RwkvModel model = RwkvModel.load(TestData.file(file), RwkvModel.Options.defaults().withMaxChunk(16))) {
            int[][] prompts = new int[THREADS][];
            SplittableRandom r = new SplittableRandom(5);
            for (int i = 0; i < THREADS; i++) {
                prompts[i] = r.ints(40 + 7 * i, 0, model.vocabSize()).toArray();
            }
            // Warm up, so that no kernel changes compilation tier between the serial and the concurrent runs.
            for (int round = 0; round < 3; round++) {
                for (int[] p : prompts) {
                    run(model, p);
                }
            }
            List<float[]> serial = new ArrayList<>();
            for (int[] p : prompts) {
                serial.add(run(model, p));
            }
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<float[]>> futures = new ArrayList<>();
                for (int[] p : prompts) {
                    futures.add(pool.submit(() -> {
                        start.await();
                        return run(model, p);
                    }));
                }
                start.countDown();
                for (int i = 0; i < THREADS; i++) {
                    assertThat(futures.get(i).get(60, TimeUnit.SECONDS)).as("thread %d", i).containsExactly(serial.get(i));
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** Half the prompt in sequence mode, the rest token by token; returns the last logits and the final state. */
    private static float[] run(RwkvModel model, int[] prompt) {
        State s = model.newState();
        int half = prompt.length / 2;
        float[] logits = model.forward(java.util.Arrays.copyOf(prompt, half), s);
        for (int i = half; i < prompt.length; i++) {
            model.forward(prompt[i], s, logits);
        }
        float[] out = java.util.Arrays.copyOf(logits, logits.length + dev.rwkvjava.internal.Internals.data(s).length);
        System.arraycopy(dev.rwkvjava.internal.Internals.data(s), 0, out, logits.length, dev.rwkvjava.internal.Internals.data(s).length);
        return out;
    }
}
