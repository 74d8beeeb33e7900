package dev.rwkvjava.eval;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

/** The sums, on hand-made predictions whose results are worked out here. */
class PerplexityStatsTest {

    @Test
    void perplexityIsExpOfTheMeanNegativeLogProbability() {
        PerplexityStats s = new PerplexityStats();
        s.accept(new TokenPrediction(1, 5, Math.log(0.5), 5, null));
        s.accept(new TokenPrediction(2, 6, Math.log(0.25), 7, null));
        assertThat(s.predictions()).isEqualTo(2);
        assertThat(s.meanNll()).isCloseTo(1.5 * Math.log(2), offset(1e-15));
        assertThat(s.perplexity()).isCloseTo(Math.pow(8, 0.5), offset(1e-12)); // (1/0.5 · 1/0.25)^(1/2)
        assertThat(s.greedyAccuracy()).isEqualTo(0.5);
        assertThat(s.hasDivergence()).isFalse();
        assertThatThrownBy(s::klMean).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void divergenceSummaries() {
        PerplexityStats s = new PerplexityStats();
        for (int i = 1; i <= 100; i++) {
            // KL values 0.01 .. 1.00 in a scrambled order; the base agrees on every odd position.
            int k = (i * 37) % 100 + 1;
            s.accept(new TokenPrediction(i, 3, -1, 3, new TokenPrediction.Divergence(k / 100.0,
                    k % 2 == 1 ? 3 : 4, k == 42 ? 7.5 : 0.25)));
        }
        assertThat(s.compared()).isEqualTo(100);
        assertThat(s.klMean()).isCloseTo(0.505, offset(1e-12));
        // rank 0.99 · 99 = 98.01 between 0.99 and 1.00
        assertThat(s.klPercentile(99)).isCloseTo(0.9901, offset(1e-6));
        assertThat(s.klPercentile(0)).isCloseTo(0.01, offset(1e-7));
        assertThat(s.klPercentile(100)).isCloseTo(1.0, offset(1e-7));
        assertThat(s.klPercentile(50)).isCloseTo(0.505, offset(1e-6));
        assertThat(s.top1Agreement()).isEqualTo(0.5);
        assertThat(s.maxAbsLogitDiff()).isEqualTo(7.5);
        assertThatThrownBy(() -> s.klPercentile(101)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void nothingScoredIsAnError() {
        assertThatThrownBy(() -> new PerplexityStats().perplexity()).hasMessageContaining("no token was scored");
    }

    @Test
    void windowsAndPredictionCounts() {
        ScoringOptions whole = ScoringOptions.defaults();
        assertThat(whole.windows(10)).isEqualTo(1);
        assertThat(whole.predictions(10)).isEqualTo(9);
        assertThat(whole.predictions(1)).isZero();
        assertThat(whole.withStartToken(0).predictions(1)).isEqualTo(1);
        ScoringOptions four = whole.withContext(4);
        assertThat(four.windows(10)).isEqualTo(3);
        assertThat(four.predictions(10)).isEqualTo(7);
        assertThat(four.withStartToken(0).predictions(10)).isEqualTo(10);
        assertThatThrownBy(() -> whole.withContext(1)).hasMessageContaining("predicts nothing");
        assertThat(whole.withStartToken(0).withContext(1).predictions(3)).isEqualTo(3);
        assertThatThrownBy(() -> whole.withContext(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
