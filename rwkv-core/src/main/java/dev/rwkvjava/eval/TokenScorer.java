package dev.rwkvjava.eval;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.state.State;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * Runs token sequences through a model and reports, for every scored token, the log-probability the model gave it
 * and its greedy choice; with a base model, also how the two models' next-token distributions differ at that
 * position. Windows and the start token follow {@link ScoringOptions}.
 *
 * <p>Each window is fed in chunks of {@link RwkvModel#maxBatch()} tokens in sequence mode ({@link
 * RwkvModel#forwardAll}), so memory holds one chunk of logits [chunk, V] at a time, never the logits of the whole
 * sequence. The base model is fed the same chunks from its own state, in lockstep.
 *
 * <p>A scorer keeps no state between calls; it may be used by one thread at a time.
 */
public final class TokenScorer {
    private final RwkvModel model;
    private final RwkvModel base;
    private final int vocab;
    private final int chunk;

    /**
     * A scorer of a model alone.
     *
     * @param model the model
     */
    public TokenScorer(RwkvModel model) {
        this(model, null);
    }

    /**
     * A scorer of {@code model} compared with {@code base} (null: no comparison).
     *
     * @param model the model
     * @param base  the base model to compare with, or null
     * @throws IllegalArgumentException when the two models' vocabularies differ in size
     */
    public TokenScorer(RwkvModel model, RwkvModel base) {
        this.model = Objects.requireNonNull(model, "model");
        this.base = base;
        this.vocab = model.vocabSize();
        if (base != null && base.vocabSize() != vocab) {
            throw new IllegalArgumentException("the two models have different vocabularies: the model has " + vocab
                    + " token ids, the base model " + base.vocabSize() + "; comparing their predictions needs the "
                    + "same vocabulary");
        }
        this.chunk = base == null ? model.maxBatch() : Math.min(model.maxBatch(), base.maxBatch());
    }

    /** {@return the vocabulary size (both models')} */
    public int vocabSize() {
        return vocab;
    }

    /** {@return whether the predictions carry a {@link TokenPrediction.Divergence} from a base model} */
    public boolean hasBase() {
        return base != null;
    }

    /**
     * Scores {@code tokens}: calls {@code sink} once per scored token, in order, and {@code progress} (may be
     * null) after every chunk with the number of tokens scored so far.
     *
     * @param tokens   the token sequence
     * @param options  windows and start token
     * @param sink     receives each prediction
     * @param progress receives the number of tokens scored so far, or null
     * @return the number of tokens scored, {@link ScoringOptions#predictions(int)}
     * @throws IllegalArgumentException when a token id (or the start token) is outside the vocabulary
     * @throws IllegalStateException    when a model's logits are not finite (NaN or +∞)
     */
    public long score(int[] tokens, ScoringOptions options, Consumer<TokenPrediction> sink, LongConsumer progress) {
        Objects.requireNonNull(tokens, "tokens");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(sink, "sink");
        if (options.hasStartToken() && options.startToken() >= vocab) {
            throw new IllegalArgumentException("start token " + options.startToken() + " is out of range: the "
                    + "vocabulary has " + vocab + " ids (0.." + (vocab - 1) + ")");
        }
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= vocab) {
                throw new IllegalArgumentException("token id " + tokens[i] + " at position " + i + " is out of "
                        + "range: the vocabulary has " + vocab + " ids (0.." + (vocab - 1) + ")");
            }
        }
        int n = tokens.length;
        int window = options.context() == 0 ? n : options.context();
        long scored = 0;
        for (int from = 0; from < n; from += Math.min(window, n - from)) {
            scored = scoreWindow(tokens, from, Math.min(window, n - from), options.startToken(), sink, progress,
                    scored);
        }
        return scored;
    }

    /**
     * Scores tokens and returns every prediction (for short sequences: one record per token).
     *
     * @param tokens  the token sequence
     * @param options windows and start token
     * @return the predictions, in order
     */
    public List<TokenPrediction> score(int[] tokens, ScoringOptions options) {
        List<TokenPrediction> out = new ArrayList<>();
        score(tokens, options, out::add, null);
        return out;
    }

    /**
     * One window, tokens[from, from + len), from the zero state. Row r of the fed input predicts target r: the
     * input is [start] + the window without its last token, the targets the window (without its first token when
     * there is no start token). The window's last token is never fed: nothing in the window follows it.
     */
    private long scoreWindow(int[] tokens, int from, int len, int start, Consumer<TokenPrediction> sink,
                             LongConsumer progress, long scored) {
        int shift = start >= 0 ? 1 : 0;
        int rows = len - 1 + shift;
        State state = model.newState();
        State baseState = base == null ? null : base.newState();
        for (int off = 0; off < rows; off += chunk) {
            int m = Math.min(chunk, rows - off);
            int[] ids = new int[m];
            for (int r = 0; r < m; r++) {
                int i = off + r;
                ids[r] = shift == 1 ? (i == 0 ? start : tokens[from + i - 1]) : tokens[from + i];
            }
            float[] logits = model.forwardAll(ids, state);
            float[] baseLogits = base == null ? null : base.forwardAll(ids, baseState);
            for (int r = 0; r < m; r++) {
                int index = from + off + r + 1 - shift;
                sink.accept(predict(logits, baseLogits, r * vocab, index, tokens[index]));
            }
            scored += m;
            if (progress != null) {
                progress.accept(scored);
            }
        }
        return scored;
    }

    private TokenPrediction predict(float[] a, float[] b, int off, int index, int token) {
        double lseA = logSumExp(a, off, index, "the model's");
        int argA = argmax(a, off);
        double logProb = a[off + token] - lseA;
        if (b == null) {
            return new TokenPrediction(index, token, logProb, argA, null);
        }
        double lseB = logSumExp(b, off, index, "the base model's");
        double kl = 0;
        double maxDiff = 0;
        for (int i = off; i < off + vocab; i++) {
            double lp = b[i] - lseB;
            double p = Math.exp(lp);
            if (p > 0) { // a base logit of -∞ contributes nothing (0·ln 0 = 0)
                kl += p * (lp - (a[i] - lseA));
            }
            maxDiff = Math.max(maxDiff, Math.abs((double) a[i] - b[i]));
        }
        // KL is never negative; rounding of nearly equal distributions may leave a few ulps below 0.
        kl = Math.max(0, kl);
        return new TokenPrediction(index, token, logProb, argA,
                new TokenPrediction.Divergence(kl, argmax(b, off), maxDiff));
    }

    /** ln Σ exp(x) over one row, in double, with the maximum subtracted first so that nothing overflows. */
    private double logSumExp(float[] x, int off, int index, String whose) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = off; i < off + vocab; i++) {
            max = Math.max(max, x[i]);
        }
        double sum = 0;
        if (Double.isFinite(max)) {
            for (int i = off; i < off + vocab; i++) {
                sum += Math.exp(x[i] - max);
            }
        }
        if (!Double.isFinite(max) || !Double.isFinite(sum)) {
            throw new IllegalStateException(whose + " logits before token " + index + " are not finite (NaN or "
                    + "infinite): its computation left float range there");
        }
        return max + Math.log(sum);
    }

    private int argmax(float[] x, int off) {
        int best = 0;
        float bestValue = x[off];
        for (int i = 1; i < vocab; i++) {
            if (x[off + i] > bestValue) {
                bestValue = x[off + i];
                best = i;
            }
        }
        return best;
    }
}
