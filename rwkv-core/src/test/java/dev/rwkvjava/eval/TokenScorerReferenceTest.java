package dev.rwkvjava.eval;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.testutil.ReferenceCase;
import dev.rwkvjava.testutil.TestData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

/**
 * Log-probabilities, perplexity, greedy choices and KL divergence of the scorer against the same quantities
 * computed from the reference logits of the official implementation ({@code ../shared/testdata}), at the
 * tolerances the data's logit tolerance implies.
 */
class TokenScorerReferenceTest {
    /** Tiny trained byte-level models, each with full-row reference cases (every position has logits). */
    static final String[] TINY = {"tiny-rwkv-4v0-660K.f32", "tiny-rwkv-5v1-730K.f32", "tiny-rwkv-5v2-730K.f32",
            "tiny-rwkv-6v0-1m.f32", "tiny-rwkv-7v0-834K.f32"};

    private static final Map<String, RwkvModel> LOADED = new HashMap<>();

    /** Loaded with a chunk of 5 tokens, so that every window is fed in several sequence-mode steps. */
    static RwkvModel model(String file) {
        return LOADED.computeIfAbsent(file, f -> RwkvModel.load(TestData.file(f),
                RwkvModel.Options.defaults().withMaxChunk(5)));
    }

    static RwkvModel tiny(String folder) {
        return model("models/" + folder + ".safetensors");
    }

    @AfterAll
    static void close() {
        LOADED.values().forEach(RwkvModel::close);
        LOADED.clear();
    }

    static Stream<Arguments> tinyCases() {
        List<Arguments> out = new ArrayList<>();
        for (String m : TINY) {
            for (String c : new String[] {"text64", "hello", "utf8_seq"}) {
                out.add(Arguments.of(m, c));
            }
        }
        return out.stream();
    }

    /** Token i + 1 scored from reference row i: log-softmax at its id, and the greedy choice where it is clear. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("tinyCases")
    void logProbsAndPerplexityMatchTheReferenceLogits(String folder, String caseName) {
        ReferenceCase ref = RefMath.reference(folder, caseName);
        int[] tokens = ref.tokens();
        assertThat(ref.positions()).hasSize(tokens.length); // every row present

        List<TokenPrediction> got = new TokenScorer(tiny(folder)).score(tokens, ScoringOptions.defaults());

        assertThat(got).hasSize(tokens.length - 1);
        double nll = 0;
        for (int t = 0; t + 1 < tokens.length; t++) {
            TokenPrediction p = got.get(t);
            double expected = RefMath.logSoftmax(ref.logits()[t])[tokens[t + 1]];
            assertThat(p.index()).isEqualTo(t + 1);
            assertThat(p.token()).isEqualTo(tokens[t + 1]);
            assertThat(p.logProb()).as("log p of token %d", t + 1).isCloseTo(expected, offset(RefMath.LOG_PROB_TOL));
            assertThat(p.divergence()).isNull();
            if (RefMath.argmaxIsDetermined(ref.logits()[t])) {
                assertThat(p.argmax()).as("argmax after token %d", t).isEqualTo(RefMath.argmax(ref.logits()[t]));
            }
            nll -= expected;
        }
        PerplexityStats stats = new PerplexityStats();
        got.forEach(stats);
        double meanNll = nll / (tokens.length - 1);
        assertThat(stats.predictions()).isEqualTo(tokens.length - 1);
        assertThat(stats.meanNll()).isCloseTo(meanNll, offset(RefMath.LOG_PROB_TOL));
        // exp of a mean known within δ is known within a factor e^δ.
        assertThat(stats.perplexity()).isCloseTo(Math.exp(meanNll),
                offset(Math.exp(meanNll) * Math.expm1(RefMath.LOG_PROB_TOL)));
    }

    /**
     * With a start token the window's first token is scored too: "Hello, world!\n" without its first byte,
     * started by that byte, is scored exactly by the reference rows of the whole text.
     */
    @Test
    void aStartTokenScoresTheFirstToken() {
        String folder = "tiny-rwkv-7v0-834K.f32";
        ReferenceCase ref = RefMath.reference(folder, "hello");
        int[] tokens = ref.tokens();
        int[] rest = java.util.Arrays.copyOfRange(tokens, 1, tokens.length);

        List<TokenPrediction> got = new TokenScorer(tiny(folder)).score(rest,
                ScoringOptions.defaults().withStartToken(tokens[0]));

        assertThat(got).hasSize(rest.length);
        for (int i = 0; i < rest.length; i++) {
            assertThat(got.get(i).index()).isEqualTo(i);
            assertThat(got.get(i).logProb()).isCloseTo(RefMath.logSoftmax(ref.logits()[i])[rest[i]],
                    offset(RefMath.LOG_PROB_TOL));
        }
    }

    /**
     * At a window boundary the state is reset: "Hello, world!\n" twice in windows of 14 tokens scores each copy
     * as the reference's run of the text from the zero state, and the second copy's first byte is not scored.
     */
    @Test
    void eachContextWindowStartsFromTheZeroState() {
        String folder = "tiny-rwkv-5v2-730K.f32";
        ReferenceCase ref = RefMath.reference(folder, "hello");
        int[] one = ref.tokens();
        int n = one.length;
        int[] twice = new int[2 * n + 3];
        System.arraycopy(one, 0, twice, 0, n);
        System.arraycopy(one, 0, twice, n, n);
        System.arraycopy(one, 0, twice, 2 * n, 3); // a short last window: "Hel"
        ScoringOptions options = ScoringOptions.defaults().withContext(n);

        List<TokenPrediction> got = new TokenScorer(tiny(folder)).score(twice, options);

        assertThat(options.windows(twice.length)).isEqualTo(3);
        assertThat(got).hasSize((n - 1) * 2 + 2).hasSize((int) options.predictions(twice.length));
        for (int i = 0; i < got.size(); i++) {
            TokenPrediction p = got.get(i);
            int inWindow = p.index() % n;
            assertThat(inWindow).as("first token of a window is not scored").isNotZero();
            assertThat(p.logProb()).as("token %d", p.index()).isCloseTo(
                    RefMath.logSoftmax(ref.logits()[inWindow - 1])[one[inWindow]], offset(RefMath.LOG_PROB_TOL));
        }
    }

    /** Quantized and half-precision files, each against the F32 model of the same weights. */
    static Stream<Arguments> variants() {
        return Stream.of(
                Arguments.of("gguf/tiny-rwkv-7v0-834K-F16", "models/gguf/tiny-rwkv-7v0-834K-F16.gguf", "tiny-rwkv-7v0-834K.f32"),
                Arguments.of("gguf/tiny-rwkv-7v0-834K-Q8_0", "models/gguf/tiny-rwkv-7v0-834K-Q8_0.gguf", "tiny-rwkv-7v0-834K.f32"),
                Arguments.of("gguf/tiny-rwkv-7v0-834K-Q4_0", "models/gguf/tiny-rwkv-7v0-834K-Q4_0.gguf", "tiny-rwkv-7v0-834K.f32"),
                Arguments.of("rwkv.cpp/tiny-rwkv-7v0-834K-FP16", "models/rwkv.cpp/tiny-rwkv-7v0-834K-FP16.bin", "tiny-rwkv-7v0-834K.f32"),
                Arguments.of("rwkv.cpp/tiny-rwkv-7v0-834K-Q5_1", "models/rwkv.cpp/tiny-rwkv-7v0-834K-Q5_1.bin", "tiny-rwkv-7v0-834K.f32"),
                Arguments.of("gguf/tiny-rwkv-6v0-1m-Q8_0", "models/gguf/tiny-rwkv-6v0-1m-Q8_0.gguf", "tiny-rwkv-6v0-1m.f32"));
    }

    /**
     * KL(F32 ‖ variant) per position, its mean and 99th percentile, top-1 agreement and the largest logit
     * difference, against the same quantities computed from the two files' reference logits (text64).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void divergenceFromTheF32ModelMatchesTheReferences(String variantRef, String variantFile, String baseRef) {
        ReferenceCase model = RefMath.reference(variantRef, "text64");
        ReferenceCase base = RefMath.reference(baseRef, "text64");
        int[] tokens = model.tokens();
        assertThat(base.tokens()).containsExactly(tokens);

        PerplexityStats stats = new PerplexityStats();
        List<TokenPrediction> got = new TokenScorer(model(variantFile), tiny(baseRef)).score(tokens,
                ScoringOptions.defaults());
        got.forEach(stats);

        int n = tokens.length - 1;
        double[] kl = new double[n];
        double boundSum = 0;
        double maxBound = 0;
        double maxDiff = 0;
        int agree = 0;
        int undetermined = 0;
        for (int t = 0; t < n; t++) {
            float[] m = model.logits()[t];
            float[] b = base.logits()[t];
            kl[t] = RefMath.kl(b, m);
            double bound = RefMath.klBound(b, m);
            boundSum += bound;
            maxBound = Math.max(maxBound, bound);
            maxDiff = Math.max(maxDiff, RefMath.maxAbsDiff(m, b));
            TokenPrediction p = got.get(t);
            assertThat(p.divergence().kl()).as("KL before token %d", t + 1).isCloseTo(kl[t], offset(bound));
            if (RefMath.argmaxIsDetermined(m) && RefMath.argmaxIsDetermined(b)) {
                assertThat(p.argmax()).isEqualTo(RefMath.argmax(m));
                assertThat(p.divergence().baseArgmax()).isEqualTo(RefMath.argmax(b));
                agree += RefMath.argmax(m) == RefMath.argmax(b) ? 1 : 0;
            } else {
                undetermined++;
            }
        }
        assertThat(stats.compared()).isEqualTo(n);
        double klMean = java.util.Arrays.stream(kl).average().orElseThrow();
        assertThat(klMean).as("the variant's weights differ, so its predictions do").isPositive();
        assertThat(stats.klMean()).isCloseTo(klMean, offset(boundSum / n));
        assertThat(stats.klPercentile(99)).isCloseTo(RefMath.percentile(kl, 99), offset(maxBound));
        assertThat(stats.top1Agreement() * n).isBetween(agree - 1e-9, agree + undetermined + 1e-9);
        // Each logit is within the tolerance of its reference, so a difference of two within twice that.
        assertThat(stats.maxAbsLogitDiff()).isCloseTo(maxDiff, offset(2 * RefMath.LOGIT_TOL));
    }

    /** A model against itself (loaded twice): no divergence at all. */
    @Test
    void aModelAgainstItselfHasNoDivergence() {
        String folder = "tiny-rwkv-7v0-834K.f32";
        ReferenceCase ref = RefMath.reference(folder, "text64");
        try (RwkvModel again = RwkvModel.load(TestData.file("models/" + folder + ".safetensors"))) {
            PerplexityStats stats = new PerplexityStats();
            new TokenScorer(tiny(folder), again).score(ref.tokens(), ScoringOptions.defaults().withContext(20),
                    stats, null);
            assertThat(stats.compared()).isEqualTo(ref.tokens().length - 4);
            assertThat(stats.klMean()).isZero();
            assertThat(stats.klPercentile(99)).isZero();
            assertThat(stats.top1Agreement()).isEqualTo(1.0);
            assertThat(stats.maxAbsLogitDiff()).isZero();
        }
    }

    @Test
    void modelsWithDifferentVocabulariesAreRefused() {
        RwkvModel random = model("models/random-v4-c128-l3-v1000.f32.safetensors");
        assertThatThrownBy(() -> new TokenScorer(tiny("tiny-rwkv-4v0-660K.f32"), random))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("different vocabularies").hasMessageContaining("256").hasMessageContaining("1000");
    }

    @Test
    void tokensOutsideTheVocabularyAreRefusedBeforeAnyWork() {
        TokenScorer s = new TokenScorer(tiny("tiny-rwkv-4v0-660K.f32"));
        assertThatThrownBy(() -> s.score(new int[] {1, 2, 300}, ScoringOptions.defaults()))
                .hasMessageContaining("token id 300 at position 2");
        assertThatThrownBy(() -> s.score(new int[] {1, 2}, ScoringOptions.defaults().withStartToken(256)))
                .hasMessageContaining("start token 256");
    }

    @Test
    void progressCountsScoredTokens() {
        TokenScorer s = new TokenScorer(tiny("tiny-rwkv-4v0-660K.f32"));
        List<Long> seen = new ArrayList<>();
        long n = s.score(new int[23], ScoringOptions.defaults().withContext(10), p -> { }, seen::add);
        assertThat(n).isEqualTo(20); // windows 10, 10, 3: each loses its first token
        assertThat(seen).isSorted().last().isEqualTo(20L);
    }
}
