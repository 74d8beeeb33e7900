package dev.rwkvjava.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The machine's memory read bandwidth as the kernels see it, measured in the running process: the pool's threads
 * each sum their share of a buffer far larger than the last-level cache with {@link Kernels#sumForBandwidth} (the
 * Vector API kernels read with several independent accumulators), and the bytes read per second is the ceiling
 * that decoding, which streams every weight once per token, can approach.
 */
public final class MemoryBandwidth {
    /** Granularity of the shares: a multiple of every kernel's read step. */
    public static final int GRAIN = 4096;
    private static final int TIMED_PASSES = 7;
    /** Untimed passes first, until the JIT has compiled the read loop: at least this many, and this long. */
    private static final int WARM_PASSES = 3;
    private static final long WARM_NANOS = 300_000_000L;

    private MemoryBandwidth() {
    }

    /**
     * Read bandwidth in GB/s (10⁹ bytes per second): the median of several passes over a buffer of {@code bytes}
     * bytes, each pass shared out among the pool's threads, after warm-up passes.
     *
     * @param bytes at least 64 MiB (smaller buffers would measure the caches)
     */
    public static double measure(Kernels kernels, WorkerPool pool, long bytes) {
        if (bytes < (64L << 20)) {
            throw new IllegalArgumentException("a bandwidth buffer of " + bytes + " bytes fits in caches; use 64 MiB or more");
        }
        long grains = bytes / GRAIN;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buffer = arena.allocate(grains * GRAIN, GRAIN);
            buffer.fill((byte) 1); // small normal floats: no subnormal arithmetic in the sums
            float[] sink = new float[pool.threads() * 16];
            WorkerPool.Task pass = (worker, workers) -> {
                long from = grains * worker / workers * GRAIN;
                long to = grains * (worker + 1) / workers * GRAIN;
                sink[worker * 16] += kernels.sumForBandwidth(buffer, from, to);
            };
            long warmStart = System.nanoTime();
            for (int i = 0; i < 20 && (i < WARM_PASSES || System.nanoTime() - warmStart < WARM_NANOS); i++) {
                pool.run(pass);
            }
            double[] gbps = new double[TIMED_PASSES];
            for (int i = 0; i < gbps.length; i++) {
                long t0 = System.nanoTime();
                pool.run(pass);
                gbps[i] = buffer.byteSize() / (double) (System.nanoTime() - t0);
            }
            if (Float.isNaN(sink[0])) {
                throw new IllegalStateException("unreachable: the sums keep the reads alive");
            }
            Arrays.sort(gbps);
            return gbps[gbps.length / 2];
        }
    }
}
