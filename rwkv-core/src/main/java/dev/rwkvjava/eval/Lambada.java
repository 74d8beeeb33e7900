package dev.rwkvjava.eval;

import dev.rwkvjava.tokenizer.Tokenizer;

import java.util.Objects;

/**
 * LAMBADA-style last-word prediction, as ChatRWKV's benchmark and lm-eval's {@code lambada_openai} define it. Each
 * document is cut at its last space: the context is the text before it, the target the space and the last word.
 * The two are tokenized separately and fed as one sequence from the zero state (after the start token, if any);
 * the target's tokens are scored.
 *
 * <ul>
 * <li>perplexity = exp(−Σ over documents of the target's log-probability / documents): per document, not per
 * token, as those benchmarks report it;</li>
 * <li>accuracy = the fraction of documents in which every target token is the model's greedy choice.</li>
 * </ul>
 *
 * Every token of each document is also counted into {@link #tokenStats()} (token-level perplexity, and the
 * divergence from the base model when the scorer has one).
 */
public final class Lambada {

    /**
     * A document cut into the context and the target.
     *
     * @param context the text before the last space
     * @param target  the last space and the word after it
     */
    public record Document(String context, String target) {

        /** A document; neither part may be null. */
        public Document {
            Objects.requireNonNull(context, "context");
            Objects.requireNonNull(target, "target");
        }

        /**
         * Cuts {@code text} at its last space (U+0020 only, like Python's {@code rsplit(' ', 1)}).
         *
         * @param text the document
         * @return the document cut in two
         * @throws IllegalArgumentException when the text has no space or ends with one
         */
        public static Document of(String text) {
            int cut = text.lastIndexOf(' ');
            if (cut < 0) {
                throw new IllegalArgumentException("the text has no space, so it has no last word to predict");
            }
            if (cut == text.length() - 1) {
                throw new IllegalArgumentException("the text ends with a space, so its last word is empty");
            }
            return new Document(text.substring(0, cut), text.substring(cut));
        }
    }

    /**
     * One document's result.
     *
     * @param tokens        tokens fed (context and target, not the start token)
     * @param targetTokens  tokens of the target
     * @param targetLogProb Σ ln p over the target's tokens
     * @param correct       whether every target token was the greedy choice
     */
    public record DocumentScore(int tokens, int targetTokens, double targetLogProb, boolean correct) {
    }

    private final TokenScorer scorer;
    private final Tokenizer tokenizer;
    private final ScoringOptions options;
    private final PerplexityStats tokenStats = new PerplexityStats();
    private long documents;
    private long correct;
    private long targetTokens;
    private double targetLogProbSum;

    /**
     * A LAMBADA evaluation with no document scored yet.
     *
     * @param scorer     the model (and base model) to score with
     * @param tokenizer  the model's tokenizer: context and target are encoded separately
     * @param startToken fed before every document ({@link ScoringOptions#NO_START_TOKEN}: none; then the context
     *                   must not be empty)
     */
    public Lambada(TokenScorer scorer, Tokenizer tokenizer, int startToken) {
        this.scorer = Objects.requireNonNull(scorer, "scorer");
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.options = ScoringOptions.defaults().withStartToken(startToken);
    }

    /**
     * Scores one document and counts it.
     *
     * @param doc the document
     * @return its score
     * @throws IllegalArgumentException when nothing precedes the target (an empty context and no start token)
     */
    public DocumentScore add(Document doc) {
        int[] context = tokenizer.encode(doc.context());
        int[] target = tokenizer.encode(doc.target());
        if (target.length == 0) {
            throw new IllegalArgumentException("the last word tokenizes to no tokens");
        }
        if (context.length == 0 && !options.hasStartToken()) {
            throw new IllegalArgumentException("nothing precedes the last word to predict it from (the context is "
                    + "empty); give a start token");
        }
        int[] ids = new int[Math.addExact(context.length, target.length)];
        System.arraycopy(context, 0, ids, 0, context.length);
        System.arraycopy(target, 0, ids, context.length, target.length);
        double[] logProb = {0};
        boolean[] allGreedy = {true};
        scorer.score(ids, options, p -> {
            tokenStats.accept(p);
            if (p.index() >= context.length) {
                logProb[0] += p.logProb();
                allGreedy[0] &= p.greedy();
            }
        }, null);
        documents++;
        targetTokens += target.length;
        targetLogProbSum += logProb[0];
        if (allGreedy[0]) {
            correct++;
        }
        return new DocumentScore(ids.length, target.length, logProb[0], allGreedy[0]);
    }

    /** {@return the number of documents scored} */
    public long documents() {
        return documents;
    }

    /** {@return the number of target tokens over all documents} */
    public long targetTokens() {
        return targetTokens;
    }

    /** {@return exp(−Σ target log-probabilities / documents)} */
    public double perplexity() {
        requireSome();
        return Math.exp(-targetLogProbSum / documents);
    }

    /** {@return the fraction of documents whose every target token was the greedy choice} */
    public double accuracy() {
        requireSome();
        return correct / (double) documents;
    }

    /** {@return every scored token of every document (context and target)} */
    public PerplexityStats tokenStats() {
        return tokenStats;
    }

    private void requireSome() {
        if (documents == 0) {
            throw new IllegalStateException("no document was scored");
        }
    }
}
