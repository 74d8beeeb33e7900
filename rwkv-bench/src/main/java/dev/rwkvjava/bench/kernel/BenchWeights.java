package dev.rwkvjava.bench.kernel;

import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.Matrix;
import dev.rwkvjava.tensor.WeightReader;

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
        long bytes = (long) rows * cols * dtype.bytes();
        int n = (int) Math.max(1, (footprintMiB << 20) / bytes);
        // One MiB of random values, tiled: filling a GiB element by element would dominate the setup time.
        MemorySegment pattern = arena.allocate(PATTERN_BYTES, 64);
        SplittableRandom rnd = new SplittableRandom(7);
        for (long i = 0; i < PATTERN_BYTES / dtype.bytes(); i++) {
            float v = (float) (rnd.nextGaussian() * 0.02);
            switch (dtype) {
                case F32 -> pattern.set(WeightReader.F32, 4 * i, v);
                case F16 -> pattern.set(WeightReader.I16, 2 * i, Float.floatToFloat16(v));
                case BF16 -> pattern.set(WeightReader.I16, 2 * i, WeightReader.floatToBf16(v));
                default -> throw new IllegalArgumentException(dtype.toString());
            }
        }
        Matrix[] out = new Matrix[n];
        for (int c = 0; c < n; c++) {
            MemorySegment seg = arena.allocate(bytes, 64);
            for (long o = 0; o < bytes; o += PATTERN_BYTES) {
                MemorySegment.copy(pattern, 0, seg, o, Math.min(PATTERN_BYTES, bytes - o));
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
