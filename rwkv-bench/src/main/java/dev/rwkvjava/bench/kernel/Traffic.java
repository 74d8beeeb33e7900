package dev.rwkvjava.bench.kernel;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Secondary results next to ops/s: JMH divides these counters by the measured time, so "gbytes" comes out in
 * GB/s of weights read and "gflops" in GFLOP/s.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class Traffic {
    public double gbytes;
    public double gflops;

    @Setup(Level.Iteration)
    public void reset() {
        gbytes = 0;
        gflops = 0;
    }
}
