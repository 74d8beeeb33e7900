package dev.rwkvjava.bench.kernel;

import dev.rwkvjava.kernel.KernelProvider;
import dev.rwkvjava.kernel.Kernels;
import dev.rwkvjava.kernel.ScalarKernels;
import dev.rwkvjava.kernel.WorkerPool;
import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.Matrix;

import java.lang.foreign.Arena;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Matrix × T activation rows (prefill): "gflops" is GFLOP/s (2 · rows · cols · T per product). Compute-bound,
 * so one copy of the weights is enough.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsPrepend = {"--add-modules=jdk.incubator.vector", "-Xms1g", "-Xmx1g"})
public class MatMatBenchmark {
    /** Any weight type: F32, F16, BF16, Q8_0, Q4_0, ... */
    @Param({"BF16"})
    public DType dtype;

    @Param({"768x768", "3072x768"})
    public String shape;

    @Param({"64", "512"})
    public int tokens;

    @Param({"1", "2"})
    public int threads;

    @Param({"panama"})
    public String kernels;

    private Arena arena;
    private Matrix w;
    private Kernels k;
    private WorkerPool pool;
    private float[] x;
    private float[] y;
    private float[][] scratch;
    private WorkerPool.Task task;

    @Setup(Level.Trial)
    public void setUp() {
        int[] rc = BenchWeights.shape(shape);
        arena = Arena.ofShared();
        w = BenchWeights.copies(arena, dtype, rc[0], rc[1], 0)[0];
        k = kernels.equals("scalar") ? new ScalarKernels() : KernelProvider.panama();
        pool = new WorkerPool(threads);
        x = BenchWeights.activations(tokens * rc[1], 2);
        y = new float[tokens * rc[0]];
        scratch = new float[threads][k.matMatScratchSize(rc[1])];
        task = (worker, workers) -> k.matMat(w, x, 0, w.cols(), tokens, y, 0, w.rows(),
                WorkerPool.splitStart(w.rows(), worker, workers), WorkerPool.splitStart(w.rows(), worker + 1, workers),
                scratch[worker]);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        arena.close();
    }

    @Benchmark
    public float matMat(Flops flops) {
        pool.run(task);
        flops.gflops += 2e-9 * w.rows() * w.cols() * tokens;
        return y[0];
    }
}
