package dev.rwkvjava.cli;

import dev.rwkvjava.ModelFileChangedException;
import dev.rwkvjava.generate.ChatTemplate;
import dev.rwkvjava.generate.FinishReason;
import dev.rwkvjava.generate.GenerationConfig;
import dev.rwkvjava.generate.GenerationListener;
import dev.rwkvjava.generate.GenerationResult;
import dev.rwkvjava.generate.Session;
import dev.rwkvjava.generate.TextGenerator;
import dev.rwkvjava.sampling.SamplerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code rwkv chat}: a conversation in the model's prompt format. The state carries across turns, so every turn
 * feeds only its own tokens. Works on a terminal and with piped input (one message per line; replies on stdout, one
 * per turn, notices on stderr).
 */
@Command(name = "chat", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Chat with a model. Each input line is one message; lines starting with / are commands "
                + "(/help lists them). Works interactively and with piped input.",
                "Sampling defaults are ChatRWKV's: temperature 1.0, top-p 0.3, presence 0.5, frequency 0.5, "
                        + "decay 0.996."})
final class ChatCommand implements Callable<Integer> {
    private static final int UNDO_DEPTH = 32;
    private static final String HELP = """
            commands:
              /reset        forget the conversation (back to the start, system prompt kept)
              /retry        answer the last message again
              /undo         drop the last exchange
              /save FILE    save the conversation state to FILE
              /load FILE    continue from a state saved with /save (or generate --state-out)
              /help         this list
              /quit         end (so does end of input)""";

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--template", paramLabel = "NAME",
            description = "Prompt format: world (User:/Assistant:), g1 (World with <think reasoning), raven "
                    + "(### Instruction:/### Response:), bob (Bob:/Alice:), none. Default: world, or raven for "
                    + "models with a Hugging Face tokenizer.json (RWKV-4 Pile/Raven).")
    String template;

    @Option(names = "--system", paramLabel = "TEXT", description = "A system prompt fed once at the start.")
    String system;

    @Option(names = {"-n", "--max-tokens"}, paramLabel = "N", defaultValue = "500",
            description = "Longest reply in tokens (default ${DEFAULT-VALUE}).")
    int maxTokens;

    @Mixin
    SamplingOptions sampling;

    @Option(names = "--state-in", paramLabel = "FILE",
            description = "Start from a saved state or a state-tuned initial state (blocks.N.att.time_state).")
    Path stateIn;

    private record Turn(String message, Session.Snapshot before, String lastStopBefore, boolean firstBefore) {
    }

    private Session session;
    private ChatTemplate chat;
    private GenerationConfig config;
    private Session.Snapshot start;
    private final Deque<Turn> history = new ArrayDeque<>();
    private String lastStop;
    private boolean first = true;
    private boolean failed;
    private PrintStream out;
    private ProtectedFiles inputs;

    @Override
    public Integer call() throws IOException {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("-n must be at least 1, got " + maxTokens);
        }
        boolean interactive = Terminal.interactive();
        out = Terminal.stdout();
        inputs = modelOptions.protectedFiles();
        try (TextGenerator gen = modelOptions.load()) {
            ModelOptions.addLoaded(inputs, gen);
            if (gen.tokenizer() == null) {
                throw new IllegalArgumentException("chat needs a tokenizer and the model " + modelOptions.model
                        + " has none: " + gen.tokenizerProblem());
            }
            chat = template != null ? ChatTemplate.of(template) : ChatTemplate.defaultFor(gen.tokenizer());
            config = new GenerationConfig(maxTokens, sampling.apply(SamplerConfig.chat()), List.of(),
                    chat.stopStrings(), false);
            session = gen.newSession();
            if (stateIn != null) {
                session.load(stateIn);
            }
            if (system != null && !system.isBlank()) {
                session.append(chat.system(system));
            }
            start = session.snapshot();
            if (interactive) {
                System.err.println("chat with " + gen.model().info().path().getFileName() + " (template "
                        + chat.label() + "); /help for commands, /quit to end");
            }
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            while (true) {
                if (interactive) {
                    out.print("User: ");
                    out.flush();
                }
                String line = in.readLine();
                if (line == null || out.checkError()) {
                    break; // end of input, or nobody reads the replies any more
                }
                String msg = line.strip();
                if (msg.isEmpty()) {
                    continue;
                }
                try {
                    if (msg.startsWith("/")) {
                        if (!command(msg)) {
                            break;
                        }
                        continue;
                    }
                    reply(msg, interactive);
                } catch (ModelFileChangedException e) {
                    throw e; // no later line can be answered either
                } catch (RuntimeException e) {
                    // A bad command or file should not end the conversation; piped runs still exit with 1.
                    failed = true;
                    notice("error: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
                }
            }
        }
        out.flush();
        return failed && !interactive ? 1 : 0;
    }

    /** Runs a /command; returns false to end the chat. */
    private boolean command(String line) {
        String[] parts = line.split("\\s+", 2);
        String arg = parts.length > 1 ? parts[1].strip() : "";
        switch (parts[0]) {
            case "/quit", "/exit" -> {
                return false;
            }
            case "/help" -> System.err.println(HELP);
            case "/reset" -> {
                session.restore(start);
                history.clear();
                lastStop = null;
                first = true;
                notice("conversation reset");
            }
            case "/undo" -> {
                Turn t = history.pollLast();
                if (t == null) {
                    notice("nothing to undo");
                } else {
                    rewind(t);
                    notice("dropped: " + t.message());
                }
            }
            case "/retry" -> {
                Turn t = history.pollLast();
                if (t == null) {
                    notice("nothing to retry");
                } else {
                    rewind(t);
                    reply(t.message(), Terminal.interactive());
                }
            }
            case "/save" -> {
                requireArg(arg, "/save FILE");
                inputs.checkOutput("/save", Path.of(arg));
                session.save(Path.of(arg), Map.of("chat.template", chat.label(),
                        "chat.last_stop", lastStop == null ? "" : lastStop, "chat.first", Boolean.toString(first)));
                notice("saved to " + arg);
            }
            case "/load" -> {
                requireArg(arg, "/load FILE");
                Map<String, String> meta = session.load(Path.of(arg));
                String stop = meta.get("chat.last_stop");
                lastStop = stop == null || stop.isEmpty() ? null : stop;
                first = Boolean.parseBoolean(meta.getOrDefault("chat.first", Boolean.toString(!session.hasContext())));
                history.clear();
                notice("loaded " + arg + " (" + session.tokenCount() + " tokens of context)");
            }
            default -> notice("unknown command " + parts[0] + "; /help lists the commands");
        }
        return true;
    }

    private void requireArg(String arg, String usage) {
        if (arg.isEmpty()) {
            throw new IllegalArgumentException("usage: " + usage);
        }
    }

    private void rewind(Turn t) {
        session.restore(t.before());
        lastStop = t.lastStopBefore();
        first = t.firstBefore();
    }

    private void reply(String msg, boolean interactive) {
        Turn turn = new Turn(msg, session.snapshot(), lastStop, first);
        history.addLast(turn);
        if (history.size() > UNDO_DEPTH) {
            history.pollFirst();
        }
        session.append(chat.turn(msg, lastStop, first));
        if (interactive) {
            out.print("Assistant: ");
        }
        ReplyPrinter printer = new ReplyPrinter(out);
        printer.onText(chat.replyPrefix());
        GenerationResult r = session.generate(config, printer);
        out.println();
        out.flush();
        first = false;
        lastStop = r.finishReason() == FinishReason.STOP_STRING ? stopThatEnded(r) : null;
        if (r.finishReason() == FinishReason.LENGTH) {
            notice("(reply cut at " + maxTokens + " tokens; -n raises the limit)");
        }
    }

    /** Which stop string ended the reply: the first one that appears in the decoded reply tokens. */
    private String stopThatEnded(GenerationResult r) {
        String all = session.tokenizer().decodeToString(r.generatedIds());
        String best = null;
        int at = Integer.MAX_VALUE;
        for (String s : chat.stopStrings()) {
            int i = all.indexOf(s);
            if (i >= 0 && i < at) {
                at = i;
                best = s;
            }
        }
        return best;
    }

    private static void notice(String s) {
        System.err.println(s);
        System.err.flush();
    }

    /** Prints reply text as it comes, without the space the model puts after "Assistant:". */
    private static final class ReplyPrinter implements GenerationListener {
        private final PrintStream out;
        private boolean started;

        ReplyPrinter(PrintStream out) {
            this.out = out;
        }

        @Override
        public void onText(String text) {
            String t = started ? text : text.stripLeading();
            if (!t.isEmpty()) {
                started = true;
                out.print(t);
                out.flush();
            }
        }

        @Override
        public boolean stopRequested() {
            return out.checkError();
        }
    }
}
