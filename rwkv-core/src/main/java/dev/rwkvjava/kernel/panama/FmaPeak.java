package dev.rwkvjava.kernel.panama;

import static dev.rwkvjava.kernel.panama.PanamaConstants.F;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The ceiling for prefill: fused multiply-adds on registers and nothing else. Twelve independent accumulators
 * cover the FMA latency (4-5 cycles) times the two FMA ports of current x86 cores, so the loop is bound by FMA
 * throughput alone. Benchmarks compare the matrix products' GFLOP/s with this. Not used by inference.
 */
public final class FmaPeak {
    private static final int ACCUMULATORS = 12;

    private FmaPeak() {
    }

    /** Floating-point operations that {@link #run} does per iteration (a multiply and an add per lane). */
    public static long flopsPerIteration() {
        return 2L * ACCUMULATORS * F.length();
    }

    /** {@code iterations} rounds of twelve vector FMAs; returns a sum of the accumulators so none is dropped. */
    public static float run(int iterations, float seed) {
        FloatVector m = FloatVector.broadcast(F, 0.999f);
        FloatVector c = FloatVector.broadcast(F, 1e-3f);
        FloatVector a0 = FloatVector.broadcast(F, seed), a1 = a0.add(1), a2 = a0.add(2), a3 = a0.add(3);
        FloatVector a4 = a0.add(4), a5 = a0.add(5), a6 = a0.add(6), a7 = a0.add(7);
        FloatVector a8 = a0.add(8), a9 = a0.add(9), a10 = a0.add(10), a11 = a0.add(11);
        for (int i = 0; i < iterations; i++) {
            a0 = a0.lanewise(VectorOperators.FMA, m, c);
            a1 = a1.lanewise(VectorOperators.FMA, m, c);
            a2 = a2.lanewise(VectorOperators.FMA, m, c);
            a3 = a3.lanewise(VectorOperators.FMA, m, c);
            a4 = a4.lanewise(VectorOperators.FMA, m, c);
            a5 = a5.lanewise(VectorOperators.FMA, m, c);
            a6 = a6.lanewise(VectorOperators.FMA, m, c);
            a7 = a7.lanewise(VectorOperators.FMA, m, c);
            a8 = a8.lanewise(VectorOperators.FMA, m, c);
            a9 = a9.lanewise(VectorOperators.FMA, m, c);
            a10 = a10.lanewise(VectorOperators.FMA, m, c);
            a11 = a11.lanewise(VectorOperators.FMA, m, c);
        }
        return a0.add(a1).add(a2.add(a3)).add(a4.add(a5).add(a6.add(a7))).add(a8.add(a9).add(a10.add(a11)))
                .reduceLanes(VectorOperators.ADD);
    }
}
