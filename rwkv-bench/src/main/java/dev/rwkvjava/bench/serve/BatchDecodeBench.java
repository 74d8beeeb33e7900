package dev.rwkvjava.bench.serve;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.state.State;
import dev.rwkvjava.synthetic.SyntheticModels;
import dev.rwkvjava.tensor.DType;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * The batched decode step alone ({@link RwkvModel#forwardBatch}), without the server: aggregate tokens/s and time a
 * step for batches of independent sequences, next to token-mode decoding of one ({@link RwkvModel#forward(int,
 * State, float[])}). Usage: {@code BatchDecodeBench [shape=v4-169m] [dtype=BF16] [batch sizes=1,2,4,8,16]
 * [seconds per measurement=3] [rounds=3] [threads=all processors]}; the first round warms up and is marked so.
 * Each figure is printed with the machine's load average and the process's CPU time a step: on a shared machine
 * the wall time depends on what else runs, the CPU time much less (it includes the workers' brief spinning between
 * products, none with one thread).
 */
public final class BatchDecodeBench {
    private BatchDecodeBench() {
    }

    public static void main(String[] args) throws Exception {
        String shape = args.length > 0 ? args[0] : "v4-169m";
        DType dtype = DType.valueOf(args.length > 1 ? args[1].toUpperCase(Locale.ROOT) : "BF16");
        int[] sizes = Arrays.stream((args.length > 2 ? args[2] : "1,2,4,8,16").split(","))
                .mapToInt(Integer::parseInt).toArray();
        double seconds = args.length > 3 ? Double.parseDouble(args[3]) : 3;
        int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 3;
        RwkvModel.Options options = RwkvModel.Options.defaults();
        if (args.length > 5) {
            options = options.withThreads(Integer.parseInt(args[5]));
        }
        Path dir = Files.createTempDirectory("batch-bench-");
        Path file = dir.resolve(shape + ".safetensors");
        try {
            SyntheticModels.write(SyntheticModels.spec(shape), dtype, 1, file);
            try (RwkvModel model = RwkvModel.load(file, options)) {
                System.out.printf(Locale.ROOT, "%s %s, %d threads, kernels %s%n", shape, dtype,
                        model.info().threads(), model.info().kernels());
                for (int round = 0; round <= rounds; round++) {
                    String mark = round == 0 ? "warm-up " : "";
                    single(model, seconds, mark);
                    for (int n : sizes) {
                        batch(model, n, seconds, mark);
                    }
                }
            }
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        }
    }

    private static void single(RwkvModel model, double seconds, String mark) {
        State s = model.newState();
        float[] logits = new float[model.vocabSize()];
        int token = 1;
        long steps = 0;
        long c0 = cpu();
        long t0 = System.nanoTime();
        while (System.nanoTime() - t0 < seconds * 1e9) {
            model.forward(token, s, logits);
            token = (token * 31 + 7) % 1000;
            steps++;
        }
        double dt = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "%stoken mode:  1 sequence,  %7.1f tokens/s (%.1f ms a step, CPU %.1f ms), %s%n",
                mark, steps / dt, dt * 1e3 / steps, (cpu() - c0) / 1e6 / steps, ServeBench.load());
    }

    private static void batch(RwkvModel model, int n, double seconds, String mark) {
        State[] states = new State[n];
        int[] tokens = new int[n];
        for (int i = 0; i < n; i++) {
            states[i] = model.newState();
            tokens[i] = 1 + i;
        }
        float[] logits = new float[n * model.vocabSize()];
        long steps = 0;
        long c0 = cpu();
        long t0 = System.nanoTime();
        while (System.nanoTime() - t0 < seconds * 1e9) {
            model.forwardBatch(tokens, states, logits);
            for (int i = 0; i < n; i++) {
                tokens[i] = (tokens[i] * 31 + 7) % 1000;
            }
            steps++;
        }
        double dt = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "%sbatched:    %2d sequences, %7.1f tokens/s (%.1f ms a step, CPU %.1f ms), %s%n",
                mark, n, steps * n / dt, dt * 1e3 / steps, (cpu() - c0) / 1e6 / steps, ServeBench.load());
    }

    /** CPU time of the whole process, in nanoseconds. */
    private static long cpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }
}
