package dev.rwkvjava.cli;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.hub.HubConfig;
import dev.rwkvjava.io.SafetensorsWriter;
import dev.rwkvjava.state.State;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code rwkv logits}: the engine's parity tool. Writes the logits of a token sequence to a safetensors file. */
@Command(name = "logits", mixinStandardHelpOptions = true,
        description = "Run token ids through a model and write the logits (tensor 'logits', F32) to a safetensors file.")
final class LogitsCommand implements Callable<Integer> {

    enum Mode { token, sequence }

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE", description = "Weights file.")
    Path model;

    @Option(names = "--tokens", required = true, paramLabel = "IDS", converter = TokenList.Converter.class,
            description = "Comma-separated token ids, e.g. 34,105,110.")
    TokenList tokenList;

    @Option(names = "--all", description = "Write logits after every token [T, V] instead of the last token's [V].")
    boolean all;

    @Option(names = "--mode", paramLabel = "MODE", defaultValue = "sequence",
            description = "token (one forward call per token) or sequence (one call for all). Default: ${DEFAULT-VALUE}.")
    Mode mode;

    @Mixin
    LoadOptions loading = new LoadOptions();

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "OUT", description = "Output .safetensors file.")
    Path out;

    @Override
    public Integer call() {
        RwkvModel.Options opts = loading.options();
        Path cache;
        try {
            cache = HubConfig.fromEnvironment().cacheDir();
        } catch (IllegalArgumentException e) {
            cache = HubConfig.defaultCacheDir(); // a bad HF_ENDPOINT does not matter here
        }
        ProtectedFiles.forModel(model.toString(), cache).checkOutput("--out", out);
        int[] tokens = tokenList.ids();
        try (RwkvModel m = RwkvModel.load(model, opts)) {
            int v = m.vocabSize();
            State state = m.newState();
            float[] logits;
            if (mode == Mode.sequence) {
                logits = all ? m.forwardAll(tokens, state) : m.forward(tokens, state);
            } else {
                logits = new float[all ? tokens.length * v : v];
                float[] row = new float[v];
                for (int t = 0; t < tokens.length; t++) {
                    m.forward(tokens[t], state, row);
                    if (all) {
                        System.arraycopy(row, 0, logits, t * v, v);
                    } else if (t == tokens.length - 1) {
                        System.arraycopy(row, 0, logits, 0, v);
                    }
                }
            }
            long[] shape = all ? new long[] {tokens.length, v} : new long[] {v};
            SafetensorsWriter.write(out, List.of(
                    SafetensorsWriter.Entry.floats("logits", shape, logits),
                    SafetensorsWriter.Entry.ints("tokens", new long[] {tokens.length}, tokens)),
                    Map.of("model", model.toString(), "mode", mode.name(), "version", m.info().version().label()));
        }
        return 0;
    }
}
