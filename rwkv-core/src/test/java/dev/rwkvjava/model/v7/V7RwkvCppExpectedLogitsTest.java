package dev.rwkvjava.model.v7;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.state.State;
import dev.rwkvjava.testutil.Close;
import dev.rwkvjava.testutil.TestData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;

/** rwkv.cpp's own expected logits for its tiny RWKV-7 model: 256 floats after feeding '"in' one byte at a time. */
class V7RwkvCppExpectedLogitsTest {

    @ParameterizedTest
    @ValueSource(strings = {"tiny-rwkv-7v0-834K.f32", "tiny-rwkv-7v0-834K.bf16"})
    void matchesRwkvCpp(String model) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(
                TestData.file("reference/rwkv.cpp-expected/expected-logits-7v0-834K.bin"))).order(ByteOrder.LITTLE_ENDIAN);
        float[] expected = new float[bytes.remaining() / 4];
        bytes.asFloatBuffer().get(expected);
        try (RwkvModel m = RwkvModel.load(TestData.file("models/" + model + ".safetensors"))) {
            State state = m.newState();
            float[] logits = null;
            for (int token : new int[] {34, 105, 110}) {
                logits = m.forward(token, state);
            }
            Close.assertClose(model + " logits after \"in", logits, expected, 1e-4);
        }
    }
}
