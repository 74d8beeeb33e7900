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
 * Matrix × vector (decode) per weight type and shape, on 1 or 2 threads. The "gbytes" counter is GB/s of weights
 * read; compare it with {@link ReadBandwidthBenchmark}. With the default footprint the benchmark rotates through
 * copies of the matrix that together take 1 GiB, so weights come from DRAM as in a real model; pass
 * {@code -p footprintMiB=0} for one copy (cache-resident when it fits). {@code -p kernels=scalar} for the reference.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsPrepend = {"--add-modules=jdk.incubator.vector", "-Xms1g", "-Xmx1g"})
public class MatVecBenchmark {
    @Param({"BF16", "F16", "F32", "Q8_0", "Q4_0"})
    public DType dtype;

    /** rows x cols: the RWKV-4 169M projections (768 wide, 3072 FFN), a 1.5B-sized square, and the vocab head. */
    @Param({"768x768", "768x3072", "3072x768", "2048x2048", "50277x768"})
    public String shape;

    @Param({"1", "2"})
    public int threads;

    @Param({"panama"})
    public String kernels;

    @Param({"1024"})
    public long footprintMiB;

    private Arena arena;
    private Matrix[] copies;
    private Kernels k;
    private WorkerPool pool;
    private float[] x;
    private float[] y;
    private int next;
    private Matrix current;
    private WorkerPool.Task task;

    @Setup(Level.Trial)
    public void setUp() {
        int[] rc = BenchWeights.shape(shape);
        arena = Arena.ofShared();
        copies = BenchWeights.copies(arena, dtype, rc[0], rc[1], footprintMiB);
        k = kernels.equals("scalar") ? new ScalarKernels() : KernelProvider.panama();
        pool = new WorkerPool(threads);
        x = BenchWeights.activations(rc[1], 1);
        y = new float[rc[0]];
        // Allocated once: the benchmark measures the product, not lambda captures.
        task = (worker, workers) -> {
            Matrix m = current;
            k.matVec(m, x, 0, y, 0, WorkerPool.splitStart(m.rows(), worker, workers),
                    WorkerPool.splitStart(m.rows(), worker + 1, workers));
        };
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        arena.close();
    }

    @Benchmark
    public float matVec(Traffic traffic) {
        Matrix m = copies[next];
        next = next + 1 == copies.length ? 0 : next + 1;
        current = m;
        pool.run(task);
        traffic.gbytes += m.byteSize() * 1e-9;
        return y[0];
    }
}
