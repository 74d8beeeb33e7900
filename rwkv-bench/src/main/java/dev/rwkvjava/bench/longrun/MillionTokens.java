package dev.rwkvjava.bench.longrun;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.state.State;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A long run per model: {@code tokens} tokens fed one at a time (each sampled from the previous logits, seeded), with
 * a second state fed the same tokens in sequence mode (chunks of 64) alongside. Checks, and prints per model:
 * every logit of every step is finite; the state stays finite and bounded (its largest magnitude is reported at
 * each sample point); at each of {@code samples} points the token-mode state equals the sequence-mode one within
 * 1e-4·max(1, |x|) (the tolerance of the reference tests) and so do their logits within 1e-4; the resident set
 * after the first sample point does not grow by more than 16 MB. Exits 1 if any check fails.
 *
 * <p>{@code java --add-modules=jdk.incubator.vector -cp rwkv-bench/target/benchmarks.jar
 * dev.rwkvjava.bench.longrun.MillionTokens TESTDATA [tokens=1000000] [samples=10] [model ...]}; without models, the
 * data set's tiny and random model of every version.
 */
public final class MillionTokens {
    private static final List<String> MODELS = List.of(
            "models/tiny-rwkv-4v0-660K.f32.safetensors", "models/tiny-rwkv-5v1-730K.f32.safetensors",
            "models/tiny-rwkv-5v2-730K.f32.safetensors", "models/tiny-rwkv-6v0-1m.f32.safetensors",
            "models/tiny-rwkv-7v0-834K.f32.safetensors", "models/random-v4-c128-l3-v1000.f32.safetensors",
            "models/random-v6-c128-h2-l3-v1000.f32.safetensors", "models/random-v7-c128-h2-l3-v1000.f32.safetensors",
            "models/random-v7-deepembed-c128-h2-l3-v1000.f32.safetensors");
    private static final int CHUNK = 64;
    private static final double TOLERANCE = 1e-4;
    private static final long RSS_GROWTH_LIMIT = 16L << 20;
    /** A state magnitude beyond this is not a bounded recurrence. */
    private static final double STATE_BOUND = 1e8;

    private MillionTokens() {
    }

    public static void main(String[] args) throws IOException {
        Path data = Path.of(args[0]);
        long tokens = args.length > 1 ? Long.parseLong(args[1]) : 1_000_000;
        int samples = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        List<String> models = args.length > 3 ? Arrays.asList(args).subList(3, args.length) : MODELS;
        boolean ok = true;
        for (String m : models) {
            ok &= run(data.resolve(m), tokens, samples);
        }
        System.out.println(ok ? "all passed" : "FAILED");
        System.exit(ok ? 0 : 1);
    }

    private static boolean run(Path file, long tokens, int samples) throws IOException {
        long start = System.nanoTime();
        try (RwkvModel model = RwkvModel.load(file, RwkvModel.Options.defaults().withThreads(1))) {
            int vocab = model.vocabSize();
            State token = model.newState();
            State sequence = model.newState();
            float[] logits = new float[vocab];
            int[] chunk = new int[CHUNK];
            int inChunk = 0;
            float[] seqLogits = null;
            SplittableRandom rnd = new SplittableRandom(file.getFileName().toString().hashCode());
            int next = 0;
            long every = Math.max(CHUNK, tokens / samples / CHUNK * CHUNK);
            long rssAtFirst = -1;
            double worstState = 0;
            double worstLogits = 0;
            List<String> problems = new ArrayList<>();
            System.out.printf("%s: %d tokens, comparing every %d%n", file.getFileName(), tokens, every);
            for (long t = 1; t <= tokens && problems.isEmpty(); t++) {
                model.forward(next, token, logits);
                chunk[inChunk++] = next;
                if (inChunk == CHUNK) {
                    seqLogits = model.forward(chunk, sequence);
                    inChunk = 0;
                }
                for (float v : logits) {
                    if (!Float.isFinite(v)) {
                        problems.add("non-finite logit at token " + t);
                        break;
                    }
                }
                if (t % every == 0) {
                    double stateDiff = maxRelDiff(token, sequence);
                    double logitDiff = maxDiff(logits, seqLogits);
                    double magnitude = maxAbs(token);
                    long rss = rssBytes();
                    if (rssAtFirst < 0) {
                        rssAtFirst = rss;
                    }
                    worstState = Math.max(worstState, stateDiff);
                    worstLogits = Math.max(worstLogits, logitDiff);
                    System.out.printf("  %,10d tokens  state vs sequence mode %.2e  logits %.2e  max|state| %.3g"
                            + "  rss %d MB  %.0f tokens/s%n", t, stateDiff, logitDiff, magnitude, rss >> 20,
                            t / ((System.nanoTime() - start) / 1e9));
                    if (!(stateDiff <= TOLERANCE) || !(logitDiff <= TOLERANCE)) {
                        problems.add("token and sequence mode differ at token " + t);
                    }
                    if (!(magnitude <= STATE_BOUND)) {
                        problems.add("state magnitude " + magnitude + " at token " + t);
                    }
                    if (rss - rssAtFirst > RSS_GROWTH_LIMIT) {
                        problems.add("resident set grew by " + ((rss - rssAtFirst) >> 20) + " MB by token " + t);
                    }
                }
                next = sample(logits, rnd);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("  %s in %.0f s; worst state difference %.2e, logits %.2e%s%n",
                    problems.isEmpty() ? "passed" : "FAILED", seconds, worstState, worstLogits,
                    problems.isEmpty() ? "" : ": " + problems);
            return problems.isEmpty();
        }
    }

    /** A token drawn from softmax(logits), so that the run visits many states (greedy decoding soon loops). */
    private static int sample(float[] logits, SplittableRandom rnd) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : logits) {
            sum += Math.exp(v - max);
        }
        double u = rnd.nextDouble() * sum;
        for (int i = 0; i < logits.length; i++) {
            u -= Math.exp(logits[i] - max);
            if (u <= 0) {
                return i;
            }
        }
        return logits.length - 1;
    }

    private static double maxRelDiff(State a, State b) {
        double worst = 0;
        for (int i = 0; i < a.tensorCount(); i++) {
            float[] x = a.tensor(i);
            float[] y = b.tensor(i);
            for (int j = 0; j < x.length; j++) {
                worst = Math.max(worst, Math.abs(x[j] - y[j]) / Math.max(1, Math.abs(y[j])));
            }
        }
        return worst;
    }

    private static double maxDiff(float[] a, float[] b) {
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        return worst;
    }

    private static double maxAbs(State s) {
        double m = 0;
        for (int i = 0; i < s.tensorCount(); i++) {
            for (float v : s.tensor(i)) {
                m = Float.isFinite(v) ? Math.max(m, Math.abs(v)) : Double.POSITIVE_INFINITY;
            }
        }
        return m;
    }

    private static long rssBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return 0;
    }
}
