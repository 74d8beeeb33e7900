package dev.rwkvjava.convert;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.tensor.DType;

import java.util.Collection;

/**
 * The check a conversion passes before its file takes the output's name: the written model and the input give the
 * same logits for a few tokens. "The same" is exact up to summation order ({@link #EXACT} of the logits' scale) when
 * every value was written unchanged; when values were rounded to a narrower type or quantized, the logits may move by
 * the type's error, bounded here by a share of the logits' scale per type (the scale being the largest |logit|, at
 * least 1). The bounds sit well above what rounding does to a model and well below what a misplaced, transposed or
 * mis-ordered tensor does, which moves logits by about their whole scale: the check catches a broken conversion, it
 * does not measure quality.
 */
final class LogitCheck {
    /** Relative bound when no value changed: room for nothing but summation order. */
    static final double EXACT = 1e-5;

    /** The outcome: largest |logit difference|, the bound it was held to, the tokens fed. */
    record Outcome(double maxDifference, double allowed, int[] tokens, boolean passed) {
    }

    private LogitCheck() {
    }

    /** Token ids spread over the vocabulary, the same for every run (id 0, end of text, left out). */
    static int[] tokens(int vocab, int n) {
        int[] ids = new int[n];
        for (int k = 0; k < n; k++) {
            ids[k] = (int) (((k + 1) * 0x9E3779B97F4A7C15L >>> 33) % (vocab - 1)) + 1;
        }
        return ids;
    }

    /**
     * The relative bound for a file whose changed values (rounded or quantized) are of the given types: the loosest
     * of them, or {@link #EXACT} when none changed.
     */
    static double bound(Collection<DType> changed) {
        double b = EXACT;
        for (DType t : changed) {
            b = Math.max(b, switch (t) {
                case F32 -> 1e-3; // values computed into a stored form (exp(-exp(w)) and the like), rounded anew
                case F16 -> 0.02;
                case BF16 -> 0.05;
                case Q8_0, Q6_K -> 0.1;
                case Q5_0, Q5_1, Q5_K -> 0.2;
                default -> 0.4;
            });
        }
        return b;
    }

    /** Feeds the tokens through both models (one sequence call each) and compares every row of logits. */
    static Outcome run(RwkvModel source, RwkvModel written, int[] tokens, double relativeBound) {
        float[] a = source.forwardAll(tokens, source.newState());
        float[] b = written.forwardAll(tokens, written.newState());
        if (a.length != b.length) {
            return new Outcome(Double.POSITIVE_INFINITY, 0, tokens, false);
        }
        double scale = 1;
        double max = 0;
        boolean finite = true;
        for (int i = 0; i < a.length; i++) {
            scale = Math.max(scale, Math.abs(a[i]));
            finite &= Float.isFinite(b[i]) || !Float.isFinite(a[i]);
            max = Math.max(max, Math.abs((double) a[i] - b[i]));
        }
        double allowed = relativeBound * scale;
        return new Outcome(finite ? max : Double.POSITIVE_INFINITY, allowed, tokens, finite && max <= allowed);
    }
}
