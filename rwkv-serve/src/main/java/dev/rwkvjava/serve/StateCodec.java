package dev.rwkvjava.serve;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.state.State;
import dev.rwkvjava.state.StateFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;

/**
 * States in requests and responses: base64 of the bytes of a state file ({@link StateFile}: the state tensors, the
 * logits after the last token, and the model's fingerprint). A state from a client is untrusted: its size is bounded
 * before it is decoded, the file is read by the state-file reader (format, fingerprint of this model, every tensor's
 * type and shape), and every value must be finite. Any fault is a 400 naming the field, never a crash.
 *
 * <p>The state-file reader and writer work on files, so each state passes through a file of its own in a private
 * folder, deleted at once.
 */
final class StateCodec {
    /** Room for metadata a client may have added to a state file, beyond the size of the files this server writes. */
    private static final int SLACK_BYTES = 64 * 1024;

    /** A client's state and the logits after its last token (null: feed a prompt before generating). */
    record Decoded(State state, float[] logits) {
    }

    private final RwkvModel model;
    private final Path dir;
    private final long maxFileBytes;

    StateCodec(RwkvModel model, Path dir) {
        this.model = model;
        this.dir = dir;
        this.maxFileBytes = fileBytes(model.newState(), new float[model.vocabSize()]) + SLACK_BYTES;
    }

    /** The most characters a base64 state of this model can have. */
    long maxEncodedChars() {
        return (maxFileBytes + 2) / 3 * 4;
    }

    /** The state file's bytes in base64. */
    String encode(State state, float[] logits) {
        return Base64.getEncoder().encodeToString(bytes(state, logits));
    }

    private long fileBytes(State state, float[] logits) {
        return bytes(state, logits).length;
    }

    private byte[] bytes(State state, float[] logits) {
        Path f = temp();
        try {
            StateFile.save(f, model, state, logits, Map.of());
            return Files.readAllBytes(f);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a state file in " + dir, e);
        } finally {
            delete(f);
        }
    }

    /** Reads a client's state; {@code param} names the request field for errors. */
    Decoded decode(String base64, String param) {
        if (base64.length() > maxEncodedChars()) {
            throw ApiException.invalid(param, "the state has " + base64.length() + " characters; a state of this "
                    + "model has at most " + maxEncodedChars());
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(param, "the state is not valid base64: " + e.getMessage());
        }
        Path f = temp();
        try {
            Files.write(f, bytes);
            StateFile.Loaded loaded = StateFile.load(f, model);
            State s = loaded.state();
            for (int i = 0; i < s.tensorCount(); i++) {
                requireFinite(s.tensor(i), param, "state tensor " + i);
            }
            if (loaded.logits() != null) {
                requireFinite(loaded.logits(), param, "its logits");
            }
            return new Decoded(s, loaded.logits());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a state file in " + dir, e);
        } catch (ApiException e) {
            throw e;
        } catch (RuntimeException e) {
            String why = String.valueOf(e.getMessage()).replace(f.toString(), "the state")
                    .replace(f.getFileName().toString(), "the state");
            throw ApiException.invalid(param, "the state cannot be used: " + why);
        } finally {
            delete(f);
        }
    }

    private static void requireFinite(float[] v, String param, String what) {
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) {
                throw ApiException.invalid(param, "the state's " + what + " has a value that is not finite (" + v[i]
                        + " at index " + i + ")");
            }
        }
    }

    private Path temp() {
        try {
            return Files.createTempFile(dir, "state-", ".safetensors");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a state file in " + dir, e);
        }
    }

    private static void delete(Path f) {
        try {
            Files.deleteIfExists(f);
        } catch (IOException ignored) {
            // A leftover temporary file goes with the folder at shutdown.
        }
    }
}
