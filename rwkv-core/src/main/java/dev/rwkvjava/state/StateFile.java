package dev.rwkvjava.state;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.ModelFileException;
import dev.rwkvjava.io.SafetensorsFile;
import dev.rwkvjava.io.SafetensorsWriter;
import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.WeightReader;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Recurrent states saved as safetensors files: tensors {@code state.0 … state.N-1} (F32, in the reference
 * implementation's layout and shapes, see {@link State#tensor}), optionally {@code logits} [V] (the output after the
 * last consumed token, so generation can go on without feeding anything), and string metadata: {@code format},
 * {@code format_version}, the model's {@link ModelFingerprint}, and {@code tokens} (tokens consumed since the zero
 * state). Callers may add their own metadata keys.
 *
 * <p>{@link #load} also accepts state-tuning files ({@code blocks.N.att.time_state}, see {@link TimeState}).
 */
public final class StateFile {
    /** The {@code format} metadata entry of a saved state. */
    public static final String FORMAT = "rwkv-java-state";
    /** The {@code format_version} metadata entry of a saved state written by this version. */
    public static final int FORMAT_VERSION = 1;
    /** The name of the tensor holding the saved logits. */
    public static final String LOGITS = "logits";

    private StateFile() {
    }

    /** What {@link #load} found. */
    public enum Kind {
        /** A state saved by {@link #save}. */
        SAVED,
        /** A state-tuned initial state. */
        TIME_STATE
    }

    /**
     * A loaded state.
     *
     * @param kind     a saved state or a state-tuned initial state
     * @param state    the state
     * @param logits   the saved logits, or null when the file has none (feed a token before sampling)
     * @param metadata all metadata of the file
     */
    public record Loaded(Kind kind, State state, float[] logits, Map<String, String> metadata) {
    }

    /**
     * Saves a state of {@code model}.
     *
     * @param file   the file to write
     * @param model  the model the state belongs to (its fingerprint goes into the file)
     * @param state  the state
     * @param logits the logits after its last token, or null when not known
     * @param extra  entries added to the file's metadata
     */
    public static void save(Path file, RwkvModel model, State state, float[] logits, Map<String, String> extra) {
        Objects.requireNonNull(file, "file");
        State check = model.newState();
        check.checkCompatible(state);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("format_version", Integer.toString(FORMAT_VERSION));
        meta.put("tokens", Long.toString(state.tokens()));
        meta.put("state_layout", state.layout().toString());
        ModelFingerprint.of(model).putInto(meta);
        meta.put("model.file", String.valueOf(model.info().path().getFileName()));
        if (extra != null) {
            extra.forEach((k, v) -> {
                if (meta.containsKey(k)) {
                    throw new IllegalArgumentException("metadata key '" + k + "' is reserved by the state file format");
                }
                meta.put(k, v);
            });
        }
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        for (int i = 0; i < state.tensorCount(); i++) {
            int idx = i;
            entries.add(SafetensorsWriter.Entry.floats("state." + i, DType.F32, longs(state.tensorShape(i)),
                    () -> state.tensor(idx)));
        }
        if (logits != null) {
            if (logits.length < model.vocabSize()) {
                throw new IllegalArgumentException("logits have " + logits.length + " values, the model's vocabulary "
                        + model.vocabSize());
            }
            float[] v = Arrays.copyOf(logits, model.vocabSize());
            entries.add(SafetensorsWriter.Entry.floats(LOGITS, new long[] {v.length}, v));
        }
        SafetensorsWriter.write(file, entries, meta);
    }

    /**
     * Loads a state file for {@code model}. A file saved from another model is rejected with a message naming both
     * fingerprints; a file that is neither a saved state nor a state-tuning file is rejected too, and so is one whose
     * state or logits hold a NaN or an infinity (no forward pass produces them, and they would spread to every later
     * output).
     *
     * @param file  the state file or state-tuning file
     * @param model the model the state is for
     * @return the state, its logits when saved, and the file's metadata
     */
    public static Loaded load(Path file, RwkvModel model) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            State state = model.newState();
            if (TimeState.isTimeStateFile(f)) {
                TimeState.apply(f, model.info(), state);
                return new Loaded(Kind.TIME_STATE, state, null, f.metadata());
            }
            Map<String, String> meta = f.metadata();
            if (!FORMAT.equals(meta.get("format"))) {
                throw new ModelFileException(file, null, "not a state file: no 'format' = '" + FORMAT
                        + "' metadata and no blocks.N.att.time_state tensors");
            }
            String version = meta.get("format_version");
            if (!Integer.toString(FORMAT_VERSION).equals(version)) {
                throw new ModelFileException(file, null, "state file format version " + version
                        + " is not supported (this build reads version " + FORMAT_VERSION + ")");
            }
            ModelFingerprint saved = ModelFingerprint.from(meta);
            ModelFingerprint current = ModelFingerprint.of(model);
            if (saved == null) {
                throw new ModelFileException(file, null, "state file has no (or a damaged) model fingerprint");
            }
            if (!saved.equals(current)) {
                throw new IllegalArgumentException("state file " + file + " was saved from another model: "
                        + meta.getOrDefault("model.file", "(unnamed)") + " [" + saved + "]; it cannot be loaded into "
                        + model.info().path().getFileName() + " [" + current + "]");
            }
            for (int i = 0; i < state.tensorCount(); i++) {
                state.setTensor(i, read(f, file, "state." + i, state.tensorShape(i)));
            }
            if (f.find("state." + state.tensorCount()) != null) {
                throw new ModelFileException(file, "state." + state.tensorCount(), "more state tensors than the model's "
                        + state.tensorCount());
            }
            state.setTokens(parseTokens(file, meta.get("tokens")));
            float[] logits = f.find(LOGITS) == null ? null : read(f, file, LOGITS, new int[] {model.vocabSize()});
            return new Loaded(Kind.SAVED, state, logits, meta);
        }
    }

    private static float[] read(SafetensorsFile f, Path file, String name, int[] shape) {
        TensorInfo t = f.find(name);
        if (t == null) {
            throw new ModelFileException(file, name, "missing");
        }
        if (t.dtype() != DType.F32 || !Arrays.equals(t.shape(), longs(shape))) {
            throw new ModelFileException(file, name, t.dtype() + t.shapeString() + " where F32"
                    + Arrays.toString(shape) + " was expected");
        }
        float[] v = WeightReader.toFloatArray(f.data(t), t.dtype());
        requireFinite(file, name, v);
        return v;
    }

    /** Refuses a tensor with a NaN or an infinity, naming the first. */
    static void requireFinite(Path file, String name, float[] v) {
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) {
                throw new ModelFileException(file, name, "value " + i + " is " + v[i]
                        + ": a state holds finite numbers only (file damaged?)");
            }
        }
    }

    private static long parseTokens(Path file, String s) {
        try {
            long n = Long.parseLong(s);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException | NullPointerException ignored) {
            // reported below
        }
        throw new ModelFileException(file, null, "metadata 'tokens' must be a count >= 0, got " + s);
    }

    private static long[] longs(int[] shape) {
        long[] l = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            l[i] = shape[i];
        }
        return l;
    }
}
