package dev.rwkvjava.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.eval.Lambada;
import dev.rwkvjava.eval.LambadaJsonl;
import dev.rwkvjava.eval.PerplexityStats;
import dev.rwkvjava.eval.ScoringOptions;
import dev.rwkvjava.eval.TokenScorer;
import dev.rwkvjava.generate.TextGenerator;
import dev.rwkvjava.hub.internal.ProgressBar;
import dev.rwkvjava.tokenizer.Tokenizer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code rwkv perplexity}: how well a model predicts a text file (token-level perplexity) or a LAMBADA-style JSONL
 * file (last-word perplexity and accuracy), and with {@code --kl-base} how far its predictions are from a base
 * model's. The computation is {@code dev.rwkvjava.eval}'s; this command reads the input and prints.
 */
@Command(name = "perplexity", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure how well a model predicts text.",
                "--text FILE: token-level perplexity, exp(mean negative log-probability) of the file's tokens. "
                        + "The first token (of each --ctx window) has nothing before it and is not scored, unless "
                        + "--start-token is given.",
                "--jsonl FILE: LAMBADA-style, one {\"text\": ...} object per line. Each document is cut at its "
                        + "last space; the target is the last word with its leading space. Reported: per-document "
                        + "perplexity exp(-sum of the targets' log-probabilities / documents) and last-word "
                        + "accuracy (every target token is the greedy choice), as ChatRWKV's benchmark and "
                        + "lm-eval's lambada_openai define them; each document runs from the zero state.",
                "--kl-base MODEL: a second model (e.g. the float original of a quantized --model) is run on the same "
                        + "tokens; reported are the mean and 99th percentile of KL(base || model) per token, top-1 "
                        + "agreement and the largest logit difference."})
final class PerplexityCommand implements Callable<Integer> {

    /** The largest --text file: its tokens (and their KL values) are held in memory. */
    static final long MAX_TEXT_BYTES = 16L << 20;

    static final class Input {
        @Option(names = "--text", paramLabel = "FILE",
                description = "A UTF-8 text file (- reads standard input), at most 16 MiB.")
        Path text;

        @Option(names = "--jsonl", paramLabel = "FILE",
                description = "LAMBADA-style JSONL: one {\"text\": \"...\"} object per line, read line by line.")
        Path jsonl;
    }

    @Mixin
    ModelOptions modelOptions;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    @Option(names = "--ctx", paramLabel = "N", defaultValue = "0",
            description = "--text only: cut the tokens into consecutive windows of N tokens; at each window "
                    + "boundary the recurrent state is reset to zero, so no token sees an earlier window, and the "
                    + "window's first token is context only (no stride, no overlap). Default 0: the whole file in one "
                    + "window (an RNN needs none).")
    int ctx;

    @Option(names = "--start-token", paramLabel = "ID",
            description = "Feed this token id first in every window (--text) or document (--jsonl), so that the "
                    + "first token is scored too (e.g. 0, end-of-text in the World and Pile vocabularies; ChatRWKV's "
                    + "Pile benchmark uses 187, a newline).")
    Integer startToken;

    @Option(names = "--kl-base", paramLabel = "MODEL",
            description = "Compare with this model on the same tokens (a file, folder or hub id, like --model): "
                    + "KL divergence KL(base || model), top-1 agreement, max |logit difference|. It must have the "
                    + "same vocabulary. It is loaded with its stored weight types; --threads and --no-mmap apply.")
    String klBase;

    @Option(names = "--json", description = "Print one JSON object: tokens, ppl, ... (LAMBADA: documents, lambada_ppl, "
            + "lambada_acc; with --kl-base: kl_mean, kl_p99, top1_agreement, max_abs_logit_diff).")
    boolean json;

    @Override
    public Integer call() throws IOException {
        if (ctx < 0) {
            throw new IllegalArgumentException("--ctx must be >= 0 (0: the whole file), got " + ctx);
        }
        if (input.jsonl != null && ctx != 0) {
            throw new IllegalArgumentException("--ctx applies to --text only: each --jsonl document is scored "
                    + "from the zero state on its own");
        }
        if (startToken != null && startToken < 0) {
            throw new IllegalArgumentException("--start-token must be a token id >= 0, got " + startToken);
        }
        int start = startToken == null ? ScoringOptions.NO_START_TOKEN : startToken;
        if (ctx == 1 && startToken == null) {
            throw new IllegalArgumentException("--ctx 1 predicts nothing (each window's first token is context "
                    + "only): use at least 2, or give --start-token");
        }
        ScoringOptions options = new ScoringOptions(ctx, start);
        RwkvModel.Options baseOptions = baseOptions();
        // Input problems are reported before any model loads.
        String text = null;
        long documents = 0;
        if (input.text != null) {
            text = CliFiles.readUtf8("--text", input.text, MAX_TEXT_BYTES);
        } else {
            if (CliFiles.isStdin(input.jsonl)) {
                throw new IllegalArgumentException("--jsonl needs a file (it is read twice: first to count the "
                        + "documents); standard input is not supported");
            }
            documents = LambadaJsonl.count(input.jsonl);
            if (documents == 0) {
                throw new IllegalArgumentException("--jsonl " + input.jsonl + ": no documents (the file has only "
                        + "blank lines)");
            }
        }
        try (TextGenerator gen = modelOptions.load();
             TextGenerator base = klBase == null ? null
                     : TextGenerator.load(klBase, null, modelOptions.hub(), baseOptions, ProgressBar.stderr())) {
            Tokenizer tokenizer = gen.tokenizer();
            if (tokenizer == null) {
                throw new IllegalArgumentException("the model " + modelOptions.model + " has no tokenizer ("
                        + gen.tokenizerProblem() + "); give --tokenizer");
            }
            if (base != null) {
                requireSameVocabulary(tokenizer, base.tokenizer());
            }
            TokenScorer scorer = new TokenScorer(gen.model(), base == null ? null : base.model());
            ObjectNode out = new ObjectMapper().createObjectNode();
            out.put("model", gen.model().info().path().toString());
            if (base != null) {
                out.put("base", base.model().info().path().toString());
            }
            if (input.text != null) {
                scoreText(scorer, tokenizer, text, options, out);
            } else {
                scoreJsonl(scorer, tokenizer, documents, start, out);
            }
            print(out);
        }
        return 0;
    }

    private void scoreText(TokenScorer scorer, Tokenizer tokenizer, String text, ScoringOptions options,
                           ObjectNode out) {
        int[] ids = tokenizer.encode(text);
        long predictions = options.predictions(ids.length);
        if (ids.length < 2 && (ids.length == 0 || !options.hasStartToken())) {
            throw new IllegalArgumentException("--text " + input.text + " tokenizes to " + ids.length + " token"
                    + (ids.length == 1 ? "" : "s") + "; perplexity needs at least 2 (one to predict from, one to "
                    + "predict)" + (ids.length == 1 ? ", or 1 with --start-token" : ""));
        }
        String name = CliFiles.isStdin(input.text) ? "standard input" : input.text.getFileName().toString();
        ProgressBar bar = ProgressBar.stderrCounting("tokens", "scoring", "scored");
        PerplexityStats stats = new PerplexityStats();
        long t0 = System.nanoTime();
        bar.start(name, predictions, 0);
        scorer.score(ids, options, stats, bar::update);
        bar.finish();
        double seconds = (System.nanoTime() - t0) / 1e9;
        out.put("input", input.text.toString());
        out.put("tokens", ids.length);
        out.put("predicted", stats.predictions());
        out.put("ctx", options.context());
        out.put("windows", options.windows(ids.length));
        putStartToken(out, options);
        putTokenStats(out, stats);
        out.put("seconds", seconds);
        out.put("tokens_per_s", stats.predictions() / seconds);
    }

    private void scoreJsonl(TokenScorer scorer, Tokenizer tokenizer, long documents, int start, ObjectNode out)
            throws IOException {
        Lambada lambada = new Lambada(scorer, tokenizer, start);
        ProgressBar bar = ProgressBar.stderrCounting("documents", "scoring", "scored");
        long[] tokens = {0};
        long t0 = System.nanoTime();
        bar.start(input.jsonl.getFileName().toString(), documents, 0);
        LambadaJsonl.forEach(input.jsonl, (line, doc) -> {
            tokens[0] += lambada.add(doc).tokens();
            bar.update(lambada.documents());
        });
        bar.finish();
        double seconds = (System.nanoTime() - t0) / 1e9;
        out.put("input", input.jsonl.toString());
        out.put("documents", lambada.documents());
        out.put("lambada_ppl", lambada.perplexity());
        out.put("lambada_acc", lambada.accuracy());
        out.put("target_tokens", lambada.targetTokens());
        out.put("tokens", tokens[0]);
        out.put("predicted", lambada.tokenStats().predictions());
        putStartToken(out, ScoringOptions.defaults().withStartToken(start));
        putTokenStats(out, lambada.tokenStats());
        out.put("seconds", seconds);
        out.put("tokens_per_s", lambada.tokenStats().predictions() / seconds);
    }

    private static void putStartToken(ObjectNode out, ScoringOptions options) {
        if (options.hasStartToken()) {
            out.put("start_token", options.startToken());
        } else {
            out.putNull("start_token");
        }
    }

    private static void putTokenStats(ObjectNode out, PerplexityStats stats) {
        out.put("ppl", stats.perplexity());
        out.put("mean_nll", stats.meanNll());
        out.put("greedy_accuracy", stats.greedyAccuracy());
        if (stats.hasDivergence()) {
            out.put("kl_mean", stats.klMean());
            out.put("kl_p99", stats.klPercentile(99));
            out.put("top1_agreement", stats.top1Agreement());
            out.put("max_abs_logit_diff", stats.maxAbsLogitDiff());
        }
    }

    /** --json: the object on one line; otherwise one "key  value" line per entry. */
    private void print(ObjectNode out) throws IOException {
        PrintStream ps = Terminal.stdout();
        if (json) {
            ps.println(new ObjectMapper().writeValueAsString(out));
        } else {
            out.properties().forEach(e -> {
                var v = e.getValue();
                String value = v.isNull() ? "none" : v.isFloatingPointNumber()
                        ? String.format(Locale.ROOT, "%.6g", v.doubleValue()) : v.asText();
                ps.printf(Locale.ROOT, "%-20s %s%n", e.getKey(), value);
            });
        }
        ps.flush();
    }

    /** The base model's options: threads and load mode as --model's, weights as stored. */
    private RwkvModel.Options baseOptions() {
        RwkvModel.Options main = modelOptions.loading.options(); // reports a bad --threads as the option's
        RwkvModel.Options o = RwkvModel.Options.defaults().withLoadMode(modelOptions.loading.loadMode());
        return modelOptions.loading.threads == null ? o : o.withThreads(main.threads());
    }

    /**
     * Both models must number their tokens the same way: when both come with a tokenizer, every id both know must
     * stand for the same bytes. Tokens without bytes (control tokens such as a GGUF vocabulary's {@code <s>}) are
     * not compared; the model vocabulary sizes are checked by the scorer.
     */
    static void requireSameVocabulary(Tokenizer model, Tokenizer base) {
        if (model == null || base == null) {
            return;
        }
        int n = Math.min(model.vocabSize(), base.vocabSize());
        for (int id = 0; id < n; id++) {
            byte[] a = bytesOrNull(model, id);
            byte[] b = bytesOrNull(base, id);
            if (a != null && b != null && a.length > 0 && b.length > 0 && !Arrays.equals(a, b)) {
                throw new IllegalArgumentException("the two models have different vocabularies: token id " + id
                        + " is " + describe(a) + " for --model and " + describe(b) + " for --kl-base");
            }
        }
    }

    private static byte[] bytesOrNull(Tokenizer t, int id) {
        try {
            return t.tokenBytes(id);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static String describe(byte[] bytes) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < Math.min(bytes.length, 16); i++) {
            sb.append(i == 0 ? "" : " ").append(String.format("%02x", bytes[i] & 0xFF));
        }
        return sb.append(bytes.length > 16 ? " ...]" : "]").toString();
    }
}
