package dev.rwkvjava.state;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.generate.Session;
import dev.rwkvjava.io.SafetensorsWriter;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Run in separate JVMs by {@link StateFileTest}. Modes:
 * <ul>
 *   <li>{@code save MODEL IDS STATE}: feed IDS, save the state;</li>
 *   <li>{@code continue MODEL STATE IDS OUT}: load the state, feed IDS, write the logits;</li>
 *   <li>{@code straight MODEL IDS1 IDS2 OUT}: feed IDS1 then IDS2 in one process, write the logits.</li>
 * </ul>
 */
public final class ContinueFromStateMain {
    private ContinueFromStateMain() {
    }

    public static void main(String[] args) {
        try (RwkvModel model = RwkvModel.load(Path.of(args[1]), RwkvModel.Options.defaults().withThreads(2))) {
            Session s = new Session(model, null);
            switch (args[0]) {
                case "save" -> {
                    s.append(ids(args[2]));
                    s.save(Path.of(args[3]));
                }
                case "continue" -> {
                    s.load(Path.of(args[2]));
                    s.append(ids(args[3]));
                    write(s, Path.of(args[4]));
                }
                case "straight" -> {
                    s.append(ids(args[2]));
                    s.append(ids(args[3]));
                    write(s, Path.of(args[4]));
                }
                default -> throw new IllegalArgumentException(args[0]);
            }
        }
    }

    private static int[] ids(String csv) {
        return Arrays.stream(csv.split(",")).mapToInt(Integer::parseInt).toArray();
    }

    private static void write(Session s, Path out) {
        float[] logits = s.logits();
        SafetensorsWriter.write(out, List.of(SafetensorsWriter.Entry.floats("logits", new long[] {logits.length}, logits)),
                Map.of("tokens", Long.toString(s.tokenCount()), "kernels", s.model().info().kernels()));
    }
}
