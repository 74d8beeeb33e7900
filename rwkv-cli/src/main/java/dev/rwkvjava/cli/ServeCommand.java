package dev.rwkvjava.cli;

import dev.rwkvjava.generate.ChatTemplate;
import dev.rwkvjava.generate.TextGenerator;
import dev.rwkvjava.serve.RwkvServer;
import dev.rwkvjava.serve.ServerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code rwkv serve}: an OpenAI-compatible HTTP server for one model (see {@link RwkvServer}). Runs until stopped;
 * SIGTERM (or Ctrl-C) stops it gracefully: no new connections, running requests finish within the grace period.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve a model over an OpenAI-compatible HTTP API: POST /v1/completions, POST "
                + "/v1/chat/completions (\"stream\": true for server-sent events), GET /v1/models, GET /health, "
                + "GET /metrics (Prometheus); a web chat page at / (the page needs no key; it asks for one).",
                "Running requests are decoded together, one batched step per token; conversation prefixes are "
                        + "cached as states; \"rwkv\": {\"return_state\": true} returns the state, \"rwkv\": "
                        + "{\"state\": ...} continues from one (on any replica)."})
final class ServeCommand implements Callable<Integer> {

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--host", paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "Address to listen on (default ${DEFAULT-VALUE}; 0.0.0.0 for every interface).")
    String host;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080",
            description = "TCP port (default ${DEFAULT-VALUE}; 0 picks a free one, printed at start).")
    int port;

    @Option(names = "--api-key", paramLabel = "KEY", defaultValue = "${env:RWKV_API_KEY}",
            description = "Require 'Authorization: Bearer KEY' on every request but /health and the chat page "
                    + "(default: $RWKV_API_KEY; none when unset).")
    String apiKey;

    @Option(names = "--max-streams", paramLabel = "N", defaultValue = "16",
            description = "Requests generating at once, decoded together (default ${DEFAULT-VALUE}).")
    int maxStreams;

    @Option(names = "--queue", paramLabel = "N", defaultValue = "64",
            description = "Requests waiting for a stream; more get 429 (default ${DEFAULT-VALUE}).")
    int queue;

    @Option(names = "--state-cache-mb", paramLabel = "MB", defaultValue = "512",
            description = "Memory for cached conversation states, least recently used out first (default "
                    + "${DEFAULT-VALUE}; 0 turns the cache off).")
    long stateCacheMb;

    @Option(names = "--max-prompt-tokens", paramLabel = "N", defaultValue = "16384",
            description = "Longest prompt or conversation in tokens (default ${DEFAULT-VALUE}).")
    int maxPromptTokens;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "4096",
            description = "Largest max_tokens a request may ask for, and the default of chat requests (default "
                    + "${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--max-body-mb", paramLabel = "MB", defaultValue = "0",
            description = "Largest request body (default 0: room for a passed state of the model and 1 MB more).")
    int maxBodyMb;

    @Option(names = "--queue-timeout", paramLabel = "SECONDS", defaultValue = "120",
            description = "How long a request may wait for a stream before it gets 429 (default ${DEFAULT-VALUE}).")
    long queueTimeout;

    @Option(names = "--shutdown-grace", paramLabel = "SECONDS", defaultValue = "30",
            description = "On SIGTERM, how long running requests may go on (default ${DEFAULT-VALUE}).")
    long shutdownGrace;

    @Option(names = "--template", paramLabel = "NAME",
            description = "Chat format: world, g1, raven, bob, none (default: world, or raven for models with a "
                    + "tokenizer.json).")
    String template;

    @Option(names = "--model-id", paramLabel = "NAME",
            description = "The model's name in /v1/models and responses (default: from --model).")
    String modelId;

    @Override
    public Integer call() throws IOException {
        if (maxBodyMb < 0 || maxBodyMb > 2047) {
            throw new IllegalArgumentException("--max-body-mb must be between 0 and 2047, got " + maxBodyMb);
        }
        if (stateCacheMb < 0 || stateCacheMb > (1L << 40)) {
            throw new IllegalArgumentException("--state-cache-mb must be >= 0, got " + stateCacheMb);
        }
        if (queueTimeout < 1 || shutdownGrace < 0) {
            throw new IllegalArgumentException("--queue-timeout must be >= 1 and --shutdown-grace >= 0");
        }
        ServerConfig config;
        try {
            config = ServerConfig.defaults().withHost(host).withPort(port)
                    .withApiKey(apiKey == null || apiKey.isBlank() ? null : apiKey.strip())
                    .withMaxStreams(maxStreams).withQueue(queue).withStateCacheBytes(stateCacheMb << 20)
                    .withMaxPromptTokens(maxPromptTokens).withMaxTokens(maxTokens).withMaxBodyBytes(maxBodyMb << 20)
                    .withQueueTimeout(Duration.ofSeconds(queueTimeout))
                    .withShutdownGrace(Duration.ofSeconds(shutdownGrace))
                    .withModelId(modelId != null ? modelId : defaultModelId(modelOptions.model))
                    .withTemplate(template == null ? null : ChatTemplate.of(template));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("serve: " + e.getMessage(), e);
        }
        // A client that sends its request slowly (or never finishes it) is cut after a minute.
        if (System.getProperty("sun.net.httpserver.maxReqTime") == null) {
            System.setProperty("sun.net.httpserver.maxReqTime", "60");
        }
        TextGenerator gen = modelOptions.load();
        try {
            if (gen.tokenizer() == null) {
                throw new IllegalArgumentException("serve needs a tokenizer and the model " + modelOptions.model
                        + " has none: " + gen.tokenizerProblem());
            }
            RwkvServer server = RwkvServer.start(gen.model(), gen.tokenizer(), config);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                System.err.println("rwkv serve: stopping (running requests get up to " + shutdownGrace + " s)");
                server.shutdown();
                gen.close();
                System.err.println("rwkv serve: stopped");
            }, "rwkv-serve-shutdown"));
            System.err.println("rwkv serve: listening on http://" + host + ":" + server.port() + " (model "
                    + config.modelId() + ", " + maxStreams + " streams, " + (config.apiKey() == null ? "no API key"
                    : "API key required") + "); web chat at http://" + host + ":" + server.port() + "/");
            System.err.flush();
            server.awaitShutdown();
            return 0;
        } catch (IOException | RuntimeException | Error e) {
            gen.close();
            throw e;
        }
    }

    /** A model's name from how it was given: a hub id as is, a file or folder by its name. */
    static String defaultModelId(String model) {
        Path p = Path.of(model);
        if (!Files.exists(p) && model.contains("/")) {
            return model; // OWNER/NAME[@REVISION]
        }
        String name = p.toAbsolutePath().normalize().getFileName().toString();
        for (String ext : new String[] {".safetensors", ".pth", ".bin", ".gguf"}) {
            if (name.endsWith(ext)) {
                name = name.substring(0, name.length() - ext.length());
            }
        }
        return name;
    }
}
