package dev.rwkvjava.bench.kernel;

import dev.rwkvjava.kernel.WorkerPool;
import dev.rwkvjava.kernel.panama.ReadBandwidth;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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
 * Memory read bandwidth as the Vector API sees it: a vector sum over a buffer much larger than the last-level
 * cache, on 1 or 2 threads (each sums its half). "gbytes" is GB/s; it is the ceiling for matVec.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsPrepend = {"--add-modules=jdk.incubator.vector", "-Xms1g", "-Xmx1g"})
public class ReadBandwidthBenchmark {
    @Param({"1024"})
    public long sizeMiB;

    @Param({"1", "2"})
    public int threads;

    private Arena arena;
    private MemorySegment buffer;
    private WorkerPool pool;
    private final float[] sums = new float[64];
    private WorkerPool.Task task;

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        buffer = arena.allocate(sizeMiB << 20, 64);
        buffer.fill((byte) 1);
        pool = new WorkerPool(threads);
        long blocks = buffer.byteSize() / ReadBandwidth.blockBytes();
        task = (worker, workers) -> {
            long from = blocks * worker / workers * ReadBandwidth.blockBytes();
            long to = blocks * (worker + 1) / workers * ReadBandwidth.blockBytes();
            sums[worker * 16] = ReadBandwidth.sum(buffer, from, to);
        };
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        arena.close();
    }

    @Benchmark
    public float sum(Traffic traffic) {
        pool.run(task);
        traffic.gbytes += buffer.byteSize() * 1e-9;
        return sums[0] + sums[16];
    }
}
