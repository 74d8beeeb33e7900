package dev.rwkvjava.model;

import dev.rwkvjava.RwkvVersion;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.state.State;
import dev.rwkvjava.testutil.Close;
import dev.rwkvjava.testutil.ModelFiles;
import dev.rwkvjava.testutil.ModelFiles.Tensor;
import dev.rwkvjava.testutil.TestData;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * RWKV 5.1 has no reference data, so it is held to 5.2, which has: a 5.1 file with per-head decay and bonus must
 * give exactly the logits and state of the 5.2 file with those values repeated over each head's channels, in
 * token and in sequence mode, with the bonus given as {@code time_faaaa} or as {@code time_first}.
 */
class V51EquivalenceTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "time_first = {0}")
    @ValueSource(booleans = {false, true})
    void equalsItsTwinIn52(boolean timeFirst) {
        List<Tensor> v52 = ModelFiles.read(TestData.file("models/tiny-rwkv-5v2-730K.f32.safetensors"));
        Path v51File = ModelFiles.write(dir.resolve("v51.safetensors"), V51Files.v51(v52, timeFirst));
        Path twinFile = ModelFiles.write(dir.resolve("twin52.safetensors"), V51Files.twin52(v52, timeFirst));
        int[] tokens = toInts("Hello, world!\nRWKV 5.1 has a gate.".getBytes(StandardCharsets.UTF_8));
        RwkvModel.Options options = RwkvModel.Options.defaults().withMaxChunk(16);
        try (RwkvModel v51 = RwkvModel.load(v51File, options); RwkvModel twin = RwkvModel.load(twinFile, options)) {
            assertThat(v51.info().version()).isEqualTo(RwkvVersion.V5_1);
            assertThat(twin.info().version()).isEqualTo(RwkvVersion.V5_2);
            State a = v51.newState();
            State b = twin.newState();
            for (int t = 0; t < tokens.length; t++) {
                Close.assertClose("token " + t, v51.forward(tokens[t], a), twin.forward(tokens[t], b), 0);
            }
            assertSameState(a, b);
            a.reset();
            b.reset();
            Close.assertClose("sequence mode", v51.forwardAll(tokens, a), twin.forwardAll(tokens, b), 0);
            assertSameState(a, b);
        }
    }

    private static void assertSameState(State a, State b) {
        assertThat(a.tensorCount()).isEqualTo(b.tensorCount());
        for (int i = 0; i < a.tensorCount(); i++) {
            Close.assertClose("state " + i, a.tensor(i), b.tensor(i), 0);
        }
    }

    private static int[] toInts(byte[] bytes) {
        int[] out = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = bytes[i] & 0xFF;
        }
        return out;
    }
}
