package dev.rwkvjava.state;

import dev.rwkvjava.ModelInfo;
import dev.rwkvjava.ModelFileException;
import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.io.TensorStore;
import dev.rwkvjava.RwkvVersion;
import dev.rwkvjava.tensor.WeightReader;

import java.nio.file.Path;

/**
 * State-tuned initial states: files of {@code blocks.N.att.time_state} tensors, shape [H, N, N], as RWKV state
 * tuning produces them. Each becomes the wkv matrix of layer N (state tensor 3N+1); the token-shift vectors stay
 * zero, as in ChatRWKV's demo.
 *
 * <p>Orientation: the training kernels (RWKV-LM {@code wkv6state}) keep the matrix as [head, value, key] (thread i
 * owns value channel i and reads {@code s[h][i][j]} for key j), and ChatRWKV's demo transposes the last two
 * dimensions when it loads one into a v6 model, whose state is [head, key, value]. RWKV-7's state is already
 * [head, value, key], so it is copied as is.
 */
final class TimeState {
    /** Prefix and suffix of the tensors of a state-tuning file. */
    public static final String PREFIX = "blocks.";
    public static final String SUFFIX = ".att.time_state";

    private TimeState() {
    }

    /** Whether a file holds state-tuning tensors. */
    public static boolean isTimeStateFile(TensorStore file) {
        return file.find(PREFIX + "0" + SUFFIX) != null;
    }

    /**
     * Writes the file's time_state tensors into the wkv matrices of {@code state} (a zero state of the model
     * described by {@code info}); every layer must have one.
     */
    public static void apply(TensorStore file, ModelInfo info, State state) {
        apply(file, info.version(), info.nLayer(), state);
    }

    static void apply(TensorStore file, RwkvVersion version, int layers, State state) {
        Path path = file.path();
        boolean transpose = switch (version) {
            case V5_0, V5_1, V5_2, V6_0 -> true;
            case V7, V7_DEEPEMBED -> false;
            case V4 -> throw new IllegalArgumentException(path + ": state-tuned initial states need a model whose "
                    + "state has a wkv matrix (RWKV 5, 6 or 7); this model is RWKV 4, whose state is per channel");
        };
        if (state.tensorCount() != 3 * layers) {
            throw new IllegalArgumentException(path + ": the model's state has " + state.tensorCount()
                    + " tensors, not 3 per layer for " + layers + " layers");
        }
        for (int layer = 0; layer < layers; layer++) {
            String name = PREFIX + layer + SUFFIX;
            TensorInfo t = file.find(name);
            if (t == null) {
                throw new ModelFileException(path, name, "missing: the model has " + layers
                        + " layers and a state-tuning file needs a time_state for each");
            }
            int index = 3 * layer + 1;
            int[] shape = state.tensorShape(index);
            if (shape.length != 3 || shape[1] != shape[2]) {
                throw new IllegalArgumentException(path + ": state tensor " + index + " of the model has shape "
                        + java.util.Arrays.toString(shape) + ", not a wkv matrix [H, N, N]");
            }
            if (!t.hasShape(shape[0], shape[1], shape[2])) {
                throw new ModelFileException(path, name, "shape " + t.shapeString() + " does not fit the model's wkv "
                        + "state " + java.util.Arrays.toString(shape) + " (a state tuned for another model?)");
            }
            if (!t.dtype().isWeightType()) {
                throw new ModelFileException(path, name, "dtype " + t.dtype() + " is not F32, F16 or BF16");
            }
            float[] v = WeightReader.toFloatArray(file.data(t), t.dtype());
            StateFile.requireFinite(path, name, v);
            state.setTensor(index, transpose ? transposeHeads(v, shape[0], shape[1]) : v);
        }
    }

    /** [H, N, N] with the last two dimensions swapped. */
    static float[] transposeHeads(float[] v, int heads, int n) {
        float[] out = new float[v.length];
        for (int h = 0; h < heads; h++) {
            int base = h * n * n;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    out[base + j * n + i] = v[base + i * n + j];
                }
            }
        }
        return out;
    }
}
