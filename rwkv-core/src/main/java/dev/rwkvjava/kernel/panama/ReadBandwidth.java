package dev.rwkvjava.kernel.panama;

import static dev.rwkvjava.kernel.panama.PanamaConstants.BITS;
import static dev.rwkvjava.kernel.panama.PanamaConstants.F;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * The ceiling for the products: reads memory and does nothing else (a sum, so the loads cannot be dropped).
 * Benchmarks compare matVec's bytes per second with this. Not used by inference. Loads are at most 256 bits
 * wide, like the matVec loops: on some AVX-512 machines they stream faster than 512-bit loads, and a ceiling
 * measured with slower loads would overstate how close the products come to it.
 */
public final class ReadBandwidth {
    private static final VectorSpecies<Float> V = BITS > 256 ? FloatVector.SPECIES_256 : F;
    private static final int LANES = V.length();
    /** Floats per loop step: four vectors. */
    private static final int STEP = 4 * LANES;
    /** Bytes per call of chunkSum, which counts floats in an int. */
    private static final long CHUNK_BYTES = 1 << 20;

    private ReadBandwidth() {
    }

    /** Sum of the floats in data[from, to), to - from a multiple of {@link #blockBytes()}. */
    public static float sum(MemorySegment data, long from, long to) {
        float sum = 0;
        for (long base = from; base < to; base += CHUNK_BYTES) {
            sum += chunkSum(data, base, (int) (Math.min(CHUNK_BYTES, to - base) / 4));
        }
        return sum;
    }

    /**
     * n floats from byte {@code base}. A method of its own, called once per chunk: C2 compiles it after a few
     * thousand calls, where a loop over a whole buffer, entered a few times a second, would run for a long time
     * as on-stack-replaced code of the lower tiers.
     */
    private static float chunkSum(MemorySegment data, long base, int n) {
        FloatVector s0 = FloatVector.zero(V), s1 = FloatVector.zero(V), s2 = FloatVector.zero(V), s3 = FloatVector.zero(V);
        // Offsets as base + 4 * (i + k): C2 then drops the bounds checks from the loop.
        for (int i = 0; i < n; i += STEP) {
            s0 = s0.add(FloatVector.fromMemorySegment(V, data, base + 4L * i, ByteOrder.LITTLE_ENDIAN));
            s1 = s1.add(FloatVector.fromMemorySegment(V, data, base + 4L * (i + LANES), ByteOrder.LITTLE_ENDIAN));
            s2 = s2.add(FloatVector.fromMemorySegment(V, data, base + 4L * (i + 2 * LANES), ByteOrder.LITTLE_ENDIAN));
            s3 = s3.add(FloatVector.fromMemorySegment(V, data, base + 4L * (i + 3 * LANES), ByteOrder.LITTLE_ENDIAN));
        }
        return s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD);
    }

    /** Bytes that {@link #sum} consumes per loop step; ranges must be multiples of it. */
    public static int blockBytes() {
        return 4 * STEP;
    }
}
