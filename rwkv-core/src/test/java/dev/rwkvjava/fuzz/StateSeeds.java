package dev.rwkvjava.fuzz;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.io.SafetensorsWriter;
import dev.rwkvjava.state.State;
import dev.rwkvjava.state.StateFile;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The state-file fuzzer's seeds: states of the one-layer v7 model as {@link StateFile#save} writes them. */
final class StateSeeds {
    private StateSeeds() {
    }

    static void write(Path model, Path dir) {
        try (RwkvModel m = RwkvModel.load(model)) {
            State s = m.newState();
            byte[] text = "Hello".getBytes(StandardCharsets.UTF_8);
            int[] ids = new int[text.length];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = text[i];
            }
            float[] logits = m.forward(ids, s);
            StateFile.save(dir.resolve("state-with-logits.safetensors"), m, s, logits, Map.of("note", "seed"));
            StateFile.save(dir.resolve("state.safetensors"), m, s, null, Map.of());
            // A state-tuning file: layer 0's wkv matrix [H, N, N] under the name state tuning gives it.
            long[] shape = {m.info().heads(), m.info().headSize(), m.info().headSize()};
            float[] wkv = new float[(int) (shape[0] * shape[1] * shape[2])];
            for (int i = 0; i < wkv.length; i++) {
                wkv[i] = (i % 7 - 3) * 0.01f;
            }
            SafetensorsWriter.write(dir.resolve("time-state.safetensors"),
                    List.of(SafetensorsWriter.Entry.floats("blocks.0.att.time_state", shape, wkv)), Map.of());
        }
    }
}
