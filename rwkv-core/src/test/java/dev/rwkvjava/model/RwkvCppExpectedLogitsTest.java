package dev.rwkvjava.model;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.state.State;
import dev.rwkvjava.testutil.Close;
import dev.rwkvjava.testutil.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * rwkv.cpp's own expected logits (256 little-endian float32 after feeding the bytes of {@code "in} one at a time),
 * an implementation independent of the reference (data README, sections 1 and 8.1).
 */
class RwkvCppExpectedLogitsTest {
    private static final int[] QUOTE_IN = {34, 105, 110};

    @Test
    void v6MatchesRwkvCpp() {
        Close.assertClose("6v0-1m vs rwkv.cpp", logits("6v0-1m"), expected("6v0-1m"), ReferenceParityTest.LOGIT_TOL);
    }

    /**
     * For RWKV-5, rwkv.cpp normalises ln_x with eps 1e-5 where the official implementation uses 64e-5; we follow
     * the official one, so our logits differ from rwkv.cpp's by about 1 (README 8.1: 1.31 and 1.09).
     */
    @ParameterizedTest
    @ValueSource(strings = {"5v1-730K", "5v2-730K"})
    void v5DiffersFromRwkvCppByItsGroupNormEps(String stem) {
        assertThat(Close.maxAbs(logits(stem), expected(stem))).as("5.x vs rwkv.cpp").isGreaterThan(0.5);
    }

    private static float[] logits(String stem) {
        try (RwkvModel m = RwkvModel.load(TestData.file("models/tiny-rwkv-" + stem + ".f32.safetensors"))) {
            State s = m.newState();
            float[] out = null;
            for (int token : QUOTE_IN) {
                out = m.forward(token, s);
            }
            return out;
        }
    }

    private static float[] expected(String stem) {
        try {
            byte[] bytes = Files.readAllBytes(TestData.file("reference/rwkv.cpp-expected/expected-logits-" + stem + ".bin"));
            float[] out = new float[bytes.length / 4];
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            assertThat(out).hasSize(256);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
