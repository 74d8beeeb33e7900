package dev.rwkvjava.state;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.generate.Session;
import dev.rwkvjava.io.SafetensorsWriter;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Run in a separate JVM by {@link StateFileTest}: loads a model and a state file, feeds more tokens, and writes the
 * logits. Arguments: MODEL STATE IDS(comma-separated) OUT THREADS.
 */
public final class ContinueFromStateMain {
    private ContinueFromStateMain() {
    }

    public static void main(String[] args) {
        try (RwkvModel model = RwkvModel.load(Path.of(args[0]),
                RwkvModel.Options.defaults().withThreads(Integer.parseInt(args[4])))) {
            Session s = new Session(model, null);
            s.load(Path.of(args[1]));
            s.append(Arrays.stream(args[2].split(",")).mapToInt(Integer::parseInt).toArray());
            float[] logits = s.logits();
            SafetensorsWriter.write(Path.of(args[3]), List.of(
                    SafetensorsWriter.Entry.floats("logits", new long[] {logits.length}, logits)),
                    Map.of("tokens", Long.toString(s.tokenCount())));
        }
    }
}
