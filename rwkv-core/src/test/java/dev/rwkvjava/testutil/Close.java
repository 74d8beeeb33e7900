package dev.rwkvjava.testutil;

/** Max-abs comparisons that report where the worst difference is. */
public final class Close {
    private Close() {
    }

    /** Largest |a[i] - b[i]|; infinite when lengths differ or a value is not finite where the other is. */
    public static double maxAbs(float[] a, float[] b) {
        if (a.length != b.length) {
            return Double.POSITIVE_INFINITY;
        }
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs((double) a[i] - b[i]);
            if (Double.isNaN(d)) {
                return Double.POSITIVE_INFINITY;
            }
            m = Math.max(m, d);
        }
        return m;
    }

    /** Index of the largest difference. */
    public static int worst(float[] a, float[] b) {
        int w = 0;
        double m = -1;
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            double d = Math.abs((double) a[i] - b[i]);
            if (Double.isNaN(d) || d > m) {
                m = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
                w = i;
            }
        }
        return w;
    }

    /** Throws with the worst index and values when max-abs exceeds tol. */
    public static void assertClose(String what, float[] actual, float[] expected, double tol) {
        if (actual.length != expected.length) {
            throw new AssertionError(what + ": length " + actual.length + " != " + expected.length);
        }
        double m = maxAbs(actual, expected);
        if (!(m <= tol)) {
            int i = worst(actual, expected);
            throw new AssertionError(String.format("%s: max abs diff %.3g > %.3g at index %d (actual %s, expected %s)",
                    what, m, tol, i, actual[i], expected[i]));
        }
    }

    /** Largest |x|. */
    public static double maxMagnitude(float[] a) {
        double m = 0;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }
}
