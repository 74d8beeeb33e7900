package dev.rwkvjava.kernel;

import java.util.Arrays;

/**
 * Plain-Java bodies of the {@link Kernels} default methods, written as simple loops over contiguous arrays that
 * the JIT can vectorise. An implementation may override any of them.
 */
final class KernelDefaults {
    private KernelDefaults() {
    }

    static void sub(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = a[aOff + i] - b[bOff + i];
        }
    }

    static void tanhInPlace(float[] x, int off, int n) {
        for (int i = off; i < off + n; i++) {
            x[i] = (float) Math.tanh(x[i]);
        }
    }

    static void siluInPlace(float[] x, int off, int n) {
        for (int i = off; i < off + n; i++) {
            float v = x[i];
            x[i] = v * (float) (1.0 / (1.0 + Math.exp(-v)));
        }
    }

    static void expNegExpInPlace(float[] x, int off, int n) {
        for (int i = off; i < off + n; i++) {
            x[i] = (float) Math.exp(-(float) Math.exp(x[i]));
        }
    }

    static void wkv5(float[] r, float[] k, float[] v, int rkvOff, float[] decay, int decayOff, float[] bonus,
                     float[] state, int stateOff, float[] out, int outOff, int heads, int headSize) {
        int n = headSize;
        for (int h = 0; h < heads; h++) {
            int ch = h * n;
            int o = outOff + ch;
            int vh = rkvOff + ch;
            Arrays.fill(out, o, o + n, 0f);
            for (int i = 0; i < n; i++) {
                float ri = r[rkvOff + ch + i];
                float ki = k[rkvOff + ch + i];
                float ui = bonus[ch + i];
                float wi = decay[decayOff + ch + i];
                int row = stateOff + (ch + i) * n;
                for (int j = 0; j < n; j++) {
                    float kv = ki * v[vh + j];
                    float s = state[row + j];
                    out[o + j] += ri * (ui * kv + s);
                    state[row + j] = kv + wi * s;
                }
            }
        }
    }
}
