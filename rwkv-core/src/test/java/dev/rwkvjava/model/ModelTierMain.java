package dev.rwkvjava.model;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.state.State;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Runs the same tokens through each model named on the command line first thing in a fresh JVM (kernels
 * interpreted, then compiled as they warm; the model loaded without the background kernel warm-up), then through the
 * same file loaded again with the warm-up while it runs, then again after thousands of warm-up tokens, and prints
 * {@code same} when every logit and state value has the same bits all three times, or what differs;
 * {@link ModelDeterminismTest} runs it in a JVM of its own.
 */
public final class ModelTierMain {
    private static final int TOKENS = 24;
    private static final int WARM_UP_TOKENS = 3000;

    private ModelTierMain() {
    }

    public static void main(String[] args) {
        List<RwkvModel> models = new ArrayList<>();
        List<Map<String, float[]>> cold = new ArrayList<>();
        for (String a : args) {
            RwkvModel m = RwkvModel.load(Path.of(a), RwkvModel.Options.defaults().withWarmUp(false));
            models.add(m);
            cold.add(outputs(m));
        }
        List<Map<String, float[]>> duringWarmup = new ArrayList<>();
        for (String a : args) {
            try (RwkvModel m = RwkvModel.load(Path.of(a), RwkvModel.Options.defaults().withWarmUp(true))) {
                duringWarmup.add(outputs(m));
            }
        }
        for (RwkvModel m : models) {
            warmUp(m);
        }
        StringBuilder differ = new StringBuilder();
        for (int i = 0; i < models.size(); i++) {
            Map<String, float[]> warm = outputs(models.get(i));
            String name = Path.of(args[i]).getFileName().toString();
            compare(name + " cold", cold.get(i), warm, differ);
            compare(name + " during the kernel warm-up", duringWarmup.get(i), warm, differ);
            models.get(i).close();
        }
        System.out.println(differ.isEmpty() ? "same" : "differ:" + differ);
    }

    private static void compare(String what, Map<String, float[]> outputs, Map<String, float[]> warm,
                                StringBuilder differ) {
        for (var e : outputs.entrySet()) {
            float[] w = warm.get(e.getKey());
            float worst = 0;
            int count = 0;
            for (int j = 0; j < w.length; j++) {
                if (Float.floatToRawIntBits(w[j]) != Float.floatToRawIntBits(e.getValue()[j])) {
                    count++;
                    worst = Math.max(worst, Math.abs(w[j] - e.getValue()[j]));
                }
            }
            if (count > 0) {
                differ.append(String.format(" %s %s: %d values, up to %.3g;", what, e.getKey(), count, worst));
            }
        }
    }

    /** Logits and states of the same seeded tokens in sequence mode, token mode and a batch of three sequences. */
    private static Map<String, float[]> outputs(RwkvModel m) {
        int[] tokens = new SplittableRandom(3).ints(TOKENS, 0, m.vocabSize()).toArray();
        Map<String, float[]> out = new LinkedHashMap<>();
        State s = m.newState();
        out.put("sequence logits", m.forwardAll(tokens, s));
        out.put("sequence state", dev.rwkvjava.internal.Internals.data(s).clone());
        s = m.newState();
        float[] all = new float[TOKENS * m.vocabSize()];
        float[] logits = new float[m.vocabSize()];
        for (int t = 0; t < TOKENS; t++) {
            m.forward(tokens[t], s, logits);
            System.arraycopy(logits, 0, all, t * m.vocabSize(), m.vocabSize());
        }
        out.put("token logits", all);
        out.put("token state", dev.rwkvjava.internal.Internals.data(s).clone());
        State[] batch = {m.newState(), m.newState(), m.newState()};
        float[] rows = new float[3 * m.vocabSize()];
        for (int t = 0; t + 2 < 9; t++) {
            m.forwardBatch(new int[] {tokens[t], tokens[t + 1], tokens[t + 2]}, batch, rows);
        }
        out.put("batch logits", rows);
        out.put("batch state", dev.rwkvjava.internal.Internals.data(batch[2]).clone());
        return out;
    }

    /** Thousands of tokens in token mode and in chunks, with other seeds than the measured ones. */
    private static void warmUp(RwkvModel m) {
        SplittableRandom rnd = new SplittableRandom(11);
        State s = m.newState();
        float[] logits = new float[m.vocabSize()];
        for (int t = 0; t < WARM_UP_TOKENS / 2; t++) {
            m.forward(rnd.nextInt(m.vocabSize()), s, logits);
        }
        for (int c = 0; c < WARM_UP_TOKENS / 2 / 50; c++) {
            m.forward(rnd.ints(50, 0, m.vocabSize()).toArray(), m.newState());
        }
    }
}
