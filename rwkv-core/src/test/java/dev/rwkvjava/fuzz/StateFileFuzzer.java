package dev.rwkvjava.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.ModelFileException;
import dev.rwkvjava.state.State;
import dev.rwkvjava.state.StateFile;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of state files ({@link StateFile#load}: saved states and state-tuning files) against a
 * one-layer v7 model. A state file may be refused with a {@link ModelFileException} or, when it does not fit the
 * model, an {@link IllegalArgumentException} naming the file; a state that loads is finite and runs. Seeds: states
 * saved from that model, with and without logits, and a state-tuning file.
 */
class StateFileFuzzer {
    private static RwkvModel model;

    private static synchronized RwkvModel model() throws URISyntaxException {
        if (model == null) {
            model = RwkvModel.load(Path.of(StateFileFuzzer.class.getResource(
                    "SafetensorsFuzzerInputs/load/tiny-rwkv-7v0-834K.f32-1layer.safetensors").toURI()));
        }
        return model;
    }

    @FuzzTest(maxDuration = "5s")
    void load(byte[] input) throws IOException, URISyntaxException {
        RwkvModel m = model();
        Path file = FuzzedModel.file("state.safetensors");
        Files.write(file, input);
        StateFile.Loaded loaded;
        try {
            loaded = StateFile.load(file, m);
        } catch (ModelFileException e) {
            FuzzedModel.checkMessage(e, file);
            return;
        } catch (IllegalArgumentException e) {
            if (e.getClass() != IllegalArgumentException.class || !String.valueOf(e.getMessage()).contains(file.toString())) {
                throw e;
            }
            return;
        }
        State s = loaded.state();
        for (int i = 0; i < s.tensorCount(); i++) {
            for (float v : s.tensor(i)) {
                if (!Float.isFinite(v)) {
                    throw new AssertionError("state tensor " + i + " loaded with a non-finite value " + v);
                }
            }
        }
        if (loaded.logits() != null) {
            for (float v : loaded.logits()) {
                if (!Float.isFinite(v)) {
                    throw new AssertionError("logits loaded with a non-finite value " + v);
                }
            }
        }
        m.forward(1, s);
    }
}
