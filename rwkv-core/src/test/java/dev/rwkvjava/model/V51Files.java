package dev.rwkvjava.model;

import dev.rwkvjava.testutil.ModelFiles;
import dev.rwkvjava.testutil.ModelFiles.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * No RWKV 5.1 model exists in the reference data (README section 2), so tests make one from the 5.2 model: 5.1
 * is 5.2 with one decay and one bonus per head. {@link #v51} keeps each head's first value; {@link #twin52}
 * repeats that value over the head's channels, a 5.2 file that must compute exactly what the 5.1 file does.
 */
final class V51Files {
    private V51Files() {
    }

    /**
     * The 5.1 file: {@code time_decay} [H] and, as the bonus, {@code time_faaaa} [H], or {@code time_first} [H]
     * (the bonus is then its exp) when {@code timeFirst}.
     */
    static List<Tensor> v51(List<Tensor> v52, boolean timeFirst) {
        List<Tensor> out = new ArrayList<>();
        for (Tensor t : v52) {
            if (t.name().endsWith(".att.time_decay")) {
                out.add(new Tensor(t.name(), new long[] {t.shape()[0]}, perHead(t)));
            } else if (t.name().endsWith(".att.time_faaaa")) {
                String name = timeFirst ? t.name().replace("time_faaaa", "time_first") : t.name();
                out.add(new Tensor(name, new long[] {t.shape()[0]}, perHead(t)));
            } else {
                out.add(t);
            }
        }
        return out;
    }

    /** The 5.2 twin of {@code v51(v52, timeFirst)}: per-head values repeated over [H, N]. */
    static List<Tensor> twin52(List<Tensor> v52, boolean timeFirst) {
        List<Tensor> out = new ArrayList<>();
        for (Tensor t : v52) {
            boolean bonus = t.name().endsWith(".att.time_faaaa");
            if (t.name().endsWith(".att.time_decay") || bonus) {
                float[] head = perHead(t);
                int n = (int) t.shape()[1];
                float[] data = new float[t.data().length];
                for (int j = 0; j < data.length; j++) {
                    float v = head[j / n];
                    data[j] = bonus && timeFirst ? (float) Math.exp(v) : v;
                }
                out.add(new Tensor(t.name(), t.shape(), data));
            } else {
                out.add(t);
            }
        }
        return out;
    }

    /** Each head's first value of an [H, N] tensor. */
    private static float[] perHead(Tensor t) {
        int h = (int) t.shape()[0];
        int n = (int) t.shape()[1];
        float[] out = new float[h];
        for (int i = 0; i < h; i++) {
            out[i] = t.data()[i * n];
        }
        return out;
    }
}
