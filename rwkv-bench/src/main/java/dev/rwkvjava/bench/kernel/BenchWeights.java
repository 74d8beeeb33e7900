package dev.rwkvjava.bench.kernel;

import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.Matrix;
import dev.rwkvjava.tensor.WeightType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/** Off-heap weight matrices for the benchmarks, with enough copies to push the working set out of the caches. */
final class BenchWeights {
    private static final long PATTERN_BYTES = 1 << 20;

    private BenchWeights() {
    }

    /** Parses "rows x cols", e.g. "50277x768". */
    static int[] shape(String shape) {
        String[] parts = shape.split("x");
        return new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1])};
    }

    /**
     * Enough copies of a rows × cols matrix to fill {@code footprintMiB} (at least one), with values like trained
     * weights (small, centred on zero). Rotating through them makes every product read its weights from DRAM,
     * as decode does for any model larger than the last-level cache.
     */
    static Matrix[] copies(Arena arena, DType dtype, int rows, int cols, long footprintMiB) {
        WeightType type = WeightType.of(dtype);
        long bytes = rows * type.rowBytes(cols);
        int n = (int) Math.max(1, (footprintMiB << 20) / bytes);
        // One MiB of random values (whole blocks), tiled: filling a GiB value by value would dominate the setup
        // time. A row starts at a multiple of the block size, so the tiles keep the block boundaries.
        MemorySegment pattern = arena.allocate(PATTERN_BYTES, 64);
        SplittableRandom rnd = new SplittableRandom(7);
        long blocks = PATTERN_BYTES / type.blockBytes();
        float[] values = new float[type.blockElements()];
        for (long b = 0; b < blocks; b++) {
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) (rnd.nextGaussian() * 0.02);
            }
            type.encode(values, 0, values.length, pattern, b * type.blockBytes());
        }
        long tile = blocks * type.blockBytes();
        Matrix[] out = new Matrix[n];
        for (int c = 0; c < n; c++) {
            MemorySegment seg = arena.allocate(bytes, 64);
            for (long o = 0; o < bytes; o += tile) {
                MemorySegment.copy(pattern, 0, seg, o, Math.min(tile, bytes - o));
            }
            out[c] = new Matrix("w" + c, seg, dtype, rows, cols);
        }
        return out;
    }

    static float[] activations(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }
}
