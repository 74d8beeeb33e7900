package dev.rwkvjava.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rwkvjava.io.SafetensorsFile;
import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.tensor.WeightReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static dev.rwkvjava.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

/**
 * {@code rwkv perplexity} end to end; expected values are computed here from the reference logits of the official
 * implementation ({@code ../shared/testdata}), at the tolerances its logit tolerance (1e-4) implies.
 */
class PerplexityCommandTest {
    static final double LOGIT_TOL = 1e-4;
    /** A log-softmax value moves by at most twice the largest logit move. */
    static final double LOG_PROB_TOL = 2 * LOGIT_TOL;
    static final String TINY7 = "tiny-rwkv-7v0-834K.f32";

    @TempDir
    Path dir;

    /** A reference case's tokens and logits rows. */
    record Ref(int[] tokens, float[][] logits) {
        static Ref read(String folder, String caseName) {
            try (SafetensorsFile f = SafetensorsFile.open(CliTestData.file("reference/" + folder + "/" + caseName
                    + ".safetensors"))) {
                TensorInfo t = f.find("tokens");
                int[] tokens = f.data(t).toArray(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED
                        .withOrder(java.nio.ByteOrder.LITTLE_ENDIAN));
                TensorInfo l = f.find("logits");
                assertThat(l.dim(0)).as("every row present").isEqualTo(tokens.length);
                float[] flat = WeightReader.toFloatArray(f.data(l), l.dtype());
                int v = (int) l.dim(1);
                float[][] rows = new float[tokens.length][];
                for (int i = 0; i < rows.length; i++) {
                    rows[i] = Arrays.copyOfRange(flat, i * v, (i + 1) * v);
                }
                return new Ref(tokens, rows);
            }
        }

        String text() {
            byte[] b = new byte[tokens.length];
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) tokens[i];
            }
            return new String(b, StandardCharsets.UTF_8);
        }

        /** ln p(token t) from the row before it. */
        double logProb(int t) {
            return logSoftmax(logits[t - 1])[tokens[t]];
        }
    }

    static double[] logSoftmax(float[] row) {
        double max = Double.NEGATIVE_INFINITY;
        for (float x : row) {
            max = Math.max(max, x);
        }
        double sum = 0;
        for (float x : row) {
            sum += Math.exp(x - max);
        }
        double[] out = new double[row.length];
        for (int i = 0; i < row.length; i++) {
            out[i] = row[i] - max - Math.log(sum);
        }
        return out;
    }

    static int argmax(float[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) {
            if (row[i] > row[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Whether the reference's top two logits are far enough apart that an engine within tolerance agrees. */
    static boolean argmaxIsDetermined(float[] row) {
        int best = argmax(row);
        double second = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < row.length; i++) {
            if (i != best) {
                second = Math.max(second, row[i]);
            }
        }
        return row[best] - second > 2 * LOGIT_TOL;
    }

    static String model(String folder) {
        return CliTestData.file("models/" + folder + ".safetensors").toString();
    }

    JsonNode json(String... args) throws IOException {
        CliTest.Result r = run(args);
        assertThat(r.code()).as(r.err()).isZero();
        return new ObjectMapper().readTree(r.out());
    }

    Path textFile(String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    static void assertPpl(double actual, double meanNll, long terms) {
        double expected = Math.exp(meanNll);
        assertThat(actual).isCloseTo(expected, offset(expected * Math.expm1(LOG_PROB_TOL * terms)));
    }

    @Test
    void textPerplexityMatchesTheReference() throws IOException {
        for (String folder : new String[] {"tiny-rwkv-4v0-660K.f32", TINY7}) {
            Ref ref = Ref.read(folder, "text64");
            Path text = textFile("text64.txt", ref.text());
            CliTest.Result r = run("perplexity", "--model", model(folder), "--text", text.toString(), "--json");
            assertThat(r.code()).as(r.err()).isZero();
            JsonNode o = new ObjectMapper().readTree(r.out());

            double nll = 0;
            for (int t = 1; t < ref.tokens().length; t++) {
                nll -= ref.logProb(t);
            }
            assertThat(o.get("tokens").asInt()).isEqualTo(64);
            assertThat(o.get("predicted").asInt()).isEqualTo(63);
            assertThat(o.get("windows").asInt()).isEqualTo(1);
            assertThat(o.get("start_token").isNull()).isTrue();
            assertThat(o.get("mean_nll").asDouble()).isCloseTo(nll / 63, offset(LOG_PROB_TOL));
            assertPpl(o.get("ppl").asDouble(), nll / 63, 1);
            assertThat(o.has("kl_mean")).isFalse();
            assertThat(r.err()).contains("scored text64.txt (63 tokens");
        }
    }

    @Test
    void humanReadableOutput() throws IOException {
        Path text = textFile("t.txt", Ref.read(TINY7, "hello").text());
        CliTest.Result r = run("perplexity", "--model", model(TINY7), "--text", text.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("(?m)^ppl +[0-9.]+$").containsPattern("(?m)^predicted +13$");
    }

    /** --ctx 14 on "Hello, world!\n" twice: two windows, each scored as the reference's run from the zero state. */
    @Test
    void contextWindowsResetTheState() throws IOException {
        Ref ref = Ref.read(TINY7, "hello");
        Path text = textFile("twice.txt", ref.text() + ref.text());
        JsonNode o = json("perplexity", "--model", model(TINY7), "--text", text.toString(), "--ctx", "14", "--json");
        double nll = 0;
        for (int t = 1; t < 14; t++) {
            nll -= ref.logProb(t);
        }
        assertThat(o.get("tokens").asInt()).isEqualTo(28);
        assertThat(o.get("windows").asInt()).isEqualTo(2);
        assertThat(o.get("predicted").asInt()).isEqualTo(26);
        assertThat(o.get("mean_nll").asDouble()).isCloseTo(nll / 13, offset(LOG_PROB_TOL));

        // A start token scores each window's first byte too: with 'H' itself, the window "ello, world!\n..."
        Path rest = textFile("rest.txt", ref.text().substring(1));
        JsonNode s = json("perplexity", "--model", model(TINY7), "--text", rest.toString(), "--start-token", "72",
                "--json");
        assertThat(s.get("predicted").asInt()).isEqualTo(13);
        assertThat(s.get("start_token").asInt()).isEqualTo(72);
        assertThat(s.get("mean_nll").asDouble()).isCloseTo(nll / 13, offset(LOG_PROB_TOL));
    }

    /**
     * A hand-made JSONL of two documents: "Hello, world!\n" (target " world!\n", which the model misses) and
     * "The quick brown fox jumps over the" (target " the", which it predicts greedily).
     */
    @Test
    void lambadaJsonlMatchesTheReference() throws IOException {
        Ref hello = Ref.read(TINY7, "hello");
        Ref text64 = Ref.read(TINY7, "text64");
        String fox = text64.text().substring(0, 34);
        assertThat(fox).isEqualTo("The quick brown fox jumps over the");
        ObjectMapper om = new ObjectMapper();
        Path jsonl = dir.resolve("lambada.jsonl");
        Files.writeString(jsonl, om.writeValueAsString(Map.of("text", hello.text())) + "\n"
                + om.writeValueAsString(Map.of("text", fox, "id", 7)) + "\n");

        JsonNode o = json("perplexity", "--model", model(TINY7), "--jsonl", jsonl.toString(), "--json");

        double target = 0;
        int targetTokens = 0;
        boolean helloRight = true;
        boolean foxRight = true;
        boolean sure = true;
        for (int t = 6; t < 14; t++) { // " world!\n"
            target += hello.logProb(t);
            helloRight &= argmax(hello.logits()[t - 1]) == hello.tokens()[t];
            sure &= argmaxIsDetermined(hello.logits()[t - 1]);
            targetTokens++;
        }
        for (int t = 30; t < 34; t++) { // " the"
            target += text64.logProb(t);
            foxRight &= argmax(text64.logits()[t - 1]) == text64.tokens()[t];
            sure &= argmaxIsDetermined(text64.logits()[t - 1]);
            targetTokens++;
        }
        assertThat(sure).isTrue();
        assertThat(helloRight).isFalse();
        assertThat(foxRight).isTrue();
        assertThat(o.get("documents").asInt()).isEqualTo(2);
        assertThat(o.get("target_tokens").asInt()).isEqualTo(targetTokens);
        assertThat(o.get("tokens").asInt()).isEqualTo(14 + 34);
        assertThat(o.get("predicted").asInt()).isEqualTo(13 + 33);
        assertThat(o.get("lambada_acc").asDouble()).isEqualTo(0.5);
        assertPpl(o.get("lambada_ppl").asDouble(), -target / 2, targetTokens / 2 + 1);
        assertThat(o.get("ppl").asDouble()).isPositive();
    }

    /** KL(F32 ‖ Q8_0), top-1 agreement and max |logit difference| against the two files' reference logits. */
    @Test
    void klBaseMatchesTheReferences() throws IOException {
        Ref base = Ref.read(TINY7, "text64");
        Ref quant = Ref.read("gguf/tiny-rwkv-7v0-834K-Q8_0", "text64");
        Path text = textFile("text64.txt", base.text());
        JsonNode o = json("perplexity", "--model", CliTestData.file("models/gguf/tiny-rwkv-7v0-834K-Q8_0.gguf")
                .toString(), "--kl-base", model(TINY7), "--text", text.toString(), "--json");

        int n = 63;
        double[] kl = new double[n];
        double bound = 0;
        double maxBound = 0;
        double maxDiff = 0;
        int agree = 0;
        for (int t = 0; t < n; t++) {
            double[] lp = logSoftmax(base.logits()[t]);
            double[] lq = logSoftmax(quant.logits()[t]);
            double l1 = 0;
            double weighted = 0;
            for (int i = 0; i < lp.length; i++) {
                double p = Math.exp(lp[i]);
                kl[t] += p * (lp[i] - lq[i]);
                l1 += Math.abs(p - Math.exp(lq[i]));
                weighted += p * Math.abs(lp[i] - lq[i]);
                maxDiff = Math.max(maxDiff, Math.abs((double) base.logits()[t][i] - quant.logits()[t][i]));
            }
            // First-order effect of moving every logit by at most LOGIT_TOL, plus a second-order allowance.
            double b = LOGIT_TOL * (l1 + 2 * weighted) + 16 * LOGIT_TOL * LOGIT_TOL;
            bound += b / n;
            maxBound = Math.max(maxBound, b);
            assertThat(argmaxIsDetermined(base.logits()[t]) && argmaxIsDetermined(quant.logits()[t])).isTrue();
            agree += argmax(base.logits()[t]) == argmax(quant.logits()[t]) ? 1 : 0;
        }
        double mean = Arrays.stream(kl).average().orElseThrow();
        double[] sorted = kl.clone();
        Arrays.sort(sorted);
        double rank = 0.99 * (n - 1);
        int lo = (int) rank;
        double p99 = sorted[lo] + (rank - lo) * (sorted[lo + 1] - sorted[lo]);

        assertThat(mean).isPositive();
        assertThat(o.get("kl_mean").asDouble()).isCloseTo(mean, offset(bound));
        assertThat(o.get("kl_p99").asDouble()).isCloseTo(p99, offset(maxBound));
        assertThat(o.get("top1_agreement").asDouble()).isEqualTo(agree / (double) n);
        assertThat(o.get("max_abs_logit_diff").asDouble()).isCloseTo(maxDiff, offset(2 * LOGIT_TOL));
        assertThat(o.get("base").asText()).endsWith("tiny-rwkv-7v0-834K.f32.safetensors");
    }

    @Test
    void aModelAgainstItselfHasNoDivergence() throws IOException {
        Path text = textFile("t.txt", Ref.read(TINY7, "text64").text());
        JsonNode o = json("perplexity", "--model", model(TINY7), "--kl-base", model(TINY7), "--text",
                text.toString(), "--ctx", "30", "--json");
        assertThat(o.get("predicted").asInt()).isEqualTo(61);
        assertThat(o.get("kl_mean").asDouble()).isZero();
        assertThat(o.get("kl_p99").asDouble()).isZero();
        assertThat(o.get("top1_agreement").asDouble()).isEqualTo(1.0);
        assertThat(o.get("max_abs_logit_diff").asDouble()).isZero();
    }

    @Test
    void errorsAreOneClearLine() throws IOException {
        String m = model(TINY7);
        Path good = textFile("good.txt", "some text");

        assertError(run("perplexity", "--model", m, "--text", dir.resolve("nope.txt").toString()),
                "--text", "nope.txt", "no such file");
        assertError(run("perplexity", "--model", m, "--jsonl", dir.resolve("nope.jsonl").toString()),
                "nope.jsonl", "no such file");
        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{\"text\": \"a b\"}\n{\"text\": \"a b\"\n");
        assertError(run("perplexity", "--model", m, "--jsonl", bad.toString()), "bad.jsonl line 2", "not valid JSON");
        Path blank = dir.resolve("blank.jsonl");
        Files.writeString(blank, "\n\n");
        assertError(run("perplexity", "--model", m, "--jsonl", blank.toString()), "no documents");

        assertError(run("perplexity", "--model", m, "--text", textFile("one.txt", "x").toString()),
                "tokenizes to 1 token", "at least 2");
        assertError(run("perplexity", "--model", m, "--text", textFile("empty.txt", "").toString()),
                "tokenizes to 0 tokens");
        assertError(run("perplexity", "--model", m, "--text", good.toString(), "--ctx", "1"), "--ctx 1");
        assertError(run("perplexity", "--model", m, "--text", good.toString(), "--ctx", "-3"), "--ctx");
        assertError(run("perplexity", "--model", m, "--jsonl", bad.toString(), "--ctx", "8"), "--ctx applies to --text");
        assertError(run("perplexity", "--model", m, "--text", good.toString(), "--start-token", "256"),
                "start token 256", "out of range");

        Path huge = dir.resolve("huge.txt");
        try (RandomAccessFile f = new RandomAccessFile(huge.toFile(), "rw")) {
            f.setLength(PerplexityCommand.MAX_TEXT_BYTES + 1);
        }
        assertError(run("perplexity", "--model", m, "--text", huge.toString()), "huge.txt", "16 MiB");

        // Vocabulary of 256 against 1000.
        assertError(run("perplexity", "--model", m, "--kl-base", model("random-v4-c128-l3-v1000.f32"), "--text",
                good.toString()), "different vocabularies", "256", "1000");
        // A vocabulary-1000 model has no tokenizer to read text with.
        assertError(run("perplexity", "--model", model("random-v4-c128-l3-v1000.f32"), "--text", good.toString()),
                "has no tokenizer");

        CliTest.Result both = run("perplexity", "--model", m, "--text", good.toString(), "--jsonl", good.toString());
        assertThat(both.code()).isEqualTo(2);
        assertThat(both.err()).contains("mutually exclusive");
        assertThat(run("perplexity", "--model", m).code()).isEqualTo(2);
    }

    @Test
    void differentTokenizersAreRefused() {
        PerplexityCommand.requireSameVocabulary(new dev.rwkvjava.tokenizer.ByteTokenizer(),
                new dev.rwkvjava.tokenizer.ByteTokenizer());
        dev.rwkvjava.tokenizer.Tokenizer shifted = new dev.rwkvjava.tokenizer.Tokenizer() {
            final dev.rwkvjava.tokenizer.ByteTokenizer bytes = new dev.rwkvjava.tokenizer.ByteTokenizer();

            public int vocabSize() {
                return 256;
            }

            public int[] encode(String text) {
                return bytes.encode(text);
            }

            public int[] encode(byte[] input) {
                return bytes.encode(input);
            }

            public byte[] decode(int[] ids) {
                return bytes.decode(ids);
            }

            public byte[] tokenBytes(int id) {
                return new byte[] {(byte) (id == 65 ? 66 : id)};
            }
        };
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PerplexityCommand.requireSameVocabulary(
                new dev.rwkvjava.tokenizer.ByteTokenizer(), shifted))
                .hasMessageContaining("token id 65").hasMessageContaining("[41]").hasMessageContaining("[42]");
    }

    private static void assertError(CliTest.Result r, String... parts) {
        assertThat(r.code()).as(r.out() + r.err()).isEqualTo(1);
        String line = r.err().lines().filter(l -> l.startsWith("rwkv perplexity: error: ")).findFirst().orElse("");
        assertThat(line).as(r.err()).isNotEmpty();
        for (String p : parts) {
            assertThat(line).contains(p);
        }
        assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
    }
}
