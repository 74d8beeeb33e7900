package dev.rwkvjava.kernel.panama;

import dev.rwkvjava.kernel.ScalarKernels;

import static dev.rwkvjava.kernel.panama.PanamaConstants.F;
import static dev.rwkvjava.kernel.panama.PanamaConstants.LANES;
import static dev.rwkvjava.kernel.panama.PanamaConstants.fma;
import static dev.rwkvjava.kernel.panama.PanamaConstants.sumF;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

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
        // exp(-x) first, over the whole vectors; it overflows to +Inf for x < -89, and 1 / (1 + Inf) = 0 is the
        // right limit.
        int i = VectorMath.expInPlace(x, off, n, -1f);
        FloatVector one = FloatVector.broadcast(F, 1f);
        for (int j = 0; j < i; j += LANES) {
            one.div(FloatVector.fromArray(F, x, off + j).add(one)).intoArray(x, off + j);
        }
        for (; i < n; i++) {
            x[off + i] = (float) (1.0 / (1.0 + Math.exp(-x[off + i])));
        }
    }

    /** x = exp(scale · x): the vector exp over whole vectors, Math.exp for the rest. */
    static void expInPlace(float[] x, int off, int n, float scale) {
        for (int i = VectorMath.expInPlace(x, off, n, scale); i < n; i++) {
            x[off + i] = (float) Math.exp(scale * x[off + i]);
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

    /** Per-thread scratch of wkv4 (the state update's exponentials), grown on demand. */
    private static final ThreadLocal<float[][]> WKV4_SCRATCH = ThreadLocal.withInitial(() -> new float[1][0]);

    /**
     * See {@code Kernels.wkv4}: the same arithmetic, LANES channels at a time. Of the two exponentials of each
     * half step, the one of the larger exponent is exp(0) = 1 and the other is exp(-|difference|): the differences
     * go into {@code out} (the output's) and a scratch array (the state's), {@link VectorMath#expInPlace} turns
     * them into exponentials, and two more loops finish the output and the state.
     */
    static void wkv4(float[] k, float[] v, int kvOff, float[] u, float[] w,
                     float[] state, int aaOff, int bbOff, int ppOff, float[] out, int outOff, int n) {
        int bound = F.loopBound(n);
        float[][] holder = WKV4_SCRATCH.get();
        if (holder[0].length < bound) {
            holder[0] = new float[bound];
        }
        float[] stateExp = holder[0];
        wkv4Differences(k, kvOff, u, w, state, ppOff, out, outOff, stateExp, bound);
        VectorMath.expInPlace(out, outOff, bound, 1f);
        VectorMath.expInPlace(stateExp, 0, bound, 1f);
        wkv4Output(k, v, kvOff, u, state, aaOff, bbOff, ppOff, out, outOff, bound);
        wkv4State(k, v, kvOff, w, state, aaOff, bbOff, ppOff, stateExp, bound);
        ScalarKernels.wkv4Channels(k, v, kvOff, u, w, state, aaOff, bbOff, ppOff, out, outOff, bound, n);
    }

    /** -|pp - (u + k)| into out, -|(w + pp) - k| into stateExp. */
    private static void wkv4Differences(float[] k, int kvOff, float[] u, float[] w, float[] state, int ppOff,
                                        float[] out, int outOff, float[] stateExp, int bound) {
        for (int i = 0; i < bound; i += LANES) {
            FloatVector kk = FloatVector.fromArray(F, k, kvOff + i);
            FloatVector pp = FloatVector.fromArray(F, state, ppOff + i);
            pp.sub(FloatVector.fromArray(F, u, i).add(kk)).abs().neg().intoArray(out, outOff + i);
            FloatVector.fromArray(F, w, i).add(pp).sub(kk).abs().neg().intoArray(stateExp, i);
        }
    }

    /** The output, with out holding exp(-|pp - ww|): the current token enters with the bonus u. */
    private static void wkv4Output(float[] k, float[] v, int kvOff, float[] u, float[] state, int aaOff, int bbOff,
                                   int ppOff, float[] out, int outOff, int bound) {
        FloatVector one = FloatVector.broadcast(F, 1f);
        for (int i = 0; i < bound; i += LANES) {
            FloatVector pp = FloatVector.fromArray(F, state, ppOff + i);
            FloatVector ww = FloatVector.fromArray(F, u, i).add(FloatVector.fromArray(F, k, kvOff + i));
            // e1 = exp(pp - max(pp, ww)), e2 = exp(ww - max(pp, ww))
            VectorMask<Float> ppSmaller = pp.lt(ww);
            FloatVector e = FloatVector.fromArray(F, out, outOff + i);
            FloatVector e1 = one.blend(e, ppSmaller);
            FloatVector e2 = e.blend(one, ppSmaller);
            FloatVector aa = FloatVector.fromArray(F, state, aaOff + i);
            FloatVector bb = FloatVector.fromArray(F, state, bbOff + i);
            FloatVector vv = FloatVector.fromArray(F, v, kvOff + i);
            fma(e1, aa, e2.mul(vv)).div(fma(e1, bb, e2)).intoArray(out, outOff + i);
        }
    }

    /** The state, with stateExp holding exp(-|ww - k|): decay the past by w, add the current token without the bonus. */
    private static void wkv4State(float[] k, float[] v, int kvOff, float[] w, float[] state, int aaOff, int bbOff,
                                  int ppOff, float[] stateExp, int bound) {
        FloatVector one = FloatVector.broadcast(F, 1f);
        for (int i = 0; i < bound; i += LANES) {
            FloatVector kk = FloatVector.fromArray(F, k, kvOff + i);
            FloatVector ww = FloatVector.fromArray(F, w, i).add(FloatVector.fromArray(F, state, ppOff + i));
            // e1 = exp(ww - max(ww, kk)), e2 = exp(kk - max(ww, kk))
            VectorMask<Float> wwSmaller = ww.lt(kk);
            FloatVector e = FloatVector.fromArray(F, stateExp, i);
            FloatVector e1 = one.blend(e, wwSmaller);
            FloatVector e2 = e.blend(one, wwSmaller);
            FloatVector vv = FloatVector.fromArray(F, v, kvOff + i);
            fma(e1, FloatVector.fromArray(F, state, aaOff + i), e2.mul(vv)).intoArray(state, aaOff + i);
            fma(e1, FloatVector.fromArray(F, state, bbOff + i), e2).intoArray(state, bbOff + i);
            ww.max(kk).intoArray(state, ppOff + i);
        }
    }
}
