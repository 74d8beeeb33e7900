package dev.rwkvjava.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.junit.jupiter.api.Test;

class MatrixTest {

    @Test
    void nonFiniteHalvesFoundForEveryBitPatternAndPosition() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(2 * 9, 8);
            for (int bits = 0; bits < 65536; bits++) {
                // Lengths 1..9 halves: whole 8-byte words, a tail, or both; the pattern at every position in turn.
                int halves = 1 + bits % 9;
                int at = (bits / 9) % halves;
                data.fill((byte) 0);
                data.set(WeightReader.I16, 2L * at, (short) bits);
                boolean expected = !Float.isFinite(Float.float16ToFloat((short) bits));
                assertThat(WeightReader.hasNonFiniteF16(data.asSlice(0, 2L * halves)))
                        .as("half 0x%04X at %d of %d", bits, at, halves).isEqualTo(expected);
            }
        }
    }

    @Test
    void matrixAnswersForItsOwnType() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment halves = arena.allocate(2 * 12, 8);
            halves.set(WeightReader.I16, 2 * 7, (short) 0xFC00); // -infinity as F16
            assertThat(new Matrix("f16", halves, DType.F16, 3, 4).hasNonFiniteHalves()).isTrue();
            // The same bits as BF16 are a finite number, and F32 has no halves.
            assertThat(new Matrix("bf16", halves, DType.BF16, 3, 4).hasNonFiniteHalves()).isFalse();
            assertThat(new Matrix("f32", halves, DType.F32, 2, 3).hasNonFiniteHalves()).isFalse();

            MemorySegment finite = arena.allocate(2 * 12, 8);
            finite.set(WeightReader.I16, 0, (short) 0x7BFF); // largest finite half
            Matrix m = new Matrix("finite", finite, DType.F16, 4, 3);
            assertThat(m.hasNonFiniteHalves()).isFalse();
        }
    }
}
