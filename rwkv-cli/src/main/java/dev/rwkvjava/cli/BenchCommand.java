package dev.rwkvjava.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rwkvjava.internal.Internals;
import dev.rwkvjava.ModelInfo;
import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.LoadMode;
import dev.rwkvjava.kernel.KernelProvider;
import dev.rwkvjava.kernel.MemoryBandwidth;
import dev.rwkvjava.kernel.WorkerPool;
import dev.rwkvjava.state.State;
import dev.rwkvjava.synthetic.SyntheticModels;
import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.WeightType;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code rwkv bench}: end-to-end throughput of a model: load time, prefill and decode tokens per second, peak
 * resident memory, and the decode's weight traffic as a share of the read bandwidth measured in the same process. Without {@code --model} it benchmarks a synthetic model with the exact shape of a real one.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measure load time, prefill and decode throughput, and peak memory.",
                "Without --model, benchmarks a synthetic model with seeded random weights (default v4-169m, "
                        + "the shape of RWKV-4 169M), generated into a temporary safetensors file.",
                "Both speeds are measured after a warm-up (a 128-token prefill and up to 64 decoded tokens), "
                        + "once the JIT has compiled the kernels.",
                "Each run then measures the machine's read bandwidth on the same threads and reports how much of "
                        + "it decoding achieves (weights read per token over the median token time).",
                "--cold adds what a fresh process meets: rwkv generate started anew, timed to its first token."})
final class BenchCommand implements Callable<Integer> {
    /** Decode warm-up: this many tokens, or fewer (but 16) when they take longer than WARM_DECODE_NANOS. */
    private static final int WARM_DECODE_TOKENS = 64;
    private static final long WARM_DECODE_NANOS = 3_000_000_000L;


    static final class Source {
        @Option(names = {"-m", "--model"}, paramLabel = "FILE", description = "Weights file to benchmark.")
        Path model;

        @Option(names = "--synthetic", paramLabel = "NAME",
                description = "Synthetic model shape (default v4-169m). Known: ${COMPLETION-CANDIDATES}.",
                completionCandidates = SyntheticNames.class)
        String synthetic;
    }

    static final class SyntheticNames extends ArrayList<String> {
        SyntheticNames() {
            super(SyntheticModels.names());
        }
    }

    @ArgGroup(exclusive = true)
    Source source = new Source();

    @Option(names = "--dtype", split = ",", paramLabel = "TYPE",
            description = "Weight types of the synthetic model (comma-separated; default f32,bf16): f32, f16, bf16 "
                    + "(the generated file's type), or q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q5_k, q6_k (generated in "
                    + "bf16, then quantized on load as --quantize does).")
    List<String> dtypes;

    @Option(names = "--bandwidth-mb", paramLabel = "MB", defaultValue = "512",
            description = "Buffer of the read-bandwidth measurement that follows each run (default ${DEFAULT-VALUE} "
                    + "MiB; far larger than the last-level cache); 0 skips it.")
    int bandwidthMb;

    @Option(names = {"-n", "--tokens"}, paramLabel = "N", defaultValue = "64",
            description = "Tokens to decode (default ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--prompt", paramLabel = "N", defaultValue = "512",
            description = "Prompt length for the prefill measurement (default ${DEFAULT-VALUE}).")
    int prompt;

    @Mixin
    LoadOptions loading = new LoadOptions();

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the synthetic weights and tokens.")
    long seed;

    @Option(names = "--json", description = "Print one JSON object per configuration on stdout.")
    boolean json;

    @Option(names = "--cold", description = "Also time fresh processes: rwkv generate from process start to the "
            + "first token (8-token prompt), its first 20 decoded tokens, and the prefill of a --prompt-token prompt.")
    boolean cold;

    @Option(names = "--cold-runs", paramLabel = "N", defaultValue = "3",
            description = "Fresh processes per cold figure, of which the median is shown (default ${DEFAULT-VALUE}).")
    int coldRuns;

    private final PrintStream err = System.err;

    @Override
    public Integer call() throws IOException {
        if (tokens < 1 || prompt < 1) {
            throw new IllegalArgumentException("--tokens and --prompt must be at least 1");
        }
        if (bandwidthMb != 0 && bandwidthMb < 64) {
            throw new IllegalArgumentException("--bandwidth-mb " + bandwidthMb + ": use 0 (no measurement) or at "
                    + "least 64, so that the buffer is larger than the caches");
        }
        if (cold && (coldRuns < 1 || prompt < ColdStart.SHORT_PROMPT)) {
            throw new IllegalArgumentException("--cold needs --cold-runs of at least 1 and --prompt of at least "
                    + ColdStart.SHORT_PROMPT);
        }
        RwkvModel.Options options = loading.options();
        if (source.model != null) {
            if (dtypes != null) {
                throw new IllegalArgumentException("--dtype applies to synthetic models only; a model file has its "
                        + "own types (--quantize TYPE converts them on load)");
            }
            run(source.model, source.model.getFileName().toString(), "file", options);
            return 0;
        }
        if (options.quantize() != null) {
            throw new IllegalArgumentException("--quantize applies to --model files; a synthetic model takes the "
                    + "type in --dtype (e.g. --dtype " + options.quantize() + ")");
        }
        String name = source.synthetic != null ? source.synthetic : "v4-169m";
        SyntheticModels.Spec spec = SyntheticModels.spec(name);
        List<WeightType> types = new ArrayList<>();
        for (String d : dtypes != null ? dtypes : List.of("f32", "bf16")) {
            try {
                types.add(WeightType.named(d));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--dtype: " + e.getMessage(), e);
            }
        }
        Path dir = Files.createTempDirectory("rwkv-bench");
        // The generated models take hundreds of MB: removed when the bench ends, also when it is stopped (Ctrl-C).
        Thread cleanUp = new Thread(() -> deleteTree(dir), "rwkv-bench-clean-up");
        Runtime.getRuntime().addShutdownHook(cleanUp);
        try {
            for (int i = 0; i < types.size(); i++) {
                WeightType t = types.get(i);
                DType stored = storedType(t);
                Path file = dir.resolve(spec.name() + "-" + stored.name().toLowerCase(Locale.ROOT) + ".safetensors");
                if (!Files.exists(file)) {
                    progress("generating synthetic " + spec.name() + " (" + stored + ") ...");
                    SyntheticModels.write(spec, stored, seed, file);
                }
                try {
                    run(file, spec.name(), name(t), t.dtype() == stored ? options : options.withQuantize(t.toString()));
                } finally {
                    // Kept while a later type is made from the same file (the block types all start from bf16).
                    if (types.subList(i + 1, types.size()).stream().noneMatch(u -> storedType(u) == stored)) {
                        Files.deleteIfExists(file);
                    }
                }
            }
        } finally {
            deleteTree(dir);
            try {
                Runtime.getRuntime().removeShutdownHook(cleanUp);
            } catch (IllegalStateException shuttingDown) {
                // The hook is running or about to: nothing left to do here.
            }
        }
        return 0;
    }

    /** The type a synthetic model of weight type t is generated in: its own for the float types, else BF16. */
    private static DType storedType(WeightType t) {
        return t.dtype().isBlockType() ? DType.BF16 : t.dtype();
    }

    private static String name(WeightType t) {
        return t.dtype().name().toLowerCase(Locale.ROOT);
    }

    /** Deletes dir and what is in it (one level: the generated models and any partly written one). */
    private static void deleteTree(Path dir) {
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // Already gone, or not ours to delete: nothing to report at exit.
        }
    }

    private void run(Path file, String label, String dtypeLabel, RwkvModel.Options options) throws IOException {
        MemoryStats.resetPeak();
        long t0 = System.nanoTime();
        LoadMode loadMode = options.loadMode();
        int nThreads = options.threads();
        try (RwkvModel model = RwkvModel.load(file, options)) {
            double loadS = (System.nanoTime() - t0) / 1e9;
            ModelInfo info = model.info();
            if ("file".equals(dtypeLabel)) {
                dtypeLabel = String.join("+", info.dtypes().keySet()).toLowerCase(Locale.ROOT);
            }
            int[] promptIds = new SplittableRandom(seed).ints(prompt, 0, model.vocabSize()).toArray();

            progress(label + " " + dtypeLabel + ": warming up ...");
            State warm = model.newState();
            model.prefill(Arrays.copyOf(promptIds, Math.min(prompt, 128)), warm);
            float[] logits = new float[model.vocabSize()];
            // Decode runs other kernels than prefill, and the JIT compiles them only after dozens of tokens (seen:
            // 30-60 ms a token for the first 50 tokens of the 169M model, then 24): measure once that is done.
            long warmStart = System.nanoTime();
            for (int i = 0; i < WARM_DECODE_TOKENS && (i < 16 || System.nanoTime() - warmStart < WARM_DECODE_NANOS); i++) {
                model.forward(promptIds[i % prompt], warm, logits);
            }

            double[] prefillRuns = new double[3];
            for (int r = 0; r < prefillRuns.length; r++) {
                progress(label + " " + dtypeLabel + ": prefill " + prompt + " tokens, run " + (r + 1) + "/" + prefillRuns.length);
                State s = model.newState();
                long p0 = System.nanoTime();
                model.prefill(promptIds, s);
                prefillRuns[r] = (System.nanoTime() - p0) / 1e9;
            }
            Arrays.sort(prefillRuns);
            double prefillTps = prompt / prefillRuns[prefillRuns.length / 2];

            State s = model.newState();
            model.prefill(Arrays.copyOf(promptIds, Math.min(prompt, 16)), s);
            int token = promptIds[0];
            double[] perToken = new double[tokens];
            long products0 = Internals.matrixProductNanos(model);
            long d0 = System.nanoTime();
            for (int i = 0; i < tokens; i++) {
                long a = System.nanoTime();
                model.forward(token, s, logits);
                token = argmax(logits);
                perToken[i] = (System.nanoTime() - a) / 1e9;
                if ((i & 7) == 7) {
                    progress(label + " " + dtypeLabel + ": decode " + (i + 1) + "/" + tokens);
                }
            }
            double decodeS = (System.nanoTime() - d0) / 1e9;
            double outsideShare = 1 - (Internals.matrixProductNanos(model) - products0) / 1e9 / decodeS;
            double decodeTps = tokens / decodeS;
            Arrays.sort(perToken);
            double medianMs = perToken[tokens / 2] * 1e3;
            // Bytes streamed per decode token: every matrix as held (quantized ones included) but the per-token tables.
            double gbps = info.streamedBytes() / (medianMs / 1e3) / 1e9;
            long rssMb = MemoryStats.peakRssBytes() / (1024 * 1024);
            double bandwidth = Double.NaN;
            if (bandwidthMb > 0) {
                progress(label + " " + dtypeLabel + ": read bandwidth on " + nThreads + " threads ...");
                try (WorkerPool pool = new WorkerPool(nThreads)) {
                    bandwidth = MemoryBandwidth.measure(KernelProvider.get(), pool, (long) bandwidthMb << 20);
                }
            }
            double fraction = gbps / bandwidth;
            ColdStart.Figures coldFigures = coldFigures(file, label, dtypeLabel, promptIds, options);
            clearProgress();
            if (json) {
                ObjectMapper om = new ObjectMapper();
                ObjectNode o = om.createObjectNode();
                o.put("model", label);
                o.put("version", info.version().label());
                o.put("dtype", dtypeLabel);
                o.put("threads", nThreads);
                o.put("kernels", info.kernels());
                o.put("decode_tokens_per_s", round(decodeTps));
                o.put("decode_ms_per_token_median", round(medianMs));
                o.put("decode_weights_gb_per_s", round(gbps));
                o.put("weights_bytes_per_token", info.streamedBytes());
                if (bandwidthMb > 0) {
                    o.put("bandwidth_gbps", round(bandwidth));
                    o.put("decode_bandwidth_fraction", round(fraction));
                }
                o.put("decode_share_outside_matrix_products", round(outsideShare));
                o.put("prefill_tokens", prompt);
                o.put("prefill_tokens_per_s", round(prefillTps));
                o.put("load_s", round(loadS));
                o.put("load_mode", loadMode.name().toLowerCase(Locale.ROOT));
                o.put("peak_rss_mb", rssMb);
                o.put("file_bytes", info.fileSize());
                if (coldFigures != null) {
                    coldFigures.putJson(o, decodeTps, prefillTps);
                }
                System.out.println(om.writeValueAsString(o));
            } else {
                System.out.printf("%s (RWKV %s, %s weights, %,d params) on %d threads, kernels %s%n",
                        label, info.version().label(), dtypeLabel, info.parameterCount(), nThreads, info.kernels());
                System.out.printf("  load     %8.3f s (%s)%n", loadS, loadMode == LoadMode.MAP ? "mapped" : "read into memory");
                System.out.printf("  prefill  %8.1f tokens/s  (%d-token prompt, median of %d)%n", prefillTps, prompt, prefillRuns.length);
                System.out.printf("  decode   %8.1f tokens/s  (%d tokens; median %.2f ms/token, %.1f GB/s of weights, "
                        + "%.1f%% outside matrix products)%n", decodeTps, tokens, medianMs, gbps, 100 * outsideShare);
                if (bandwidthMb > 0) {
                    System.out.printf("  memory   %8.1f GB/s read bandwidth (%d threads); decode streams weights at "
                            + "%.0f%% of it%n", bandwidth, nThreads, 100 * fraction);
                }
                System.out.printf("  peak RSS %8d MB%n", rssMb);
                if (coldFigures != null) {
                    coldFigures.print(System.out, decodeTps, prefillTps);
                }
            }
            System.out.flush();
        }
    }

    /** With --cold, the fresh-process figures of this model (see {@link ColdStart}), else null. */
    private ColdStart.Figures coldFigures(Path file, String label, String dtypeLabel, int[] promptIds,
            RwkvModel.Options options) throws IOException {
        if (!cold) {
            return null;
        }
        progress(label + " " + dtypeLabel + ": " + coldRuns + " fresh processes for each cold figure ...");
        List<String> extra = new ArrayList<>();
        if (loading.threads != null) {
            extra.addAll(List.of("--threads", loading.threads.toString()));
        }
        if (loading.noMmap) {
            extra.add("--no-mmap");
        }
        if (options.quantize() != null) {
            extra.addAll(List.of("--quantize", options.quantize()));
        }
        return ColdStart.measure(file, promptIds, coldRuns, extra);
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    private static int argmax(float[] v) {
        int b = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[b]) {
                b = i;
            }
        }
        return b;
    }

    private void progress(String msg) {
        if (System.console() != null) {
            err.print("\r\033[K" + msg);
        } else {
            err.println(msg);
        }
        err.flush();
    }

    private void clearProgress() {
        if (System.console() != null) {
            err.print("\r\033[K");
            err.flush();
        }
    }
}
