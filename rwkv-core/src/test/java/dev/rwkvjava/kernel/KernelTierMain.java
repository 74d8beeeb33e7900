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
            for (DType dtype : new DType[] {DType.F32, DType.F16, DType.BF16}) {
                Matrix w = KernelTestSupport.matrix(arena, rnd, dtype, 12, 771);
                int n = 7;
                float[] x = KernelTestSupport.uniform(rnd, n * 771, -1, 1);
                float[] scratch = new float[k.matMatScratchSize(771)];
                float[] vecCold = new float[12];
                float[] matCold = new float[n * 12];
                k.matVec(w, x, 0, vecCold, 0, 0, 12);
                k.matMat(w, x, 0, 771, n, matCold, 0, 12, 0, 12, scratch);
                float[] vec = new float[12];
                float[] mat = new float[n * 12];
                for (int i = 0; i < 20_000; i++) {
                    k.matVec(w, x, 0, vec, 0, 0, 12);
                    k.matMat(w, x, 0, 771, n, mat, 0, 12, 0, 12, scratch);
                }
                if (!Arrays.equals(vecCold, vec)) {
                    differ.append(" matVec ").append(dtype);
                }
                if (!Arrays.equals(matCold, mat)) {
                    differ.append(" matMat ").append(dtype);
                }
            }
        }
        System.out.println(differ.isEmpty() ? "same" : "differ:" + differ);
    }
}
