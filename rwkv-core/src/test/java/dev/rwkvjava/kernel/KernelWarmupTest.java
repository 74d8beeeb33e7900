package dev.rwkvjava.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.synthetic.SyntheticModels;
import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.Matrix;
import dev.rwkvjava.tensor.WeightType;

import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The background kernel warm-up: what it runs on, that it finishes and stops, and that it writes nothing shared. The
 * rounds run on the scalar kernels: the warm-up's logic does not depend on them, and Vector API kernels run here
 * would leave their JIT profiles to the tests that share this JVM (KernelAllocationTest is sensitive to those).
 */
class KernelWarmupTest {
    @TempDir
    Path dir;

    @Test
    void oneMatrixPerWeightTypeAndRowLengthTheLargest() {
        Matrix a = Matrix.ofFloats("a", new float[4 * 8], 4, 8);
        Matrix b = Matrix.ofFloats("b", new float[6 * 8], 6, 8);
        Matrix c = Matrix.ofFloats("c", new float[2 * 16], 2, 16);
        Matrix d = Matrix.of("d", WeightType.of(DType.BF16), new float[3 * 8], 3, 8);
        Matrix e = Matrix.ofFloats("e", new float[5 * 8], 5, 8);
        assertThat(KernelWarmup.representatives(List.of(a, b, c, d, e))).containsExactly(b, c, d);
    }

    @Test
    void runsEveryRoundAndLeavesTheWeightsAsTheyWere() throws Exception {
        List<Matrix> matrices = new ArrayList<>();
        matrices.add(Matrix.of("bf16", WeightType.of(DType.BF16), random(20 * 72, 1), 20, 72));
        matrices.add(Matrix.ofFloats("f32", random(3 * 40, 2), 3, 40));
        matrices.add(Matrix.of("q8_0", WeightType.of(DType.Q8_0), random(9 * 64, 3), 9, 64));
        List<byte[]> before = matrices.stream().map(m -> m.data().toArray(ValueLayout.JAVA_BYTE)).toList();
        KernelWarmup w = KernelWarmup.start(new ScalarKernels(), matrices);
        assertThat(w.await(300_000)).isTrue();
        assertThat(w.roundsDone()).isEqualTo(2 * KernelWarmup.ROUNDS);
        w.close();
        for (int i = 0; i < matrices.size(); i++) {
            assertThat(matrices.get(i).data().toArray(ValueLayout.JAVA_BYTE)).isEqualTo(before.get(i));
        }
    }

    @Test
    void closeStopsItAtOnce() throws Exception {
        Matrix big = Matrix.ofFloats("big", random(64 * 4096, 4), 64, 4096);
        KernelWarmup w = KernelWarmup.start(new ScalarKernels(), List.of(big));
        w.close();
        assertThat(w.await(1)).isTrue();
        assertThat(w.roundsDone()).isLessThan(2 * KernelWarmup.ROUNDS);
    }

    @Test
    void aModelClosedAtOnceStopsItsWarmup() throws Exception {
        Path file = dir.resolve("v4-tiny.bf16.safetensors");
        SyntheticModels.write(SyntheticModels.spec("v4-tiny"), DType.BF16, 3, file);
        RwkvModel m = RwkvModel.load(file, RwkvModel.Options.defaults().withWarmUp(true));
        m.close();
        assertThat(warmupThreads()).isZero();
        try (RwkvModel off = RwkvModel.load(file, RwkvModel.Options.defaults().withWarmUp(false))) {
            assertThat(warmupThreads()).isZero();
        }
    }

    /** Live warm-up threads (tests in this class run one at a time). */
    private static long warmupThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("rwkv-kernel-warmup") && t.isAlive()).count();
    }

    private static float[] random(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (2 * rnd.nextDouble() - 1);
        }
        return a;
    }
}
