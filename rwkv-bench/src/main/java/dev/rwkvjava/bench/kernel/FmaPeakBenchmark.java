package dev.rwkvjava.bench.kernel;

import dev.rwkvjava.kernel.WorkerPool;
import dev.rwkvjava.kernel.panama.FmaPeak;

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
 * The machine's fused multiply-add peak with the Vector API's preferred species, on the worker pool the kernels
 * use: "gflops" is GFLOP/s, the ceiling for {@link MatMatBenchmark}'s figure.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsPrepend = {"--add-modules=jdk.incubator.vector"})
public class FmaPeakBenchmark {
    private static final int ITERATIONS = 1 << 20;

    @Param({"1", "2"})
    public int threads;

    private WorkerPool pool;
    private float[] sink;
    private WorkerPool.Task task;

    @Setup(Level.Trial)
    public void setUp() {
        pool = new WorkerPool(threads);
        sink = new float[threads * 16];
        task = (worker, workers) -> sink[worker * 16] += FmaPeak.run(ITERATIONS, worker);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    @Benchmark
    public float fma(Flops flops) {
        pool.run(task);
        flops.gflops += 1e-9 * FmaPeak.flopsPerIteration() * ITERATIONS * threads;
        return sink[0];
    }
}
