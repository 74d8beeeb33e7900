package dev.rwkvjava.kernel.panama;

import static dev.rwkvjava.kernel.panama.PanamaConstants.F;
import static dev.rwkvjava.kernel.panama.PanamaConstants.LANES;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * The ceiling for the products: reads memory at full vector width and does nothing else (a sum, so the loads
 * cannot be dropped). Benchmarks compare matVec's bytes per second with this. Not used by inference.
 */
public final class ReadBandwidth {
    private static final int STEP = 4 * LANES;

    private ReadBandwidth() {
    }

    /** Sum of the floats in data[from, to), to - from a multiple of 4 × the vector size in bytes. */
    public static float sum(MemorySegment data, long from, long to) {
        FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F), s2 = FloatVector.zero(F), s3 = FloatVector.zero(F);
        long step = 4L * STEP;
        long bytes = 4L * LANES;
        for (long o = from; o < to; o += step) {
            s0 = s0.add(FloatVector.fromMemorySegment(F, data, o, ByteOrder.LITTLE_ENDIAN));
            s1 = s1.add(FloatVector.fromMemorySegment(F, data, o + bytes, ByteOrder.LITTLE_ENDIAN));
            s2 = s2.add(FloatVector.fromMemorySegment(F, data, o + 2 * bytes, ByteOrder.LITTLE_ENDIAN));
            s3 = s3.add(FloatVector.fromMemorySegment(F, data, o + 3 * bytes, ByteOrder.LITTLE_ENDIAN));
        }
        return s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD);
    }

    /** Bytes that {@link #sum} consumes per loop step; ranges must be multiples of it. */
    public static int blockBytes() {
        return 4 * STEP;
    }
}
