package dev.rwkvjava.eval;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Sums {@link TokenPrediction}s into perplexity and, when they carry a {@link TokenPrediction.Divergence}, the
 * divergence of the model from its base. Perplexity is exp(mean negative log-probability) over the predictions.
 *
 * <p>Keeps one float per compared prediction (for the KL percentiles): 4 bytes a token.
 */
public final class PerplexityStats implements Consumer<TokenPrediction> {
    private long predictions;
    private double nllSum;
    private long greedy;

    private long compared;
    private double klSum;
    private float[] kl = new float[0];
    private long agree;
    private double maxAbsLogitDiff;

    /** Empty statistics, before any prediction. */
    public PerplexityStats() {
    }

    @Override
    public void accept(TokenPrediction p) {
        predictions++;
        nllSum -= p.logProb();
        if (p.greedy()) {
            greedy++;
        }
        TokenPrediction.Divergence d = p.divergence();
        if (d != null) {
            if (compared == kl.length) {
                if (kl.length == Integer.MAX_VALUE - 8) {
                    throw new IllegalStateException("too many compared tokens to keep their KL divergences ("
                            + kl.length + ")");
                }
                kl = Arrays.copyOf(kl, (int) Math.min(Integer.MAX_VALUE - 8, Math.max(1024, kl.length * 2L)));
            }
            kl[(int) compared++] = (float) d.kl();
            klSum += d.kl();
            if (d.baseArgmax() == p.argmax()) {
                agree++;
            }
            maxAbsLogitDiff = Math.max(maxAbsLogitDiff, d.maxAbsLogitDiff());
        }
    }

    /** {@return the number of tokens scored} */
    public long predictions() {
        return predictions;
    }

    /** {@return Σ −ln p(token) over the scored tokens, in nats} */
    public double nllSum() {
        return nllSum;
    }

    /** {@return the mean negative log-probability of the scored tokens, in nats per token} */
    public double meanNll() {
        requireSome();
        return nllSum / predictions;
    }

    /** {@return exp(mean negative log-probability)} */
    public double perplexity() {
        return Math.exp(meanNll());
    }

    /** {@return the fraction of scored tokens that were the model's greedy choice} */
    public double greedyAccuracy() {
        requireSome();
        return greedy / (double) predictions;
    }

    /** {@return whether the predictions were compared with a base model} */
    public boolean hasDivergence() {
        return compared > 0;
    }

    /** {@return the number of predictions compared with a base model} */
    public long compared() {
        return compared;
    }

    /** {@return the mean KL(base ‖ model) over the compared predictions, in nats} */
    public double klMean() {
        requireCompared();
        return klSum / compared;
    }

    /**
     * The {@code percent}-th percentile of KL(base ‖ model) over the compared predictions: linear interpolation
     * between the two nearest order statistics, at rank {@code percent / 100 · (n − 1)} of the sorted values
     * (numpy's default).
     *
     * @param percent the percentile, 0 to 100
     * @return the KL divergence at that percentile, in nats
     */
    public double klPercentile(double percent) {
        requireCompared();
        if (!(percent >= 0 && percent <= 100)) {
            throw new IllegalArgumentException("percentile must be in [0, 100], got " + percent);
        }
        float[] sorted = Arrays.copyOf(kl, (int) compared);
        Arrays.sort(sorted);
        double rank = percent / 100 * (sorted.length - 1);
        int lo = (int) Math.floor(rank);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (rank - lo) * ((double) sorted[hi] - sorted[lo]);
    }

    /** {@return the fraction of compared predictions where the model's greedy choice is the base's} */
    public double top1Agreement() {
        requireCompared();
        return agree / (double) compared;
    }

    /** {@return the largest |model logit − base logit| seen at any compared position} */
    public double maxAbsLogitDiff() {
        requireCompared();
        return maxAbsLogitDiff;
    }

    private void requireSome() {
        if (predictions == 0) {
            throw new IllegalStateException("no token was scored");
        }
    }

    private void requireCompared() {
        if (compared == 0) {
            throw new IllegalStateException("no prediction was compared with a base model");
        }
    }
}
