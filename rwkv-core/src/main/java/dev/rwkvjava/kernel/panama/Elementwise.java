package dev.rwkvjava.kernel.panama;

import dev.rwkvjava.kernel.ScalarKernels;

import static dev.rwkvjava.kernel.panama.PanamaConstants.F;
import static dev.rwkvjava.kernel.panama.PanamaConstants.LANES;
import static dev.rwkvjava.kernel.panama.PanamaConstants.fma;
import static dev.rwkvjava.kernel.panama.PanamaConstants.sumF;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The vector-sized operations between the products: norms, mixes, activations and the RWKV-4 WKV step. Each is
 * a vector loop over {@code F.loopBound(n)} and a scalar tail, so any n works.
 */
final class Elementwise {
    private Elementwise() {
    }

    static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F), s2 = FloatVector.zero(F), s3 = FloatVector.zero(F);
        int i = 0;
        // Four independent accumulators: FMA latency is several cycles, and most cores retire two per cycle.
        for (int bound4 = n - n % (4 * LANES); i < bound4; i += 4 * LANES) {
            s0 = fma(FloatVector.fromArray(F, a, aOff + i), FloatVector.fromArray(F, b, bOff + i), s0);
            s1 = fma(FloatVector.fromArray(F, a, aOff + i + LANES), FloatVector.fromArray(F, b, bOff + i + LANES), s1);
            s2 = fma(FloatVector.fromArray(F, a, aOff + i + 2 * LANES), FloatVector.fromArray(F, b, bOff + i + 2 * LANES), s2);
            s3 = fma(FloatVector.fromArray(F, a, aOff + i + 3 * LANES), FloatVector.fromArray(F, b, bOff + i + 3 * LANES), s3);
        }
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            s0 = fma(FloatVector.fromArray(F, a, aOff + i), FloatVector.fromArray(F, b, bOff + i), s0);
        }
        float s = sumF(s0.add(s1).add(s2.add(s3)));
        for (; i < n; i++) {
            s += a[aOff + i] * b[bOff + i];
        }
        return s;
    }

    static float sum(float[] x, int off, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            acc = acc.add(FloatVector.fromArray(F, x, off + i));
        }
        float s = sumF(acc);
        for (; i < n; i++) {
            s += x[off + i];
        }
        return s;
    }

    /** Σ (x - mean)², the second pass of a two-pass variance (stable where E[x²] - mean² is not). */
    static float squaredDeviations(float[] x, int off, int n, float mean) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            FloatVector d = FloatVector.fromArray(F, x, off + i).sub(mean);
            acc = fma(d, d, acc);
        }
        float s = sumF(acc);
        for (; i < n; i++) {
            float d = x[off + i] - mean;
            s += d * d;
        }
        return s;
    }

    /** out = (x - mean) · inv · weight + bias, with weight and bias read from wOff. */
    static void normalize(float[] x, int xOff, float mean, float inv, float[] weight, float[] bias, int wOff,
                          float[] out, int outOff, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            FloatVector v = FloatVector.fromArray(F, x, xOff + i).sub(mean).mul(inv);
            fma(v, FloatVector.fromArray(F, weight, wOff + i), FloatVector.fromArray(F, bias, wOff + i))
                    .intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = (x[xOff + i] - mean) * inv * weight[wOff + i] + bias[wOff + i];
        }
    }

    static void layerNorm(float[] x, int xOff, float[] weight, float[] bias, float eps, float[] out, int outOff, int n) {
        normalizeGroup(x, xOff, weight, bias, 0, eps, out, outOff, n);
    }

    static void groupNorm(float[] x, int xOff, int groups, float[] weight, float[] bias, float eps,
                          float[] out, int outOff, int n) {
        if (groups <= 0 || n % groups != 0) {
            throw new IllegalArgumentException("group norm: " + n + " values do not split into " + groups + " groups");
        }
        int g = n / groups;
        for (int h = 0; h < groups; h++) {
            normalizeGroup(x, xOff + h * g, weight, bias, h * g, eps, out, outOff + h * g, g);
        }
    }

    private static void normalizeGroup(float[] x, int xOff, float[] weight, float[] bias, int wOff, float eps,
                                       float[] out, int outOff, int n) {
        float mean = sum(x, xOff, n) / n;
        float var = squaredDeviations(x, xOff, n, mean) / n;
        float inv = (float) (1.0 / Math.sqrt(var + eps));
        normalize(x, xOff, mean, inv, weight, bias, wOff, out, outOff, n);
    }

    static void lerp(float[] a, int aOff, float[] b, int bOff, float[] t, float[] out, int outOff, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            FloatVector av = FloatVector.fromArray(F, a, aOff + i);
            FloatVector d = FloatVector.fromArray(F, b, bOff + i).sub(av);
            fma(d, FloatVector.fromArray(F, t, i), av).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            float av = a[aOff + i];
            out[outOff + i] = av + (b[bOff + i] - av) * t[i];
        }
    }

    static void mul(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            FloatVector.fromArray(F, a, aOff + i).mul(FloatVector.fromArray(F, b, bOff + i)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = a[aOff + i] * b[bOff + i];
        }
    }

    static void addInPlace(float[] a, int aOff, float[] b, int bOff, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            FloatVector.fromArray(F, a, aOff + i).add(FloatVector.fromArray(F, b, bOff + i)).intoArray(a, aOff + i);
        }
        for (; i < n; i++) {
            a[aOff + i] += b[bOff + i];
        }
    }

    static void sigmoidInPlace(float[] x, int off, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            FloatVector v = FloatVector.fromArray(F, x, off + i);
            // exp(-x) overflows to +Inf for x < -88, and 1 / (1 + Inf) = 0 is the right limit.
            FloatVector.broadcast(F, 1f).div(v.neg().lanewise(VectorOperators.EXP).add(1f)).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] = (float) (1.0 / (1.0 + Math.exp(-x[off + i])));
        }
    }

    static void reluSquareInPlace(float[] x, int off, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            FloatVector v = FloatVector.fromArray(F, x, off + i).max(0f);
            v.mul(v).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            float v = Math.max(x[off + i], 0f);
            x[off + i] = v * v;
        }
    }

    /** See {@code Kernels.wkv4}: the same arithmetic, LANES channels at a time. */
    static void wkv4(float[] k, float[] v, int kvOff, float[] u, float[] w,
                     float[] state, int aaOff, int bbOff, int ppOff, float[] out, int outOff, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            FloatVector kk = FloatVector.fromArray(F, k, kvOff + i);
            FloatVector vv = FloatVector.fromArray(F, v, kvOff + i);
            FloatVector aa = FloatVector.fromArray(F, state, aaOff + i);
            FloatVector bb = FloatVector.fromArray(F, state, bbOff + i);
            FloatVector pp = FloatVector.fromArray(F, state, ppOff + i);
            // Output: the current token enters with the bonus u.
            FloatVector ww = FloatVector.fromArray(F, u, i).add(kk);
            FloatVector p = pp.max(ww);
            FloatVector e1 = pp.sub(p).lanewise(VectorOperators.EXP);
            FloatVector e2 = ww.sub(p).lanewise(VectorOperators.EXP);
            fma(e1, aa, e2.mul(vv)).div(fma(e1, bb, e2)).intoArray(out, outOff + i);
            // State: decay the past by w, add the current token without the bonus.
            ww = FloatVector.fromArray(F, w, i).add(pp);
            p = ww.max(kk);
            e1 = ww.sub(p).lanewise(VectorOperators.EXP);
            e2 = kk.sub(p).lanewise(VectorOperators.EXP);
            fma(e1, aa, e2.mul(vv)).intoArray(state, aaOff + i);
            fma(e1, bb, e2).intoArray(state, bbOff + i);
            p.intoArray(state, ppOff + i);
        }
        ScalarKernels.wkv4Channels(k, v, kvOff, u, w, state, aaOff, bbOff, ppOff, out, outOff, i, n);
    }
}
