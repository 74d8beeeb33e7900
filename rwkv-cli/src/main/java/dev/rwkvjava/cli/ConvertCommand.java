package dev.rwkvjava.cli;

import dev.rwkvjava.convert.ModelConverter;
import dev.rwkvjava.generate.TokenizerLoader;
import dev.rwkvjava.hub.HubConfig;
import dev.rwkvjava.hub.internal.ModelResolver;
import dev.rwkvjava.hub.internal.ProgressBar;
import dev.rwkvjava.hub.internal.ResolvedModel;
import dev.rwkvjava.LoadMode;
import dev.rwkvjava.io.ModelFiles;
import dev.rwkvjava.io.ModelFormat;
import dev.rwkvjava.io.TensorStore;
import dev.rwkvjava.model.ModelTensors;
import dev.rwkvjava.tensor.WeightType;
import dev.rwkvjava.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code rwkv convert}: a model from any format the engine reads into BlinkDL safetensors, llama.cpp's GGUF or
 * rwkv.cpp's {@code .bin}.
 */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Convert a model to BlinkDL-named safetensors, to GGUF in llama.cpp's rwkv6/rwkv7 layout, or to "
                + "rwkv.cpp's .bin, optionally rounding or quantizing its weights.",
                "The output is written tensor by tensor to a temporary file beside it, loaded back and checked "
                        + "against the input on a few tokens, and only then given its name."})
final class ConvertCommand implements Callable<Integer> {

    @Option(names = {"-i", "--in"}, required = true, paramLabel = "MODEL",
            description = "The model: a weights file (safetensors, .pth, pytorch_model.bin, GGUF, rwkv.cpp .bin), a "
                    + "model folder, or a hub id OWNER/NAME[@REVISION].")
    String in;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "OUT", description = "The file to write.")
    Path out;

    @Option(names = "--to", paramLabel = "FORMAT",
            description = "safetensors, gguf, or rwkvcpp (rwkv.cpp's .bin) (default: from the extension of OUT: "
                    + ".safetensors or .gguf).")
    String to;

    @Option(names = "--type", paramLabel = "TYPE",
            description = {"Weight type: f32, f16, bf16 (not rwkv.cpp), q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q5_k, "
                    + "q6_k (GGUF and rwkv.cpp; the tensors each of them keeps in F32 stay F32).",
                    "Default: each tensor keeps its type (F32 where the format cannot hold it; rwkv.cpp: FP16 when "
                    + "every matrix is F16, else FP32)."})
    String type;

    @Option(names = "--force", description = "Replace OUT if it exists.")
    boolean force;

    @Option(names = "--tokenizer", paramLabel = "TOKENIZER",
            description = "The model's tokenizer, for the vocabulary of a GGUF output: an RWKV World vocabulary "
                    + "(rwkv_vocab_v20230424.txt) or 'bytes'. Default: the one in the model folder; bytes for "
                    + "vocabulary-256 models; a GGUF input's own.")
    String tokenizer;

    @Option(names = "--name", paramLabel = "NAME",
            description = "The model's name in the output's metadata (default: the input's name).")
    String name;

    @Option(names = "--cache-dir", paramLabel = "DIR",
            description = "Hub cache (default: $RWKV_CACHE or ~/.cache/rwkv-java/hub).")
    Path cacheDir;

    @Option(names = "--offline", description = "Never download; hub ids must already be in the cache.")
    boolean offline;

    @Override
    public Integer call() {
        HubConfig hub = HubConfig.fromEnvironment();
        if (cacheDir != null) {
            hub = hub.withCacheDir(cacheDir);
        }
        if (offline) {
            hub = hub.withOffline(true);
        }
        ProtectedFiles protect = ProtectedFiles.forModel(in, hub.cacheDir());
        if (tokenizer != null && !tokenizer.equals("bytes")) {
            protect.file(Path.of(tokenizer), "the tokenizer file");
        }
        protect.checkOutput("--out", out);
        checkNotExisting();
        ModelConverter.Target target = target();
        WeightType weightType = null;
        if (type != null) {
            try {
                weightType = WeightType.named(type);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--type: " + e.getMessage(), e);
            }
            if (target == ModelConverter.Target.SAFETENSORS && weightType.dtype().isBlockType()) {
                throw new IllegalArgumentException("--type " + type + ": safetensors holds f32, f16 or bf16 weights; "
                        + "write GGUF (--to gguf) for quantized weights");
            }
        }

        ResolvedModel resolved = ModelResolver.resolve(in, hub, ProgressBar.stderr());
        for (Path w : resolved.files().weightFiles()) {
            protect.weights(w);
        }
        if (resolved.directory() != null) {
            protect.folder(resolved.directory(), "the model folder");
        }
        protect.checkOutput("--out", out);

        Tokenizer tok = tokenizerOf(resolved.files());
        String modelName = name != null ? name : defaultName(resolved);
        Progress progress = new Progress(System.err, isTerminal());
        ModelConverter.Result r = ModelConverter.convert(new ModelConverter.Request(resolved.files(), tok, modelName,
                out, target, weightType, force), progress);
        progress.done();
        for (String note : r.notes()) {
            System.err.println("note: " + note);
        }
        String format = switch (r.target()) {
            case SAFETENSORS -> "safetensors";
            case GGUF -> "GGUF";
            case RWKV_CPP -> "rwkv.cpp .bin";
        };
        System.out.printf(Locale.ROOT, "wrote %s: %s (%s), RWKV %s, %d tensors (%s), %s%n", out, format,
                r.layout(), r.version(), r.tensors(), types(r), size(r.bytes()));
        System.out.printf(Locale.ROOT, "checked: logits of %d tokens %s (largest difference %.3g, allowed %.3g)%n",
                r.checkedTokens(), r.exact() ? "as the input's (every value written unchanged)"
                        : "within the rounding of " + changedTypes(r), r.maxDifference(), r.allowed());
        return 0;
    }

    private ModelConverter.Target target() {
        ModelConverter.Target byName = ModelConverter.Target.forFile(out).orElse(null);
        if (to == null) {
            if (byName == null) {
                throw new IllegalArgumentException("--out " + out + ": the name ends in neither .safetensors nor "
                        + ".gguf; say which format with --to safetensors, gguf or rwkvcpp");
            }
            return byName;
        }
        ModelConverter.Target t;
        try {
            t = ModelConverter.Target.named(to);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--to: " + e.getMessage(), e);
        }
        if (byName != null && byName != t) {
            throw new IllegalArgumentException("--out " + out + " is named like a " + byName.label() + " file but --to "
                    + "says " + t.label() + "; rename the output or drop --to");
        }
        return t;
    }

    private void checkNotExisting() {
        if (Files.exists(out) && !force) {
            throw new IllegalArgumentException("--out " + out + ": already exists; pass --force to replace it");
        }
    }

    /** The tokenizer whose vocabulary a GGUF output carries (a GGUF input's own is copied as it is). */
    private Tokenizer tokenizerOf(ModelFiles files) {
        if (files.format() == ModelFormat.GGUF && tokenizer == null) {
            return null;
        }
        int vocab;
        try (TensorStore store = files.open(LoadMode.MAP)) {
            vocab = (int) new ModelTensors(store).require("emb.weight").dim(0);
        }
        if (tokenizer != null) {
            return TokenizerLoader.load(tokenizer, vocab);
        }
        return TokenizerLoader.forModel(files.tokenizerSearchPath(), vocab).tokenizer();
    }

    private static String defaultName(ResolvedModel r) {
        if (r.repoId() != null) {
            return r.repoId().substring(r.repoId().indexOf('/') + 1);
        }
        Path p = r.files().folder().orElse(r.files().weights());
        String n = p.toAbsolutePath().normalize().getFileName().toString();
        int dot = n.indexOf('.');
        return Files.isDirectory(p) || dot <= 0 ? n : n.substring(0, dot);
    }

    private static String types(ModelConverter.Result r) {
        StringBuilder sb = new StringBuilder();
        r.tensorTypes().entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue())
                .forEach(e -> sb.append(sb.isEmpty() ? "" : ", ").append(e.getValue()).append(' ').append(e.getKey()));
        return sb.toString();
    }

    private static String changedTypes(ModelConverter.Result r) {
        return String.join("/", r.tensorTypes().keySet().stream().filter(t -> !t.equals("F32")).toList());
    }

    private static boolean isTerminal() {
        java.io.Console c = System.console();
        return c != null && c.isTerminal();
    }

    static String size(long b) {
        if (b < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
        }
        if (b < 1024L * 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f MiB", b / 1048576.0);
        }
        return String.format(Locale.ROOT, "%.2f GiB", b / 1073741824.0);
    }

    /**
     * The progress bar on stderr: on a terminal one line redrawn at most ten times a second; otherwise a line when
     * writing starts, at each quarter, and when the check starts.
     */
    static final class Progress implements ModelConverter.Listener {
        private static final int WIDTH = 30;
        private final PrintStream err;
        private final boolean live;
        private String file;
        private long total;
        private long start;
        private long lastDraw;
        private int quarter;

        Progress(PrintStream err, boolean live) {
            this.err = err;
            this.live = live;
        }

        @Override
        public void writing(Path out, long bytes, int tensors) {
            file = out.getFileName().toString();
            total = bytes;
            start = System.nanoTime();
            if (!live) {
                err.println("writing " + file + " (" + tensors + " tensors, " + size(bytes) + ")");
                err.flush();
            }
        }

        @Override
        public void progress(long bytesWritten, String tensor) {
            if (live) {
                long now = System.nanoTime();
                if (now - lastDraw >= 100_000_000L || bytesWritten == total) {
                    lastDraw = now;
                    int filled = (int) (WIDTH * Math.min(1.0, bytesWritten / (double) Math.max(1, total)));
                    double s = (now - start) / 1e9;
                    err.print(String.format(Locale.ROOT, "\r\033[K%s %3d%% [%s%s] %s / %s  %s/s  %s", file,
                            (int) (100.0 * bytesWritten / Math.max(1, total)), "=".repeat(filled),
                            " ".repeat(WIDTH - filled), size(bytesWritten), size(total),
                            s > 0 ? size((long) (bytesWritten / s)) : "-", tensor));
                    err.flush();
                }
            } else {
                int q = (int) (4 * bytesWritten / Math.max(1, total));
                if (q > quarter && q < 4) {
                    quarter = q;
                    err.println("  " + 25 * q + "% (" + tensor + ")");
                    err.flush();
                }
            }
        }

        @Override
        public void checking(int tokens) {
            if (live) {
                err.print("\r\033[K");
            }
            err.println("checking the written model against the input on " + tokens + " tokens ...");
            err.flush();
        }

        void done() {
            err.flush();
        }
    }
}
