package dev.rwkvjava.kernel;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The read that the bandwidth measurement times reads every float of its range once, and the measurement runs. */
class MemoryBandwidthTest {

    @Test
    void sumsEveryFloatOfTheRangeOnce() {
        ValueLayout.OfFloat f = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        try (Arena arena = Arena.ofConfined()) {
            int n = 3 * MemoryBandwidth.GRAIN; // floats: small integers, so every order of the additions is exact
            MemorySegment data = arena.allocate(4L * n, 64);
            long expected = 0;
            for (int i = 0; i < n; i++) {
                data.setAtIndex(f, i, i % 7);
            }
            long from = MemoryBandwidth.GRAIN;
            long to = 3L * MemoryBandwidth.GRAIN;
            for (long i = from / 4; i < to / 4; i++) {
                expected += i % 7;
            }
            for (Kernels k : new Kernels[] {new ScalarKernels(), KernelProvider.get()}) {
                assertThat(k.sumForBandwidth(data, from, to)).as(k.name()).isEqualTo((float) expected);
            }
        }
    }

    @Test
    void measuresAPositiveRateAndRefusesCacheSizedBuffers() {
        try (WorkerPool pool = new WorkerPool(2)) {
            double gbps = MemoryBandwidth.measure(KernelProvider.get(), pool, 64L << 20);
            assertThat(gbps).isPositive().isLessThan(10_000);
            assertThatThrownBy(() -> MemoryBandwidth.measure(KernelProvider.get(), pool, 1 << 20))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("64 MiB");
        }
    }
}
