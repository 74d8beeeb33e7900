package dev.rwkvjava.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rwkvjava.generate.GenerationConfig;
import dev.rwkvjava.generate.GenerationListener;
import dev.rwkvjava.generate.GenerationResult;
import dev.rwkvjava.generate.GenerationStats;
import dev.rwkvjava.generate.Session;
import dev.rwkvjava.generate.TextGenerator;
import dev.rwkvjava.sampling.SamplerConfig;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code rwkv generate}: continues a prompt, streaming the text to stdout as it is produced, with timings on stderr
 * at the end. {@code --json} prints one JSON object instead (a stable contract: see {@link #json}).
 */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Continue a prompt. Text is streamed to stdout as it is generated (token ids, space-separated, "
                + "when the model has no tokenizer); statistics go to stderr at the end.",
                "Greedy (argmax) unless a temperature is given. Stops after -n tokens, at end-of-text (id 0, except "
                        + "byte-level models; see --ignore-eos) or at a --stop string."})
final class GenerateCommand implements Callable<Integer> {

    static final class Prompt {
        @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "The prompt text.")
        String text;

        @Option(names = "--prompt-file", paramLabel = "FILE", description = "Read the prompt from a UTF-8 file (- reads standard input).")
        Path file;

        @Option(names = "--prompt-ids", paramLabel = "IDS", converter = TokenList.Converter.class,
                description = "The prompt as token ids, e.g. 510,4,12 (needs no tokenizer).")
        TokenList ids;
    }

    @Mixin
    ModelOptions modelOptions;

    @ArgGroup(exclusive = true)
    Prompt prompt;

    @Option(names = {"-n", "--max-tokens"}, paramLabel = "N", defaultValue = "128",
            description = "Generate at most N tokens (default ${DEFAULT-VALUE}; 0 only feeds the prompt).")
    int maxTokens;

    @Mixin
    SamplingOptions sampling;

    @Option(names = "--stop", paramLabel = "TEXT",
            description = "Stop when this text appears (repeatable); it is not printed. Use $'\\n\\n' in a shell for a blank line.")
    List<String> stop = new ArrayList<>();

    @Option(names = "--stop-id", split = ",", paramLabel = "ID", description = "Stop when one of these token ids is generated.")
    List<Integer> stopIds = new ArrayList<>();

    @Option(names = "--ignore-eos", description = "Do not stop at end-of-text: with no --stop, exactly N tokens are generated.")
    boolean ignoreEos;

    @Option(names = "--echo", description = "Print the prompt before the generated text.")
    boolean echo;

    @Option(names = {"-e", "--escape"}, description = "Turn \\n, \\t, \\\\ and \\\" in --prompt and --stop into newline, tab, "
            + "backslash and quote (e.g. --prompt 'User: hi\\n\\nAssistant:' -e).")
    boolean escape;

    @Option(names = "--json", description = "Print nothing while generating; at the end print one JSON object on one "
            + "line: prompt_ids, generated_ids, text, prompt_tokens, generated_tokens, prefill_tokens_per_s, "
            + "decode_tokens_per_s, finish_reason, ...")
    boolean json;

    @Option(names = "--state-in", paramLabel = "FILE",
            description = "Start from a saved state (or a state-tuned initial state) instead of the zero state.")
    Path stateIn;

    @Option(names = "--state-out", paramLabel = "FILE", description = "Save the final state (prompt and generated text) to FILE.")
    Path stateOut;

    @Override
    public Integer call() throws IOException {
        if (maxTokens < 0) {
            throw new IllegalArgumentException("-n must be >= 0, got " + maxTokens);
        }
        if (prompt == null && stateIn == null) {
            throw new IllegalArgumentException("give a prompt: --prompt TEXT, --prompt-file FILE or --prompt-ids IDS "
                    + "(or --state-in FILE to continue a saved state)");
        }
        // Everything the user can get wrong about files is checked before the model loads and the work starts.
        ProtectedFiles inputs = modelOptions.protectedFiles();
        if (prompt != null && prompt.file != null && !CliFiles.isStdin(prompt.file)) {
            inputs.file(prompt.file, "the prompt file");
        }
        if (stateOut != null) {
            inputs.checkOutput("--state-out", stateOut);
        }
        String promptText = promptText();
        List<String> stops = escape ? stop.stream().map(GenerateCommand::unescape).toList() : stop;
        GenerationConfig config = new GenerationConfig(maxTokens, sampling.apply(SamplerConfig.greedy()), stopIds,
                stops, ignoreEos);
        PrintStream out = Terminal.stdout();
        try (TextGenerator gen = modelOptions.load()) {
            if (stateOut != null) {
                ModelOptions.addLoaded(inputs, gen).checkOutput("--state-out", stateOut);
            }
            Session session = gen.newSession();
            if (stateIn != null) {
                session.load(stateIn);
            }
            int[] promptIds = promptIds(session, gen, promptText);
            if (!stop.isEmpty() && gen.tokenizer() == null) {
                throw new IllegalArgumentException("--stop needs a tokenizer to see text; this model has none (use "
                        + "--stop-id, or give --tokenizer)");
            }
            if (echo && !json) {
                out.print(gen.tokenizer() != null ? gen.tokenizer().decodeToString(promptIds) : ids(promptIds) + " ");
                out.flush();
            }
            GenerationResult r = session.generate(promptIds, config, json ? GenerationListener.none()
                    : streamTo(out, gen.tokenizer() != null));
            if (stateOut != null) {
                session.save(stateOut);
            }
            if (json) {
                out.println(json(r, gen));
                out.flush();
            } else {
                out.println();
                out.flush();
            }
            if (out.checkError()) {
                // A closed pipe (| head) or a full disk: nobody reads the rest, so generation stopped.
                System.err.println("rwkv generate: standard output was closed or failed; stopped after "
                        + r.generatedIds().length + " tokens");
                return 1;
            }
            if (!json) {
                printStats(System.err, r.stats());
            }
        }
        return 0;
    }

    /** The prompt text of --prompt or --prompt-file (read before the model loads), or null for --prompt-ids. */
    private String promptText() throws IOException {
        if (prompt == null || prompt.ids != null) {
            return null;
        }
        if (prompt.file != null) {
            return CliFiles.readUtf8("--prompt-file", prompt.file);
        }
        return escape ? unescape(prompt.text) : prompt.text;
    }

    private int[] promptIds(Session session, TextGenerator gen, String text) {
        if (prompt == null) {
            return new int[0];
        }
        if (prompt.ids != null) {
            return prompt.ids.ids();
        }
        if (session.tokenizer() == null) {
            throw new IllegalArgumentException("the model " + modelOptions.model + " has no tokenizer ("
                    + gen.tokenizerProblem() + "); or give the prompt as --prompt-ids");
        }
        int[] ids = session.encode(text);
        if (ids.length == 0 && !session.hasContext()) {
            throw new IllegalArgumentException("the prompt is empty");
        }
        return ids;
    }

    /** Text pieces as they become final, or (no tokenizer) ids, space-separated. */
    private static GenerationListener streamTo(PrintStream out, boolean text) {
        return new GenerationListener() {
            private boolean first = true;

            @Override
            public void onToken(int id) {
                if (!text) {
                    out.print(first ? Integer.toString(id) : " " + id);
                    first = false;
                    out.flush();
                }
            }

            @Override
            public void onText(String piece) {
                out.print(piece);
                out.flush();
            }

            @Override
            public boolean stopRequested() {
                return out.checkError();
            }
        };
    }

    /** The --json object. Keys are a contract: add new ones, never rename or drop. */
    static String json(GenerationResult r, TextGenerator gen) throws IOException {
        ObjectMapper om = new ObjectMapper();
        ObjectNode o = om.createObjectNode();
        ArrayNode p = o.putArray("prompt_ids");
        for (int id : r.promptIds()) {
            p.add(id);
        }
        ArrayNode g = o.putArray("generated_ids");
        for (int id : r.generatedIds()) {
            g.add(id);
        }
        if (r.text() != null) {
            o.put("text", r.text());
        }
        GenerationStats s = r.stats();
        o.put("prompt_tokens", s.promptTokens());
        o.put("generated_tokens", s.generatedTokens());
        o.put("prefill_tokens_per_s", s.prefillTokensPerSecond());
        o.put("decode_tokens_per_s", s.decodeTokensPerSecond());
        o.put("prefill_s", s.prefillSeconds());
        o.put("decode_s", s.decodeSeconds());
        o.put("finish_reason", s.finishReason().label());
        o.put("seed", s.seed());
        o.put("model", gen.model().info().path().toString());
        o.put("version", gen.model().info().version().label());
        return om.writeValueAsString(o);
    }

    static void printStats(PrintStream err, GenerationStats s) {
        err.printf(Locale.ROOT, "prompt:    %5d tokens in %9.2f ms (%8.1f tokens/s)%n", s.promptTokens(),
                s.prefillSeconds() * 1e3, s.prefillTokensPerSecond());
        err.printf(Locale.ROOT, "generated: %5d tokens in %9.2f ms (%8.1f tokens/s), finish: %s%n", s.generatedTokens(),
                s.decodeSeconds() * 1e3, s.decodeTokensPerSecond(), s.finishReason().label());
        err.flush();
    }

    /** \n, \t, \\ and \" as in C; any other backslash stays as typed. */
    static String unescape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char n = s.charAt(i + 1);
                String r = switch (n) {
                    case 'n' -> "\n";
                    case 't' -> "\t";
                    case '\\' -> "\\";
                    case '"' -> "\"";
                    default -> null;
                };
                if (r != null) {
                    sb.append(r);
                    i++;
                    continue;
                }
            }
            sb.append(c);
        }
        return sb.toString();
    }

    private static String ids(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            sb.append(sb.isEmpty() ? "" : " ").append(id);
        }
        return sb.toString();
    }
}
