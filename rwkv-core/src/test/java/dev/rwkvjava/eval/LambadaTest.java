package dev.rwkvjava.eval;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.testutil.ReferenceCase;
import dev.rwkvjava.testutil.TestData;
import dev.rwkvjava.tokenizer.ByteTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

/** LAMBADA-style scoring of a hand-made JSONL whose documents are reference texts, and the reader's errors. */
class LambadaTest {
    @TempDir
    Path dir;

    /**
     * The JSONL documents: the first {@code length} bytes of a reference case's text (the whole text for -1). A
     * prefix's logits are the first rows of the case. "The quick brown fox jumps over the" ends in a last word that
     * the 4v0 and 7v0 models predict greedily; the other targets they miss.
     */
    record Doc(String caseName, int length) {
    }

    static final Doc[] DOCS = {new Doc("hello", -1), new Doc("text64", 34), new Doc("text64", -1),
            new Doc("utf8_seq", -1)};

    @Test
    void documentsAreCutAtTheirLastSpace() {
        assertThat(Lambada.Document.of("Hello, world!\n")).isEqualTo(new Lambada.Document("Hello,", " world!\n"));
        assertThat(Lambada.Document.of("a  b")).isEqualTo(new Lambada.Document("a ", " b"));
        assertThat(Lambada.Document.of(" word")).isEqualTo(new Lambada.Document("", " word"));
        // Only U+0020 separates, as Python's rsplit(' ', 1).
        assertThat(Lambada.Document.of("one two\tthree")).isEqualTo(new Lambada.Document("one", " two\tthree"));
        assertThatThrownBy(() -> Lambada.Document.of("nospace")).hasMessageContaining("no space");
        assertThatThrownBy(() -> Lambada.Document.of("ends with ")).hasMessageContaining("ends with a space");
    }

    /**
     * Per-document perplexity exp(−Σ target log p / documents) and last-word accuracy, against the values computed
     * from the reference logits of each text (the byte-level model's tokens are the text's bytes, so the context
     * and target tokens concatenated are the reference case's tokens).
     */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-rwkv-4v0-660K.f32", "tiny-rwkv-6v0-1m.f32", "tiny-rwkv-7v0-834K.f32"})
    void perplexityAndAccuracyMatchTheReferenceLogits(String folder) throws IOException {
        StringBuilder jsonl = new StringBuilder();
        double logProbSum = 0;
        int correctAtLeast = 0;
        int correctAtMost = 0;
        long targetTokens = 0;
        for (Doc d : DOCS) {
            ReferenceCase ref = RefMath.reference(folder, d.caseName());
            int[] tokens = d.length() < 0 ? ref.tokens() : java.util.Arrays.copyOf(ref.tokens(), d.length());
            String text = new String(bytes(tokens), StandardCharsets.UTF_8);
            jsonl.append(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(
                    java.util.Map.of("text", text))).append('\n');
            int from = text.substring(0, text.lastIndexOf(' ')).getBytes(StandardCharsets.UTF_8).length;
            boolean allSure = true;
            boolean allRight = true;
            for (int t = from; t < tokens.length; t++) {
                float[] row = ref.logits()[t - 1];
                logProbSum += RefMath.logSoftmax(row)[tokens[t]];
                allSure &= RefMath.argmaxIsDetermined(row);
                allRight &= RefMath.argmax(row) == tokens[t];
                targetTokens++;
            }
            correctAtLeast += allRight && allSure ? 1 : 0;
            correctAtMost += allRight || !allSure ? 1 : 0;
        }
        jsonl.append("\n"); // a blank line at the end is skipped
        Path file = dir.resolve("docs.jsonl");
        Files.writeString(file, jsonl);

        try (RwkvModel model = RwkvModel.load(TestData.file("models/" + folder + ".safetensors"))) {
            Lambada lambada = new Lambada(new TokenScorer(model), new ByteTokenizer(), ScoringOptions.NO_START_TOKEN);
            List<Long> lines = new ArrayList<>();
            assertThat(LambadaJsonl.count(file)).isEqualTo(DOCS.length);
            LambadaJsonl.forEach(file, (line, doc) -> {
                lines.add(line);
                lambada.add(doc);
            });

            int n = DOCS.length;
            assertThat(lines).containsExactly(1L, 2L, 3L, 4L);
            assertThat(lambada.documents()).isEqualTo(n);
            assertThat(lambada.targetTokens()).isEqualTo(targetTokens);
            double expectedPpl = Math.exp(-logProbSum / n);
            // Σ of targetTokens log-probabilities, each within LOG_PROB_TOL, divided by the documents.
            double tol = targetTokens * RefMath.LOG_PROB_TOL / n;
            assertThat(lambada.perplexity()).isCloseTo(expectedPpl, offset(expectedPpl * Math.expm1(tol)));
            assertThat(lambada.accuracy() * n).isBetween(correctAtLeast - 1e-9, correctAtMost + 1e-9);
            if (!folder.contains("6v0")) {
                assertThat(correctAtLeast).as("the data has a document these models get right").isEqualTo(1);
            }
            // Every token after each document's first was scored into the token statistics.
            long all = 0;
            for (Doc d : DOCS) {
                all += (d.length() < 0 ? RefMath.reference(folder, d.caseName()).tokens().length : d.length()) - 1;
            }
            assertThat(lambada.tokenStats().predictions()).isEqualTo(all);
        }
    }

    /** A hand-made check that does not need logits: the target is the last word and the tokens are counted. */
    @Test
    void aDocumentScoreCountsItsTargetTokens() {
        try (RwkvModel model = RwkvModel.load(TestData.file("models/tiny-rwkv-4v0-660K.f32.safetensors"))) {
            Lambada lambada = new Lambada(new TokenScorer(model), new ByteTokenizer(), ScoringOptions.NO_START_TOKEN);
            Lambada.DocumentScore s = lambada.add(Lambada.Document.of("the cat sat on the mat"));
            assertThat(s.tokens()).isEqualTo(22);
            assertThat(s.targetTokens()).isEqualTo(4); // " mat"
            assertThat(s.targetLogProb()).isNegative();
            assertThatThrownBy(() -> lambada.add(Lambada.Document.of(" alone")))
                    .hasMessageContaining("nothing precedes the last word");
            Lambada started = new Lambada(new TokenScorer(model), new ByteTokenizer(), 10);
            assertThat(started.add(Lambada.Document.of(" alone")).targetTokens()).isEqualTo(6);
        }
    }

    @Test
    void badLinesAreReportedWithTheirLineNumber() throws IOException {
        String good = "{\"text\": \"a b\"}\n";
        assertLineError(good + "\n" + "not json\n", 3, "not valid JSON");
        assertLineError(good + "[1, 2]\n", 2, "expected a JSON object");
        assertLineError(good + good + "{\"text\": 5}\n", 3, "\"text\" is not a string");
        assertLineError("{\"txt\": \"a b\"}\n", 1, "no \"text\"");
        assertLineError(good + "{\"text\": \"nospace\"}\n", 2, "no space");
        assertLineError("{\"text\": \"a b\"} trailing\n", 1, "not valid JSON");
        assertLineError("{\"text\": \"a b\", \"text\": \"c d\"}\n", 1, "not valid JSON");
        assertLineError("{\"text\": \"a b\"", 1, "not valid JSON");

        Path bad = dir.resolve("bad-utf8.jsonl");
        byte[] line = "{\"text\": \"a \u00ff\"}".getBytes(StandardCharsets.ISO_8859_1);
        Files.write(bad, line);
        assertThatThrownBy(() -> LambadaJsonl.forEach(bad, (n, d) -> { }))
                .hasMessageContaining("line 1").hasMessageContaining("not UTF-8");
    }

    @Test
    void aLineLongerThanTheLimitIsRefusedWithoutReadingItWhole() throws IOException {
        Path big = dir.resolve("big.jsonl");
        byte[] huge = new byte[LambadaJsonl.MAX_LINE_BYTES + 1];
        java.util.Arrays.fill(huge, (byte) 'x');
        Files.write(big, huge);
        assertThatThrownBy(() -> LambadaJsonl.count(big))
                .hasMessageContaining("line 1").hasMessageContaining("longer than 16 MiB");
    }

    @Test
    void aMissingFileIsNamed() {
        Path missing = dir.resolve("missing.jsonl");
        assertThatThrownBy(() -> LambadaJsonl.forEach(missing, (n, d) -> { }))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("missing.jsonl").hasMessageContaining("no such file");
    }

    @Test
    void windowsLineEndsAreAccepted() throws IOException {
        Path f = dir.resolve("crlf.jsonl");
        Files.writeString(f, "{\"text\": \"a b\"}\r\n{\"text\": \"c d\"}\r\n");
        List<Lambada.Document> docs = new ArrayList<>();
        LambadaJsonl.forEach(f, (n, d) -> docs.add(d));
        assertThat(docs).containsExactly(new Lambada.Document("a", " b"), new Lambada.Document("c", " d"));
    }

    private void assertLineError(String content, int line, String what) throws IOException {
        Path f = dir.resolve("case.jsonl");
        Files.writeString(f, content);
        assertThatThrownBy(() -> LambadaJsonl.forEach(f, (n, d) -> { }))
                .as(content)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("case.jsonl line " + line + ": ")
                .hasMessageContaining(what);
    }

    private static byte[] bytes(int[] ids) {
        byte[] b = new byte[ids.length];
        for (int i = 0; i < ids.length; i++) {
            b[i] = (byte) ids[i];
        }
        return b;
    }
}
