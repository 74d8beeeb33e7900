package dev.rwkvjava.kernel;

import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.Matrix;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Runs the Vector API products once on a fresh JVM (interpreted), then until compiled, then once more, and prints
 * {@code same} when every result has the same bits both times, or what differs; {@link KernelDeterminismTest} runs
 * it in a JVM of its own.
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
                float[] vec = new float[12];
                float[] mat = new float[n * 12];
                for (int i = 0; i < 20_000; i++) {
                    k.matVec(w, x, 0, vec, 0, 0, 12);
                    k.matMat(w, x, 0, cols, n, mat, 0, 12, 0, 12, scratch);
                }
                if (!Arrays.equals(vecCold, vec)) {
                    differ.append(" matVec ").append(dtype);
                }
                if (!Arrays.equals(matCold, mat)) {
                    differ.append(" matMat ").append(dtype);
                }
            }
        }
        float[] cold = reductions(k);
        float[] compiled = cold;
        for (int i = 0; i < 20_000; i++) {
            compiled = reductions(k);
        }
        for (int i = 0; i < cold.length; i++) {
            if (Float.floatToRawIntBits(cold[i]) != Float.floatToRawIntBits(compiled[i])) {
                differ.append(" ").append(REDUCTIONS[i]);
            }
        }
        System.out.println(differ.isEmpty() ? "same" : "differ:" + differ);
    }

    private static final String[] REDUCTIONS = {"dot", "layerNorm", "groupNorm", "wkv7 output", "wkv7 state"};

    /** One result of each element-wise kernel that sums across lanes, from the same seeded inputs every call. */
    private static float[] reductions(Kernels k) {
        SplittableRandom rnd = new SplittableRandom(9);
        int n = 771;
        float[] a = KernelTestSupport.uniform(rnd, n, -1, 1);
        float[] b = KernelTestSupport.uniform(rnd, n, -1, 1);
        float[] norm = new float[n];
        float[] out = new float[5];
        out[0] = k.dot(a, 0, b, 0, n);
        k.layerNorm(a, 0, b, a, 1e-5f, norm, 0, n);
        out[1] = norm[n / 2];
        int head = 64;
        k.groupNorm(a, 0, 3, b, a, 1e-5f, norm, 0, 3 * head);
        out[2] = norm[head + 7];
        float[] state = KernelTestSupport.uniform(rnd, head * head, -1, 1);
        float[] w = KernelTestSupport.uniform(rnd, head, 0.5f, 1);
        float[] y = new float[head];
        k.wkv7(state, 0, a, w, b, a, b, a, 0, y, 0, head);
        out[3] = y[head - 1];
        out[4] = state[head * head / 2 + 3];
        return out;
    }
}
