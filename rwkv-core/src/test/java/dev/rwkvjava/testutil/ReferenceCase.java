package dev.rwkvjava.testutil;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.io.SafetensorsFile;
import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.state.State;
import dev.rwkvjava.tensor.DType;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** One reference case file (tokens, logits rows, states) read fully into arrays. */
public record ReferenceCase(String name, Path file, int[] tokens, float[][] logits, int[] positions,
                            List<float[]> state, List<float[]> initState, Map<String, String> metadata,
                            float[][] logitsFp64) {

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public static ReferenceCase read(Path file) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            int[] tokens = ints(f, "tokens");
            if (tokens == null) {
                tokens = ints(f, "prompt");
            }
            float[][] logits = rows(f, "logits");
            int[] positions = ints(f, "positions");
            if (positions == null && logits != null) {
                positions = new int[logits.length];
                for (int i = 0; i < positions.length; i++) {
                    positions[i] = i;
                }
            }
            String n = file.getFileName().toString().replace(".safetensors", "");
            return new ReferenceCase(n, file, tokens, logits, positions, list(f, "state."), list(f, "init_state."),
                    f.metadata(), rows(f, "logits_fp64"));
        }
    }

    /**
     * Runs this case's tokens through {@code model} token by token and as one sequence, each from a fresh state, and
     * asserts both give the reference logits within {@code logitTol} and the reference state within
     * {@code stateTol} times the state's largest magnitude (at least 1). Returns the sequence run's logits [T, V].
     */
    public float[] assertReproducedBy(RwkvModel model, double logitTol, double stateTol) {
        State token = model.newState();
        float[][] rows = new float[tokens.length][];
        for (int t = 0; t < rows.length; t++) {
            rows[t] = model.forward(tokens[t], token);
        }
        State seq = model.newState();
        float[] all = model.forwardAll(tokens, seq);
        int v = model.vocabSize();
        for (int i = 0; i < positions.length; i++) {
            int pos = positions[i];
            Close.assertClose(name + " token row " + pos, rows[pos], logits[i], logitTol);
            Close.assertClose(name + " sequence row " + pos, Arrays.copyOfRange(all, pos * v, (pos + 1) * v), logits[i],
                    logitTol);
        }
        for (int i = 0; i < state.size(); i++) {
            float[] expected = state.get(i);
            double tol = stateTol * Math.max(1, Close.maxMagnitude(expected));
            Close.assertClose(name + " state " + i, token.tensor(i), expected, tol);
            Close.assertClose(name + " sequence state " + i, seq.tensor(i), expected, tol);
        }
        return all;
    }

    /** An I32 tensor flattened, or null. */
    public static int[] ints(SafetensorsFile f, String name) {
        TensorInfo t = f.find(name);
        if (t == null) {
            return null;
        }
        if (t.dtype() != DType.I32) {
            throw new AssertionError(name + " is " + t.dtype());
        }
        return f.data(t).toArray(I32);
    }

    /** An F32 tensor flattened, or null. */
    public static float[] floats(SafetensorsFile f, String name) {
        TensorInfo t = f.find(name);
        if (t == null) {
            return null;
        }
        if (t.dtype() != DType.F32) {
            throw new AssertionError(name + " is " + t.dtype());
        }
        return f.data(t).toArray(F32);
    }

    /** An F32 tensor [K, V] (or [V]) as rows, or null. */
    public static float[][] rows(SafetensorsFile f, String name) {
        TensorInfo t = f.find(name);
        if (t == null) {
            return null;
        }
        float[] flat = floats(f, name);
        int v = (int) t.dim(t.rank() - 1);
        float[][] out = new float[flat.length / v][v];
        for (int i = 0; i < out.length; i++) {
            System.arraycopy(flat, i * v, out[i], 0, v);
        }
        return out;
    }

    private static List<float[]> list(SafetensorsFile f, String prefix) {
        List<float[]> out = new ArrayList<>();
        for (int i = 0; ; i++) {
            float[] a = floats(f, prefix + i);
            if (a == null) {
                return out;
            }
            out.add(a);
        }
    }
}
