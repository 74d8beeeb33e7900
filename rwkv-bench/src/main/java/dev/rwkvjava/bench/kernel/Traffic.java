package dev.rwkvjava.bench.kernel;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Bytes read, as a secondary result next to ops/s: JMH divides the counter by the measured time, so "gbytes"
 * comes out in GB/s.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class Traffic {
    public double gbytes;

    @Setup(Level.Iteration)
    public void reset() {
        gbytes = 0;
    }
}
