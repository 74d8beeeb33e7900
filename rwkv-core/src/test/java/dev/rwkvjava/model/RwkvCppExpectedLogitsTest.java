package dev.rwkvjava.model;

import dev.rwkvjava.LoadMode;
import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.io.ModelFiles;
import dev.rwkvjava.io.TensorStore;
import dev.rwkvjava.kernel.Kernels;
import dev.rwkvjava.kernel.ScalarKernels;
import dev.rwkvjava.kernel.WorkerPool;
import dev.rwkvjava.model.v5.WkvHeads;
import dev.rwkvjava.state.State;
import dev.rwkvjava.testutil.Close;
import dev.rwkvjava.testutil.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
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
     * the official one, so our logits differ from rwkv.cpp's by about 1 (README 8.1: 1.31 and 1.09). The same pass
     * with rwkv.cpp's eps gives rwkv.cpp's logits (the data README's experiment with model.py: 3.5e-6 and 3.2e-6),
     * so that eps is the whole difference.
     */
    @ParameterizedTest
    @ValueSource(strings = {"5v1-730K", "5v2-730K"})
    void v5DiffersFromRwkvCppByItsGroupNormEpsAlone(String stem) {
        float[] expected = expected(stem);
        assertThat(Close.maxAbs(logits(stem), expected)).as("5.x vs rwkv.cpp").isGreaterThan(0.5);
        Close.assertClose(stem + " with ln_x eps 1e-5 vs rwkv.cpp", logitsWithLnXEps(stem, 1e-5f), expected,
                ReferenceParityTest.LOGIT_TOL);
    }

    /** {@link #logits} through a forward pass whose kernels normalise ln_x with {@code eps} instead. */
    private static float[] logitsWithLnXEps(String stem, float eps) {
        Kernels scalar = new ScalarKernels();
        Kernels kernels = (Kernels) Proxy.newProxyInstance(Kernels.class.getClassLoader(), new Class<?>[] {Kernels.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("groupNorm") && (float) args[5] == WkvHeads.LN_X_EPS) {
                        args[5] = eps;
                    }
                    try {
                        return method.invoke(scalar, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        ModelFiles files = ModelFiles.of(TestData.file("models/tiny-rwkv-" + stem + ".f32.safetensors"));
        try (TensorStore store = files.open(LoadMode.MAP); WorkerPool pool = new WorkerPool(1);
             ForwardPass pass = ModelLoader.build(new ModelTensors(store), files, kernels, pool, 16)) {
            float[] state = new float[pass.stateLayout().size()];
            pass.stateLayout().reset(state);
            float[] out = new float[pass.config().vocabSize()];
            for (int token : QUOTE_IN) {
                pass.forward(new int[] {token}, 0, 1, state, out, 0, false);
            }
            return out;
        }
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
