package dev.rwkvjava.kernel;

import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.Matrix;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Runs every Vector API kernel (the products for every weight type, and each element-wise kernel) once on a fresh
 * JVM (interpreted), then until compiled, then once more, and prints {@code same} when every result has the same bits
 * both times, or what differs; {@link KernelDeterminismTest} runs it in a JVM of its own.
 */
public final class KernelTierMain {
    private KernelTierMain() {
    }

    public static void main(String[] args) {
        Kernels k = KernelProvider.panama();
        StringBuilder differ = new StringBuilder();
        try (Arena arena = Arena.ofConfined()) {
            SplittableRandom rnd = new SplittableRandom(5);
            for (DType dtype : new DType[] {DType.F32, DType.F16, DType.BF16, DType.Q8_0, DType.Q4_0, DType.Q4_1, DType.Q5_0,
                DType.Q5_1, DType.Q4_K, DType.Q6_K}) {
                int cols = dtype.isBlockType() ? 768 : 771;
                Matrix w = KernelTestSupport.matrix(arena, rnd, dtype, 12, cols);
                int n = 7;
                float[] x = KernelTestSupport.uniform(rnd, n * cols, -1, 1);
                float[] scratch = new float[k.matMatScratchSize(cols)];
                float[] vecCold = new float[12];
                float[] matCold = new float[n * 12];
                k.matVec(w, x, 0, vecCold, 0, 0, 12);
                k.matMat(w, x, 0, cols, n, matCold, 0, 12, 0, 12, scratch);
                float[] rowCold = new float[cols];
                k.readRow(w, 5, rowCold, 0);
                float[] vec = new float[12];
                float[] mat = new float[n * 12];
                float[] row = new float[cols];
                for (int i = 0; i < 20_000; i++) {
                    k.matVec(w, x, 0, vec, 0, 0, 12);
                    k.matMat(w, x, 0, cols, n, mat, 0, 12, 0, 12, scratch);
                    k.readRow(w, i % 12, row, 0);
                }
                k.readRow(w, 5, row, 0);
                if (!Arrays.equals(rowCold, row)) {
                    differ.append(" readRow ").append(dtype);
                }
                if (!Arrays.equals(vecCold, vec)) {
                    differ.append(" matVec ").append(dtype);
                }
                if (!Arrays.equals(matCold, mat)) {
                    differ.append(" matMat ").append(dtype);
                }
            }
        }
        Map<String, float[]> cold = elementwise(k);
        Map<String, float[]> compiled = cold;
        for (int i = 0; i < 20_000; i++) {
            compiled = elementwise(k);
        }
        for (String op : cold.keySet()) {
            if (!sameBits(cold.get(op), compiled.get(op))) {
                differ.append(" ").append(op);
            }
        }
        System.out.println(differ.isEmpty() ? "same" : "differ:" + differ);
    }

    private static boolean sameBits(float[] a, float[] b) {
        if (a.length != b.length) {
            return false;
        }
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                return false;
            }
        }
        return true;
    }

    /**
     * The whole output of every kernel other than the products, from the same seeded inputs every call: 771
     * values (vector loops and a scalar tail at every width), activations over a range wide enough to reach their
     * limits, and the recurrences over a few steps.
     */
    private static Map<String, float[]> elementwise(Kernels k) {
        SplittableRandom rnd = new SplittableRandom(9);
        int n = 771;
        float[] a = KernelTestSupport.uniform(rnd, n, -1, 1);
        float[] b = KernelTestSupport.uniform(rnd, n, -1, 1);
        float[] t = KernelTestSupport.uniform(rnd, n, 0, 1);
        float[] wide = KernelTestSupport.uniform(rnd, n, -40, 40);
        wide[0] = -100;
        wide[1] = 100;
        wide[2] = 0;
        Map<String, float[]> out = new LinkedHashMap<>();
        out.put("dot", new float[] {k.dot(a, 0, b, 0, n)});
        float[] norm = new float[n];
        k.layerNorm(a, 0, b, a, 1e-5f, norm, 0, n);
        out.put("layerNorm", norm);
        int head = 64;
        float[] group = new float[3 * head];
        k.groupNorm(a, 0, 3, b, a, 1e-5f, group, 0, 3 * head);
        out.put("groupNorm", group);
        float[] y = new float[n];
        k.lerp(a, 0, b, 0, t, y, 0, n);
        out.put("lerp", y);
        y = new float[n];
        k.mul(a, 0, b, 0, y, 0, n);
        out.put("mul", y);
        y = new float[n];
        k.sub(a, 0, b, 0, y, 0, n);
        out.put("sub", y);
        y = a.clone();
        k.addInPlace(y, 0, b, 0, n);
        out.put("addInPlace", y);
        y = wide.clone();
        k.sigmoidInPlace(y, 0, n);
        out.put("sigmoid", y);
        y = wide.clone();
        k.reluSquareInPlace(y, 0, n);
        out.put("reluSquare", y);
        y = wide.clone();
        k.tanhInPlace(y, 0, n);
        out.put("tanh", y);
        y = wide.clone();
        k.siluInPlace(y, 0, n);
        out.put("silu", y);
        y = KernelTestSupport.uniform(rnd, n, -8, 3);
        k.expNegExpInPlace(y, 0, n);
        out.put("expNegExp", y);
        y = t.clone();
        k.expInPlace(y, 0, n, -0.606531f);
        out.put("exp", y);
        y = a.clone();
        k.l2Normalize(y, 0, n, 1e-12f);
        out.put("l2Normalize", y);
        // Recurrences: a few steps, so that the state carries earlier results into later ones.
        float[] u = KernelTestSupport.uniform(rnd, n, -1, 1);
        float[] logDecay = KernelTestSupport.uniform(rnd, n, -5, 0);
        float[] state4 = new float[3 * n];
        java.util.Arrays.fill(state4, 2 * n, 3 * n, -1e38f);
        float[] out4 = new float[n];
        float[] k4 = KernelTestSupport.uniform(rnd, 2 * n, -30, 30);
        float[] v4 = KernelTestSupport.uniform(rnd, 2 * n, -1, 1);
        for (int step = 0; step < 4; step++) {
            k.wkv4(k4, v4, step * n / 4, u, logDecay, state4, 0, n, 2 * n, out4, 0, n);
        }
        out.put("wkv4 output", out4);
        out.put("wkv4 state", state4);
        int heads = 3;
        int c = heads * head;
        float[] decay = KernelTestSupport.uniform(rnd, c, 0.5f, 1);
        float[] state5 = KernelTestSupport.uniform(rnd, heads * head * head, -1, 1);
        float[] out5 = new float[c];
        for (int step = 0; step < 3; step++) {
            k.wkv5(a, b, t, step, decay, 0, u, state5, 0, out5, 0, heads, head);
        }
        out.put("wkv5 output", out5);
        out.put("wkv5 state", state5);
        float[] state7 = KernelTestSupport.uniform(rnd, head * head, -1, 1);
        float[] w = KernelTestSupport.uniform(rnd, head + 3, 0.5f, 1);
        float[] out7 = new float[head];
        for (int step = 0; step < 3; step++) {
            k.wkv7(state7, 0, a, w, b, a, b, t, step, out7, 0, head);
        }
        out.put("wkv7 output", out7);
        out.put("wkv7 state", state7);
        return out;
    }
}
