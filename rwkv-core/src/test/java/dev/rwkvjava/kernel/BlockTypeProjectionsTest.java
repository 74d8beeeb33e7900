package dev.rwkvjava.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rwkvjava.model.Projections;
import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.Matrix;
import dev.rwkvjava.testutil.TestMatrices;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Block-type weights on the worker pool: a batch cut into row blocks across threads gives every row the bits of
 * one product over all rows on the calling thread, in token mode and sequence mode (as ProjectionsTest shows for
 * the float types).
 */
class BlockTypeProjectionsTest {
    private static final int[][] SHAPES = {{768, 256}, {1001, 512}, {16, 4096}, {3072, 256}};

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void poolResultsEqualOneThreadBitForBit(DType dtype) {
        Kernels kernels = KernelProvider.get();
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(2)) {
            SplittableRandom rnd = new SplittableRandom(dtype.ordinal());
            Matrix[] w = new Matrix[SHAPES.length];
            for (int j = 0; j < w.length; j++) {
                w[j] = TestMatrices.of(arena, dtype, SHAPES[j][0], SHAPES[j][1], () -> rnd.nextGaussian() * 0.05);
            }
            for (int n : new int[] {1, 5}) {
                Projections batch = new Projections(kernels, pool, 4096);
                float[][] x = new float[w.length][];
                float[][] y = new float[w.length][];
                for (int j = 0; j < w.length; j++) {
                    x[j] = new float[n * w[j].cols()];
                    for (int i = 0; i < x[j].length; i++) {
                        x[j][i] = (float) rnd.nextGaussian();
                    }
                    y[j] = new float[n * w[j].rows()];
                    Arrays.fill(y[j], Float.NaN);
                    batch.add(w[j], x[j], y[j]);
                }
                batch.run(n);
                for (int j = 0; j < w.length; j++) {
                    float[] expected = new float[n * w[j].rows()];
                    if (n == 1) {
                        kernels.matVec(w[j], x[j], 0, expected, 0, 0, w[j].rows());
                    } else {
                        kernels.matMat(w[j], x[j], 0, w[j].cols(), n, expected, 0, w[j].rows(), 0, w[j].rows(),
                                new float[kernels.matMatScratchSize(w[j].cols())]);
                    }
                    assertThat(y[j]).as("%s %dx%d, %d tokens", dtype, w[j].rows(), w[j].cols(), n)
                            .containsExactly(expected);
                }
            }
        }
    }
}
