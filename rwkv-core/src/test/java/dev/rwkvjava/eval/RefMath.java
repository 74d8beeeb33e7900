package dev.rwkvjava.eval;

import dev.rwkvjava.testutil.ReferenceCase;
import dev.rwkvjava.testutil.TestData;

import java.util.Arrays;

/**
 * The expected values, computed here from reference logits (the official implementation's), independently of the
 * code under test: log-softmax, argmax, KL divergence and the first-order error bounds that the data's logit
 * tolerance implies for them.
 */
final class RefMath {
    /** The data's logit tolerance (README section 8.5): every engine logit is within this of the reference. */
    static final double LOGIT_TOL = 1e-4;
    /** A log-softmax value moves by at most twice the largest logit move. */
    static final double LOG_PROB_TOL = 2 * LOGIT_TOL;

    private RefMath() {
    }

    static ReferenceCase reference(String folder, String caseName) {
        return ReferenceCase.read(TestData.file("reference/" + folder + "/" + caseName + ".safetensors"));
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
        double lse = max + Math.log(sum);
        double[] out = new double[row.length];
        for (int i = 0; i < row.length; i++) {
            out[i] = row[i] - lse;
        }
        return out;
    }

    /** The two largest values of a row: [index of the largest, margin to the second]. */
    static double[] top2(float[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) {
            if (row[i] > row[best]) {
                best = i;
            }
        }
        double second = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < row.length; i++) {
            if (i != best) {
                second = Math.max(second, row[i]);
            }
        }
        return new double[] {best, row[best] - second};
    }

    /**
     * Whether an engine within {@link #LOGIT_TOL} of this row must pick the same argmax: only when the reference's
     * top two are more than twice the tolerance apart.
     */
    static boolean argmaxIsDetermined(float[] row) {
        return top2(row)[1] > 2 * LOGIT_TOL;
    }

    static int argmax(float[] row) {
        return (int) top2(row)[0];
    }

    /** KL(p ‖ q) with p = softmax(base), q = softmax(model). */
    static double kl(float[] base, float[] model) {
        double[] lp = logSoftmax(base);
        double[] lq = logSoftmax(model);
        double s = 0;
        for (int i = 0; i < lp.length; i++) {
            s += Math.exp(lp[i]) * (lp[i] - lq[i]);
        }
        return s;
    }

    /**
     * How far KL(p ‖ q) can move when every logit of both rows moves by at most ε = {@link #LOGIT_TOL}: to first
     * order, |ΔKL| ≤ ε·(‖p − q‖₁ + 2·Σ p |ln p − ln q|) (the change of ln q weighs p − q, that of p weighs
     * ln p − ln q); the ε² term covers what the first order leaves out.
     */
    static double klBound(float[] base, float[] model) {
        double[] lp = logSoftmax(base);
        double[] lq = logSoftmax(model);
        double l1 = 0;
        double weighted = 0;
        for (int i = 0; i < lp.length; i++) {
            double p = Math.exp(lp[i]);
            l1 += Math.abs(p - Math.exp(lq[i]));
            weighted += p * Math.abs(lp[i] - lq[i]);
        }
        return LOGIT_TOL * (l1 + 2 * weighted) + 16 * LOGIT_TOL * LOGIT_TOL;
    }

    static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs((double) a[i] - b[i]));
        }
        return m;
    }

    /** numpy's default percentile: linear interpolation at rank q/100·(n − 1) of the sorted values. */
    static double percentile(double[] values, double q) {
        double[] s = values.clone();
        Arrays.sort(s);
        double rank = q / 100 * (s.length - 1);
        int lo = (int) Math.floor(rank);
        int hi = Math.min(lo + 1, s.length - 1);
        return s[lo] + (rank - lo) * (s[hi] - s[lo]);
    }
}
