package dev.rwkvjava.kernel;

import dev.rwkvjava.tensor.Matrix;

/** Plain-Java kernels: always available, and the reference the vector kernels are tested against. */
public final class ScalarKernels implements Kernels {

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void matVec(Matrix w, float[] x, int xOff, float[] y, int yOff, int rowStart, int rowEnd) {
        KernelChecks.matVec(w, x, xOff, y, yOff, rowStart, rowEnd);
        for (int r = rowStart; r < rowEnd; r++) {
            y[yOff + r] = rowDot(w, r, x, xOff);
        }
    }

    @Override
    public void matMat(Matrix w, float[] x, int xOff, int xStride, int n,
                       float[] y, int yOff, int yStride, int rowStart, int rowEnd, float[] scratch) {
        KernelChecks.rows(w, rowStart, rowEnd);
        int cols = w.cols();
        if (n <= 0) {
            return;
        }
        KernelChecks.matMat(w, x, xOff, xStride, n, y, yOff, yStride, rowStart, rowEnd, scratch);
        for (int r = rowStart; r < rowEnd; r++) {
            w.row(r, scratch, 0);
            for (int t = 0; t < n; t++) {
                y[yOff + t * yStride + r] = dot(scratch, 0, x, xOff + t * xStride, cols);
            }
        }
    }

    @Override
    public void readRow(Matrix w, int r, float[] out, int outOff) {
        KernelChecks.rows(w, r, r + 1);
        KernelChecks.range(out, outOff, w.cols(), "out");
        w.row(r, out, outOff);
    }

    private static float rowDot(Matrix w, int r, float[] x, int xOff) {
        return w.type().dot(w.data(), w.rowOffset(r), x, xOff, w.cols());
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += a[aOff + i] * b[bOff + i];
            s1 += a[aOff + i + 1] * b[bOff + i + 1];
            s2 += a[aOff + i + 2] * b[bOff + i + 2];
            s3 += a[aOff + i + 3] * b[bOff + i + 3];
        }
        for (; i < n; i++) {
            s0 += a[aOff + i] * b[bOff + i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    @Override
    public void layerNorm(float[] x, int xOff, float[] weight, float[] bias, float eps, float[] out, int outOff, int n) {
        float sum = 0;
        for (int i = 0; i < n; i++) {
            sum += x[xOff + i];
        }
        float mean = sum / n;
        float var = 0;
        for (int i = 0; i < n; i++) {
            float d = x[xOff + i] - mean;
            var += d * d;
        }
        float inv = (float) (1.0 / Math.sqrt(var / n + eps));
        for (int i = 0; i < n; i++) {
            out[outOff + i] = (x[xOff + i] - mean) * inv * weight[i] + bias[i];
        }
    }

    @Override
    public void groupNorm(float[] x, int xOff, int groups, float[] weight, float[] bias, float eps,
                          float[] out, int outOff, int n) {
        if (groups <= 0 || n % groups != 0) {
            throw new IllegalArgumentException("group norm: " + n + " values do not split into " + groups + " groups");
        }
        int g = n / groups;
        for (int h = 0; h < groups; h++) {
            int o = h * g;
            float sum = 0;
            for (int i = 0; i < g; i++) {
                sum += x[xOff + o + i];
            }
            float mean = sum / g;
            float var = 0;
            for (int i = 0; i < g; i++) {
                float d = x[xOff + o + i] - mean;
                var += d * d;
            }
            float inv = (float) (1.0 / Math.sqrt(var / g + eps));
            for (int i = 0; i < g; i++) {
                out[outOff + o + i] = (x[xOff + o + i] - mean) * inv * weight[o + i] + bias[o + i];
            }
        }
    }

    @Override
    public void lerp(float[] a, int aOff, float[] b, int bOff, float[] t, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            float av = a[aOff + i];
            out[outOff + i] = av + (b[bOff + i] - av) * t[i];
        }
    }

    @Override
    public void mul(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = a[aOff + i] * b[bOff + i];
        }
    }

    @Override
    public void addInPlace(float[] a, int aOff, float[] b, int bOff, int n) {
        for (int i = 0; i < n; i++) {
            a[aOff + i] += b[bOff + i];
        }
    }

    @Override
    public void sigmoidInPlace(float[] x, int off, int n) {
        for (int i = off; i < off + n; i++) {
            x[i] = (float) (1.0 / (1.0 + Math.exp(-x[i])));
        }
    }

    @Override
    public void reluSquareInPlace(float[] x, int off, int n) {
        for (int i = off; i < off + n; i++) {
            float v = Math.max(x[i], 0f);
            x[i] = v * v;
        }
    }

    @Override
    public void wkv4(float[] k, float[] v, int kvOff, float[] u, float[] w,
                     float[] state, int aaOff, int bbOff, int ppOff, float[] out, int outOff, int n) {
        wkv4Channels(k, v, kvOff, u, w, state, aaOff, bbOff, ppOff, out, outOff, 0, n);
    }

    /** {@link #wkv4} for channels [from, to): also the tail of the vector version. */
    public static void wkv4Channels(float[] k, float[] v, int kvOff, float[] u, float[] w, float[] state,
                                    int aaOff, int bbOff, int ppOff, float[] out, int outOff, int from, int to) {
        for (int i = from; i < to; i++) {
            float kk = k[kvOff + i];
            float vv = v[kvOff + i];
            float aa = state[aaOff + i];
            float bb = state[bbOff + i];
            float pp = state[ppOff + i];
            // Output: the current token enters with the bonus u.
            float ww = u[i] + kk;
            float p = Math.max(pp, ww);
            float e1 = (float) Math.exp(pp - p);
            float e2 = (float) Math.exp(ww - p);
            out[outOff + i] = (e1 * aa + e2 * vv) / (e1 * bb + e2);
            // State: decay the past by w, add the current token without the bonus.
            ww = w[i] + pp;
            p = Math.max(ww, kk);
            e1 = (float) Math.exp(ww - p);
            e2 = (float) Math.exp(kk - p);
            state[aaOff + i] = e1 * aa + e2 * vv;
            state[bbOff + i] = e1 * bb + e2;
            state[ppOff + i] = p;
        }
    }
}
