package dev.rwkvjava.synthetic;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.RwkvVersion;
import dev.rwkvjava.tensor.DType;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Synthetic models follow their version's schema: the loader accepts them, and a seed gives the same file. */
class SyntheticModelsTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"v4-tiny", "v7-tiny"})
    void aSyntheticModelLoadsAsItsVersionAndIsReproducible(String name) throws IOException {
        SyntheticModels.Spec spec = SyntheticModels.spec(name);
        Path a = dir.resolve("a.safetensors");
        Path b = dir.resolve("b.safetensors");
        SyntheticModels.write(spec, DType.BF16, 7, a);
        SyntheticModels.write(spec, DType.BF16, 7, b);
        assertThat(Files.mismatch(a, b)).isEqualTo(-1);
        try (RwkvModel m = RwkvModel.load(a)) {
            assertThat(m.info().version()).isEqualTo(spec.version().equals("4") ? RwkvVersion.V4 : RwkvVersion.V7);
            assertThat(m.info().nEmbd()).isEqualTo(spec.nEmbd());
            assertThat(m.info().nLayer()).isEqualTo(spec.nLayer());
            assertThat(m.info().ffnSize()).isEqualTo(spec.ffn());
            float[] logits = m.forward(new int[] {1, 2, 3}, m.newState());
            for (float v : logits) {
                assertThat(v).isFinite();
            }
        }
    }
}
