package dev.rwkvjava.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The registry of weight types and their geometry. */
class WeightTypeTest {

    @Test
    void everyWeightDTypeHasItsType() {
        for (DType d : DType.values()) {
            boolean weights = d == DType.F32 || d == DType.F16 || d == DType.BF16 || d.isBlockType();
            assertThat(d.isWeightType()).as(d.name()).isEqualTo(weights);
            if (weights) {
                WeightType t = WeightType.of(d);
                assertThat(t.dtype()).isEqualTo(d);
                assertThat(t.blockElements()).isEqualTo(d.blockElements());
                assertThat(t.blockBytes()).isEqualTo(d.blockBytes());
                assertThat(t instanceof BlockType).isEqualTo(d.isBlockType());
            }
        }
        assertThat(WeightType.all()).hasSize(11);
        assertThatThrownBy(() -> WeightType.of(DType.I32)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("I32").hasMessageContaining("Q8_0");
    }

    @Test
    void namedInAnyCase() {
        assertThat(WeightType.named("q8_0")).isSameAs(Q8_0Type.INSTANCE);
        assertThat(WeightType.named(" Q4_K ")).isSameAs(Q4_KType.INSTANCE);
        assertThat(WeightType.named("bf16")).isSameAs(BF16Type.INSTANCE);
        assertThatThrownBy(() -> WeightType.named("q3_k")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("q3_k").hasMessageContaining("q6_k");
    }

    @Test
    void rowBytesFromTheGeometry() {
        assertThat(WeightType.of(DType.F16).rowBytes(7)).isEqualTo(14);
        assertThat(WeightType.of(DType.Q8_0).rowBytes(64)).isEqualTo(68);
        assertThat(WeightType.of(DType.Q5_1).rowBytes(96)).isEqualTo(72);
        assertThat(WeightType.of(DType.Q6_K).rowBytes(512)).isEqualTo(420);
        assertThatThrownBy(() -> WeightType.of(DType.Q4_K).rowBytes(128)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("256");
        assertThatThrownBy(() -> WeightType.of(DType.Q4_0).rowBytes(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void matrixOfQuantizesRowByRow() {
        float[] values = new float[2 * 64];
        for (int i = 0; i < values.length; i++) {
            values[i] = (i % 7 - 3) * 0.25f;
        }
        Matrix m = Matrix.of("m", WeightType.of(DType.Q8_0), values, 2, 64);
        assertThat(m.byteSize()).isEqualTo(2 * 68);
        float[] row = new float[64];
        m.row(1, row, 0);
        for (int c = 0; c < 64; c++) {
            assertThat(row[c]).isCloseTo(values[64 + c], org.assertj.core.data.Offset.offset(0.75f / 127));
        }
        assertThatThrownBy(() -> Matrix.of("bad", WeightType.of(DType.Q8_0), new float[48], 1, 48))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("32");
    }
}
