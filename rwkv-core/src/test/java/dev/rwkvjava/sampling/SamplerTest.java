package dev.rwkvjava.sampling;

import dev.rwkvjava.tokenizer.ByteTokenizer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

class SamplerTest {
    /** Logits whose softmax is exactly the given distribution. */
    static float[] logitsOf(double... p) {
        float[] l = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            l[i] = (float) Math.log(p[i]);
        }
        return l;
    }

    static final float[] FOUR = logitsOf(0.5, 0.3, 0.15, 0.05);

    static SamplerConfig plain() {
        return SamplerConfig.unmodified().withSeed(1L);
    }

    static void assertDistribution(float[] got, double... expected) {
        assertThat(got).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat((double) got[i]).as("p[%d] of %s", i, Arrays.toString(got)).isCloseTo(expected[i], offset(1e-6));
        }
    }

    @Test
    void greedyTakesTheHighestLogitAndTheLowestIdOnATie() {
        Sampler s = new Sampler(SamplerConfig.greedy(), 5);
        assertThat(s.sample(new float[] {0.1f, 3f, -2f, 3f, 1f})).isEqualTo(1);
        assertThat(s.sample(new float[] {Float.NEGATIVE_INFINITY, -5f, -5f, -6f, -7f})).isEqualTo(1);
        assertThat(s.sample(new float[] {2f, 2f, 2f, 2f, 2f})).isEqualTo(0);
    }

    @Test
    void unmodifiedSamplingIsTheSoftmax() {
        assertDistribution(new Sampler(plain(), 4).probabilities(FOUR), 0.5, 0.3, 0.15, 0.05);
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        Sampler s = new Sampler(plain().withTopP(0.75), 4);
        assertDistribution(s.probabilities(FOUR), 0.5 / 0.8, 0.3 / 0.8, 0, 0);
        assertDistribution(new Sampler(plain().withTopP(0.85), 4).probabilities(FOUR), 0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0);
        assertDistribution(new Sampler(plain().withTopP(0.4), 4).probabilities(FOUR), 1, 0, 0, 0);
        assertDistribution(new Sampler(plain().withTopP(0), 4).probabilities(FOUR), 1, 0, 0, 0);
    }

    @Test
    void topPKeepsTokensTiedWithTheCutOff() {
        float[] l = logitsOf(0.4, 0.3, 0.3);
        assertDistribution(new Sampler(plain().withTopP(0.6), 3).probabilities(l), 0.4, 0.3, 0.3);
    }

    @Test
    void topKKeepsExactlyK() {
        assertDistribution(new Sampler(plain().withTopK(2), 4).probabilities(FOUR), 0.5 / 0.8, 0.3 / 0.8, 0, 0);
        assertDistribution(new Sampler(plain().withTopK(1), 4).probabilities(FOUR), 1, 0, 0, 0);
        assertDistribution(new Sampler(plain().withTopK(10), 4).probabilities(FOUR), 0.5, 0.3, 0.15, 0.05);
    }

    @Test
    void minPKeepsTokensAtLeastThatFractionOfTheTop() {
        assertDistribution(new Sampler(plain().withMinP(0.5), 4).probabilities(FOUR), 0.5 / 0.8, 0.3 / 0.8, 0, 0);
        assertDistribution(new Sampler(plain().withMinP(0.2), 4).probabilities(FOUR), 0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0);
    }

    @Test
    void temperatureAppliesToTheSurvivorsOfTheCutOffs() {
        // T = 0.5 squares the probabilities; top-p 0.75 (measured at T = 1) keeps ids 0 and 1 only.
        double a = 0.25;
        double b = 0.09;
        assertDistribution(new Sampler(plain().withTemperature(0.5).withTopP(0.75), 4).probabilities(FOUR),
                a / (a + b), b / (a + b), 0, 0);
        double[] sq = {0.25, 0.09, 0.0225, 0.0025};
        double sum = Arrays.stream(sq).sum();
        assertDistribution(new Sampler(plain().withTemperature(0.5), 4).probabilities(FOUR),
                sq[0] / sum, sq[1] / sum, sq[2] / sum, sq[3] / sum);
        // A tiny temperature must not underflow everything: the likeliest token takes it all.
        assertDistribution(new Sampler(plain().withTemperature(1e-4), 4).probabilities(FOUR), 1, 0, 0, 0);
    }

    @Test
    void banListAndLogitBias() {
        Sampler s = new Sampler(SamplerConfig.greedy().withBannedTokens(List.of(0)), 4);
        assertThat(s.sample(FOUR)).isEqualTo(1);
        s = new Sampler(SamplerConfig.greedy().withLogitBias(Map.of(3, 10f)), 4);
        assertThat(s.sample(FOUR)).isEqualTo(3);
        assertDistribution(new Sampler(plain().withBannedTokens(List.of(1, 2)), 4).probabilities(FOUR),
                0.5 / 0.55, 0, 0, 0.05 / 0.55);
        Sampler all = new Sampler(plain().withBannedTokens(List.of(0, 1, 2, 3)), 4);
        assertThatThrownBy(() -> all.sample(FOUR)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no token can be sampled");
        assertThatThrownBy(() -> new Sampler(plain().withBannedTokens(List.of(4)), 4))
                .hasMessageContaining("banned token id 4 is out of range");
    }

    @Test
    void penaltiesFollowChatRwkvWithDecay() {
        SamplerConfig c = plain().withPresencePenalty(0.5).withFrequencyPenalty(0.25).withPenaltyDecay(0.9);
        Sampler s = new Sampler(c, 4);
        s.accept(1);
        s.accept(1);
        s.accept(2);
        // Counts decay before each new token is counted: 1 -> 0.9 + 1 = 1.9 -> 1.71; token 2: 1.
        assertThat((double) s.occurrences(1)).isCloseTo(1.71, offset(1e-6));
        assertThat((double) s.occurrences(2)).isCloseTo(1.0, offset(1e-6));
        float[] flat = new float[4];
        double l1 = -(0.5 + 1.71 * 0.25);
        double l2 = -(0.5 + 1.0 * 0.25);
        double z = 2 + Math.exp(l1) + Math.exp(l2);
        assertDistribution(s.probabilities(flat), 1 / z, Math.exp(l1) / z, Math.exp(l2) / z, 1 / z);
        // Greedy sees the penalties too.
        Sampler g = new Sampler(SamplerConfig.greedy().withFrequencyPenalty(1), 4);
        g.accept(0);
        assertThat(g.sample(logitsOf(0.4, 0.3, 0.2, 0.1))).isEqualTo(1);
        // reset() forgets them.
        s.reset();
        assertThat(s.occurrences(1)).isZero();
        assertDistribution(s.probabilities(flat), 0.25, 0.25, 0.25, 0.25);
    }

    @Test
    void spacesAndDigitsCountZeroButStillGetThePresencePenalty() {
        float[] w = PenaltyWeights.chatRwkv(new ByteTokenizer(), 256);
        assertThat(w[' ']).isZero();
        assertThat(w['7']).isZero();
        assertThat(w['\t']).isZero();
        assertThat(w['a']).isEqualTo(1f);
        assertThat(w['\n']).isEqualTo(1f);
        Sampler s = new Sampler(plain().withPresencePenalty(1).withFrequencyPenalty(1), 256, w);
        s.accept(' ');
        s.accept('a');
        assertThat(s.occurrences(' ')).isZero();
        assertThat(s.occurrences('a')).isEqualTo(1f);
        float[] p = s.probabilities(new float[256]);
        // ' ' lost the presence penalty (1), 'a' presence + frequency (2), the rest nothing.
        assertThat((double) (p['b'] / p[' '])).isCloseTo(Math.E, offset(1e-4));
        assertThat((double) (p['b'] / p['a'])).isCloseTo(Math.E * Math.E, offset(1e-3));
    }

    @Test
    void aSeedMakesARunReproducible() {
        float[] l = logitsOf(0.3, 0.25, 0.2, 0.15, 0.1);
        int[] a = draw(new Sampler(plain().withSeed(42L), 5), l, 500);
        int[] b = draw(new Sampler(plain().withSeed(42L), 5), l, 500);
        int[] c = draw(new Sampler(plain().withSeed(43L), 5), l, 500);
        assertThat(a).containsExactly(b);
        assertThat(a).isNotEqualTo(c);
        // Without a seed one is picked, and reported so the run can be repeated.
        Sampler r = new Sampler(plain().withSeed(null), 5);
        int[] d = draw(r, l, 500);
        assertThat(draw(new Sampler(plain().withSeed(r.seed()), 5), l, 500)).containsExactly(d);
        // reset() keeps the random stream going: a retried reply differs.
        Sampler s = new Sampler(plain().withSeed(42L), 5);
        draw(s, l, 500);
        s.reset();
        assertThat(draw(s, l, 500)).isNotEqualTo(a);
    }

    @Test
    void samplesFollowTheDistribution() {
        Sampler s = new Sampler(plain().withSeed(7L).withTopK(3), 4);
        int[] counts = new int[4];
        int n = 40_000;
        for (int i = 0; i < n; i++) {
            counts[s.sample(FOUR)]++;
        }
        assertThat(counts[3]).isZero();
        assertThat(counts[0] / (double) n).isCloseTo(0.5 / 0.95, offset(0.01));
        assertThat(counts[1] / (double) n).isCloseTo(0.3 / 0.95, offset(0.01));
        assertThat(counts[2] / (double) n).isCloseTo(0.15 / 0.95, offset(0.01));
    }

    /** The threshold shortcut of the cut-offs against a plain full sort, on a large random vocabulary. */
    @Test
    void cutOffsMatchAFullSortOnALargeVocabulary() {
        Random rnd = new Random(5);
        int v = 5000;
        for (int trial = 0; trial < 30; trial++) {
            float[] logits = new float[v];
            double spread = 1 + rnd.nextInt(12);
            for (int i = 0; i < v; i++) {
                logits[i] = (float) (rnd.nextGaussian() * spread);
            }
            double topP = new double[] {1, 0.99, 0.9, 0.5, 0.1}[trial % 5];
            int topK = new int[] {0, 1, 40, 4999, 6000}[trial / 6 % 5];
            double minP = trial % 3 == 0 ? 0.05 : 0;
            SamplerConfig c = plain().withTopP(topP).withTopK(topK).withMinP(minP);
            float[] got = new Sampler(c, v).probabilities(logits);
            boolean[] expected = naiveKeep(logits, topP, topK, minP);
            for (int i = 0; i < v; i++) {
                assertThat(got[i] > 0).as("trial %d id %d (top-p %s top-k %d min-p %s)", trial, i, topP, topK, minP)
                        .isEqualTo(expected[i]);
            }
        }
    }

    private static boolean[] naiveKeep(float[] logits, double topP, int topK, double minP) {
        int v = logits.length;
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        float[] p = new float[v];
        double sum = 0;
        for (int i = 0; i < v; i++) {
            p[i] = (float) Math.exp(logits[i] - (float) max);
            sum += p[i];
        }
        float top = 0;
        for (int i = 0; i < v; i++) {
            p[i] *= (float) (1.0 / sum);
            top = Math.max(top, p[i]);
        }
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < v; i++) {
            ids.add(i);
        }
        ids.sort(Comparator.comparingDouble((Integer i) -> -p[i]).thenComparingInt(i -> i));
        boolean[] keep = new boolean[v];
        double cum = 0;
        float cut = -1;
        for (int j = 0; j < v && topP < 1; j++) {
            cum += p[ids.get(j)];
            if (cum >= topP) {
                cut = p[ids.get(j)];
                break;
            }
        }
        for (int j = 0; j < v; j++) {
            int id = ids.get(j);
            boolean k = p[id] > 0 && p[id] >= minP * top;
            k &= topK <= 0 || topK >= v || j < topK;
            k &= topP >= 1 || cut < 0 || p[id] >= cut;
            keep[id] = k;
        }
        return keep;
    }

    private static int[] draw(Sampler s, float[] logits, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = s.sample(logits);
            s.accept(out[i]);
        }
        return out;
    }

    @Test
    void nanAndInfiniteLogitsNeverWin() {
        float inf = Float.POSITIVE_INFINITY;
        assertDistribution(new Sampler(plain(), 4).probabilities(new float[] {inf, 1f, inf, Float.NaN}), 0.5, 0, 0.5, 0);
        assertDistribution(new Sampler(plain(), 3).probabilities(new float[] {Float.NaN, 0f, 0f}), 0, 0.5, 0.5);
        assertThat(new Sampler(SamplerConfig.greedy(), 3).sample(new float[] {Float.NaN, -1f, 2f})).isEqualTo(2);
    }

    @Test
    void rejectsBadSettings() {
        assertThatThrownBy(() -> plain().withTemperature(-1)).hasMessageContaining("temperature must be");
        assertThatThrownBy(() -> plain().withTopP(1.5)).hasMessageContaining("top-p must be between 0 and 1");
        assertThatThrownBy(() -> plain().withTopK(-1)).hasMessageContaining("top-k must be >= 0");
        assertThatThrownBy(() -> plain().withMinP(2)).hasMessageContaining("min-p");
        assertThatThrownBy(() -> plain().withPenaltyDecay(1.5)).hasMessageContaining("penalty decay");
        assertThatThrownBy(() -> new Sampler(plain(), 4).sample(new float[3])).hasMessageContaining("logits have 3 values");
    }
}
