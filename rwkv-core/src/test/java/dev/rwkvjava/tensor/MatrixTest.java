package dev.rwkvjava.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class MatrixTest {
    private static final short ONE = 0x3C00;

    @Test
    void everyHalfPatternFoundAtEveryPosition() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(2 * 9, 8);
            for (int bits = 0; bits < 65536; bits++) {
                // Rows of 1..9 halves: whole 8-byte words, a tail, or both; the pattern at every position in turn,
                // among ordinary halves.
                int halves = 1 + bits % 9;
                int at = (bits / 9) % halves;
                for (int i = 0; i < halves; i++) {
                    data.set(WeightReader.I16, 2L * i, i == at ? (short) bits : ONE);
                }
                Matrix m = new Matrix("row", data.asSlice(0, 2L * halves), DType.F16, 1, halves);
                int exponent = (bits >>> 10) & 0x1F;
                String what = String.format("half 0x%04X at %d of %d", bits, at, halves);
                assertThat(F16Type.hasNonFiniteHalves(m)).as(what).isEqualTo(exponent == 0x1F);
                assertThat(entries(F16Type.zeroExponentHalves(m), 0)).as(what)
                        .isEqualTo(exponent == 0 ? List.of(entry(at, (short) bits)) : List.of());
            }
        }
    }

    @Test
    void zeroExponentHalvesListedRowByRow() {
        short[] kinds = {0, (short) 0x8000, 0x0001, (short) 0x83FF, ONE, (short) 0xBC00, 0x0400, 0x7BFF};
        try (Arena arena = Arena.ofConfined()) {
            for (int cols : new int[] {1, 3, 4, 5, 8, 13, 67}) {
                int rows = 11;
                SplittableRandom rnd = new SplittableRandom(cols);
                MemorySegment data = arena.allocate(2L * rows * cols, 8);
                List<List<String>> expected = new ArrayList<>();
                for (int r = 0; r < rows; r++) {
                    List<String> row = new ArrayList<>();
                    for (int c = 0; c < cols; c++) {
                        short h = kinds[rnd.nextInt(kinds.length)];
                        data.set(WeightReader.I16, 2L * (r * cols + c), h);
                        if ((h & 0x7C00) == 0) {
                            row.add(entry(c, h));
                        }
                    }
                    expected.add(row);
                }
                SparseHalves listed = F16Type.zeroExponentHalves(new Matrix("m", data, DType.F16, rows, cols));
                for (int r = 0; r < rows; r++) {
                    assertThat(entries(listed, r)).as("row %d of %d columns", r, cols).isEqualTo(expected.get(r));
                }
                assertThat(listed.count()).isEqualTo(expected.stream().mapToInt(List::size).sum());
            }
        }
    }

    @Test
    void tooManyZeroExponentHalvesAreNotListed() {
        try (Arena arena = Arena.ofConfined()) {
            int rows = 64;
            int cols = 1024;
            MemorySegment data = arena.allocate(2L * rows * cols, 8);
            for (long i = 0; i < (long) rows * cols; i++) {
                data.set(WeightReader.I16, 2 * i, ONE);
            }
            // One in sixteen is the most that is listed: 4096 zeros here.
            for (int i = 0; i < rows * cols / 16; i++) {
                data.set(WeightReader.I16, 2L * 16 * i, (short) 0);
            }
            assertThat(F16Type.zeroExponentHalves(new Matrix("at the limit", data, DType.F16, rows, cols)).count())
                    .isEqualTo(4096);
            data.set(WeightReader.I16, 2L * 1, (short) 0x0001);
            assertThat(F16Type.zeroExponentHalves(new Matrix("past the limit", data, DType.F16, rows, cols))).isNull();
            assertThat(F16Type.hasNonFiniteHalves(new Matrix("past the limit", data, DType.F16, rows, cols))).isFalse();
            data.set(WeightReader.I16, 2L * (rows * cols - 1), (short) 0x7E00);
            assertThat(F16Type.hasNonFiniteHalves(new Matrix("NaN at the end", data, DType.F16, rows, cols))).isTrue();
        }
    }

    @Test
    void matrixAnswersForItsOwnType() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment halves = arena.allocate(2 * 12, 8);
            halves.set(WeightReader.I16, 2 * 7, (short) 0xFC00); // -infinity as F16
            assertThat(F16Type.hasNonFiniteHalves(new Matrix("f16", halves, DType.F16, 3, 4))).isTrue();
            // The same bits as BF16 are a finite number, and F32 has no halves.
            assertThat(F16Type.hasNonFiniteHalves(new Matrix("bf16", halves, DType.BF16, 3, 4))).isFalse();
            assertThat(F16Type.hasNonFiniteHalves(new Matrix("f32", halves, DType.F32, 2, 3))).isFalse();
            assertThatThrownBy(() -> F16Type.zeroExponentHalves(new Matrix("bf16", halves, DType.BF16, 3, 4)))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("bf16").hasMessageContaining("BF16");

            MemorySegment finite = arena.allocate(2 * 12, 8);
            finite.set(WeightReader.I16, 0, (short) 0x7BFF); // largest finite half
            Matrix m = new Matrix("finite", finite, DType.F16, 4, 3);
            assertThat(F16Type.hasNonFiniteHalves(m)).isFalse();
        }
    }

    private static List<String> entries(SparseHalves p, int row) {
        List<String> entries = new ArrayList<>();
        for (int i = p.start(row); i < p.end(row); i++) {
            entries.add(entry(p.col(i), p.bits(i)));
        }
        return entries;
    }

    private static String entry(int col, short bits) {
        return String.format("column %d: 0x%04X", col, bits & 0xFFFF);
    }
}
