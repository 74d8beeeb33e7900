package dev.rwkvjava.bench.kernel;

import dev.rwkvjava.kernel.KernelProvider;
import dev.rwkvjava.kernel.Kernels;
import dev.rwkvjava.kernel.WorkerPool;
import dev.rwkvjava.kernel.panama.ReadBandwidth;
import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.Matrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * matVec GB/s as a fraction of read bandwidth, measured in alternating short rounds (bandwidth, matVec,
 * bandwidth, ...) so that both see the same background load; the median of the per-round ratios is robust on a
 * shared machine where JMH runs minutes apart see different neighbours. Complements {@link MatVecBenchmark}.
 *
 * <pre>java --add-modules=jdk.incubator.vector -cp rwkv-bench/target/benchmarks.jar \
 *     dev.rwkvjava.bench.kernel.PairedBandwidth [rounds] [threads,...] [dtype,...] [shape,...]</pre>
 */
public final class PairedBandwidth {
    private static final long FOOTPRINT_MIB = 1024;
    private static final long ROUND_NANOS = 250_000_000L;

    private PairedBandwidth() {
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        String[] threadList = (args.length > 1 ? args[1] : "1,2").split(",");
        String[] dtypes = (args.length > 2 ? args[2] : "BF16,F16,F32").split(",");
        String[] shapes = (args.length > 3 ? args[3] : "768x768,768x3072,3072x768,2048x2048,50277x768").split(",");
        Kernels k = KernelProvider.panama();
        System.out.println("kernels: " + k.name() + ", " + rounds + " rounds of " + ROUND_NANOS / 1_000_000
                + " ms each; weights rotate through " + FOOTPRINT_MIB + " MiB of copies");
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buffer = arena.allocate(FOOTPRINT_MIB << 20, 64);
            buffer.fill((byte) 1);
            for (String ts : threadList) {
                int threads = Integer.parseInt(ts);
                try (WorkerPool pool = new WorkerPool(threads)) {
                    for (String dt : dtypes) {
                        for (String shape : shapes) {
                            run(k, pool, buffer, DType.valueOf(dt), shape, rounds);
                        }
                    }
                }
            }
        }
    }

    private static void run(Kernels k, WorkerPool pool, MemorySegment buffer, DType dtype, String shape, int rounds) {
        int[] rc = BenchWeights.shape(shape);
        try (Arena arena = Arena.ofShared()) {
            Matrix[] copies = BenchWeights.copies(arena, dtype, rc[0], rc[1], FOOTPRINT_MIB);
            float[] x = BenchWeights.activations(rc[1], 1);
            float[] y = new float[rc[0]];
            Matrix[] current = new Matrix[1];
            WorkerPool.Task product = (worker, workers) -> k.matVec(current[0], x, 0, y, 0,
                    WorkerPool.splitStart(rc[0], worker, workers), WorkerPool.splitStart(rc[0], worker + 1, workers));
            long blocks = buffer.byteSize() / ReadBandwidth.blockBytes();
            float[] sink = new float[64];
            WorkerPool.Task read = (worker, workers) -> sink[worker * 16] = ReadBandwidth.sum(buffer,
                    blocks * worker / workers * ReadBandwidth.blockBytes(),
                    blocks * (worker + 1) / workers * ReadBandwidth.blockBytes());
            List<Double> bw = new ArrayList<>();
            List<Double> mv = new ArrayList<>();
            List<Double> ratio = new ArrayList<>();
            int next = 0;
            for (int round = -3; round < rounds; round++) {  // three rounds of warm-up
                long bytes = 0;
                long t0 = System.nanoTime();
                long t1;
                do {
                    pool.run(read);
                    bytes += buffer.byteSize();
                    t1 = System.nanoTime();
                } while (t1 - t0 < ROUND_NANOS);
                double readRate = bytes / (double) (t1 - t0);
                bytes = 0;
                t0 = System.nanoTime();
                do {
                    current[0] = copies[next];
                    next = next + 1 == copies.length ? 0 : next + 1;
                    pool.run(product);
                    bytes += current[0].byteSize();
                    t1 = System.nanoTime();
                } while (t1 - t0 < ROUND_NANOS);
                double matVecRate = bytes / (double) (t1 - t0);
                if (round >= 0) {
                    bw.add(readRate);
                    mv.add(matVecRate);
                    ratio.add(matVecRate / readRate);
                }
            }
            System.out.printf(Locale.ROOT, "%-5s %-10s threads %d: matVec %6.2f GB/s, read bandwidth %6.2f GB/s, "
                            + "ratio %5.1f %% (median of per-round ratios; IQR %5.1f-%5.1f %%)  [y0=%s]%n",
                    dtype, shape, pool.threads(), median(mv), median(bw), 100 * median(ratio),
                    100 * quantile(ratio, 0.25), 100 * quantile(ratio, 0.75), y[0] + sink[0]);
        }
    }

    private static double median(List<Double> v) {
        return quantile(v, 0.5);
    }

    private static double quantile(List<Double> v, double q) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        return s.get((int) Math.min(s.size() - 1, Math.round(q * (s.size() - 1))));
    }
}
