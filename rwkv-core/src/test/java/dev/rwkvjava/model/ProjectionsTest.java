package dev.rwkvjava.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rwkvjava.kernel.KernelProvider;
import dev.rwkvjava.kernel.Kernels;
import dev.rwkvjava.kernel.WorkerPool;
import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.Matrix;
import dev.rwkvjava.testutil.TestMatrices;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A batch run on the pool, its rows cut into blocks that the workers take in turn, gives every row exactly the
 * result of one product over all rows on the calling thread, in token mode and sequence mode alike.
 */
class ProjectionsTest {
    private static final int[][] SHAPES = {{768, 256}, {1001, 128}, {16, 3000}, {3072, 64}, {4, 2048}};

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void poolResultsEqualOneThreadBitForBit(int threads) {
        Kernels kernels = KernelProvider.get();
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(threads)) {
            SplittableRandom rnd = new SplittableRandom(threads);
            for (DType dtype : new DType[] {DType.F32, DType.F16, DType.BF16}) {
                Matrix[] w = new Matrix[SHAPES.length];
                for (int j = 0; j < w.length; j++) {
                    w[j] = TestMatrices.of(arena, dtype, SHAPES[j][0], SHAPES[j][1], () -> rnd.nextGaussian() * 0.05);
                }
                for (int n : new int[] {1, 5}) {
                    Projections batch = new Projections(kernels, pool, 3000);
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
                        assertThat(y[j]).as("%s %dx%d, %d tokens, %d threads", dtype, w[j].rows(), w[j].cols(), n,
                                threads).containsExactly(expected);
                    }
                }
            }
        }
    }
}
