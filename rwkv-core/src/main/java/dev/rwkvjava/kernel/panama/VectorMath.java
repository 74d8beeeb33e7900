package dev.rwkvjava.kernel.panama;

import static dev.rwkvjava.kernel.panama.PanamaConstants.F;
import static dev.rwkvjava.kernel.panama.PanamaConstants.LANES;
import static dev.rwkvjava.kernel.panama.PanamaConstants.fma;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Transcendental functions on float vectors built from lane-wise adds, multiplies, fused multiply-adds and integer
 * bit operations only, in a fixed order. {@code VectorOperators.EXP} is not used: the compiled code calls a vector
 * math library and the code that runs before compilation calls {@code Math.exp} per lane, and the two differ in the
 * last bit, so a model's output would depend on how warm the JVM is. Every operation used here is exactly rounded
 * (IEEE 754) in every JIT tier, so these functions give the same bits interpreted and compiled.
 */
final class VectorMath {
    private VectorMath() {
    }

    private static final float LOG2_E = 1.44269504088896341f;
    /** ln 2 split in two: the high part has few significant bits, so n · LN2_HI is exact for |n| < 2^9. */
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** 1.5 · 2^23: adding it rounds a float of magnitude below 2^22 to an integer, held in the low mantissa bits. */
    private static final float ROUNDER = 12582912f;
    private static final int ROUNDER_BITS = 0x4B400000;
    /**
     * Arguments are clamped to this range, where 2^n (n = round(x / ln 2), -150 to 129) splits into two normal
     * powers of two; beyond it exp is 0 or +Inf already in float, and the clamped argument gives just that.
     */
    private static final float MIN_ARG = -104f;
    private static final float MAX_ARG = 89f;
    // 1/k! for k = 7 .. 2: the Taylor series of exp(r) for |r| <= ln 2 / 2, whose remainder (below 1e-8 relative)
    // is far under half a float ulp.
    private static final float C7 = 1f / 5040;
    private static final float C6 = 1f / 720;
    private static final float C5 = 1f / 120;
    private static final float C4 = 1f / 24;
    private static final float C3 = 1f / 6;
    private static final float C2 = 0.5f;

    /**
     * {@code x = exp(scale · x)} over the whole vectors of {@code [off, off + n)}, each within about one ulp of the
     * exact value over the whole float range (subnormal results included): exp(0) = 1, -Inf and large negative
     * arguments give 0, +Inf and large positive ones +Inf, NaN stays NaN. Returns how many elements it did
     * ({@code F.loopBound(n)}); the caller does the rest.
     *
     * <p>A loop of its own, with the exponential written out in it: a helper taking and returning vectors would be
     * inlined or not at C2's discretion (see {@link MatVec}), and a vector crossing a call that is not inlined is
     * boxed.
     */
    static int expInPlace(float[] x, int off, int n, float scale) {
        int bound = F.loopBound(n);
        for (int i = 0; i < bound; i += LANES) {
            // Math.min/max semantics: a NaN lane stays NaN and makes the result NaN.
            FloatVector xc = FloatVector.fromArray(F, x, off + i).mul(scale).max(MIN_ARG).min(MAX_ARG);
            // n = round(x / ln 2), and r = x - n ln 2 in [-ln 2 / 2, ln 2 / 2] (a little wider without FMA).
            FloatVector t = fma(xc, FloatVector.broadcast(F, LOG2_E), FloatVector.broadcast(F, ROUNDER));
            FloatVector k = t.sub(ROUNDER);
            FloatVector r = fma(k, FloatVector.broadcast(F, -LN2_HI), xc);
            r = fma(k, FloatVector.broadcast(F, -LN2_LO), r);
            // e^r = 1 + r(1 + r(1/2 + r(1/6 + ...))), Horner's order.
            FloatVector p = fma(FloatVector.broadcast(F, C7), r, FloatVector.broadcast(F, C6));
            p = fma(p, r, FloatVector.broadcast(F, C5));
            p = fma(p, r, FloatVector.broadcast(F, C4));
            p = fma(p, r, FloatVector.broadcast(F, C3));
            p = fma(p, r, FloatVector.broadcast(F, C2));
            p = fma(p, r, FloatVector.broadcast(F, 1f));
            p = fma(p, r, FloatVector.broadcast(F, 1f));
            // 2^n as 2^n1 · 2^n2, each a normal float built from its exponent bits: the product then overflows to
            // +Inf or rounds to a subnormal exactly as e^x does.
            IntVector ni = t.reinterpretAsInts().sub(ROUNDER_BITS);
            IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1);
            IntVector n2 = ni.sub(n1);
            FloatVector s1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector s2 = n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            p.mul(s1).mul(s2).intoArray(x, off + i);
        }
        return bound;
    }

    /** exp of every element of x into out (the same length), for tests: the vector code only, on padded copies. */
    static void exp(float[] x, float[] out) {
        float[] padded = java.util.Arrays.copyOf(x, (x.length + LANES - 1) / LANES * LANES);
        expInPlace(padded, 0, padded.length, 1f);
        System.arraycopy(padded, 0, out, 0, x.length);
    }
}
