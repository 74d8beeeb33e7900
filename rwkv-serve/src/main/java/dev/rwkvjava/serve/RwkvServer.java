package dev.rwkvjava.serve;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.generate.ChatTemplate;
import dev.rwkvjava.state.ModelFingerprint;
import dev.rwkvjava.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Comparator;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

/**
 * An OpenAI-compatible HTTP server for one loaded model: {@code POST /v1/completions}, {@code POST
 * /v1/chat/completions} (both streamed as server-sent events with {@code "stream": true}), {@code GET /v1/models},
 * {@code GET /health} and {@code GET /metrics} (Prometheus text format); and a web chat page at {@code GET /} (its
 * assets under {@code /chat/}), served without the API key, that uses the chat endpoint.
 *
 * <p>The JDK's own {@link HttpServer}, each exchange on a virtual thread: no dependency, and a request that waits
 * for its tokens costs a few kilobytes, not a platform thread. Generation runs on the {@link Engine}'s single
 * thread, which batches every running stream into one step per token.
 *
 * <pre>{@code
 * try (RwkvServer server = RwkvServer.start(model, tokenizer, ServerConfig.defaults().withPort(0))) {
 *     System.out.println("listening on " + server.port());
 *     server.awaitShutdown();
 * }
 * }</pre>
 *
 * The server does not own the model: close the model after the server.
 */
public final class RwkvServer implements AutoCloseable {
    private final ServerConfig config;
    private final HttpServer http;
    private final ExecutorService executor;
    private final Engine engine;
    private final Api api;
    private final Metrics metrics = new Metrics();
    private final PrefixCache cache;
    private final Path stateDir;
    private final byte[] keyHash;
    private final int maxBody;
    private final String fingerprint;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean draining;

    private RwkvServer(RwkvModel model, Tokenizer tokenizer, ServerConfig config) throws IOException {
        this.config = config;
        this.keyHash = config.apiKey() == null ? null : sha256(config.apiKey());
        this.cache = config.stateCacheBytes() > 0 ? new PrefixCache(config.stateCacheBytes()) : null;
        this.stateDir = Files.createTempDirectory("rwkv-serve-");
        StateCodec states = new StateCodec(model, stateDir);
        this.maxBody = config.maxBodyBytes() > 0 ? config.maxBodyBytes()
                : (int) Math.min(Integer.MAX_VALUE - 16, (1 << 20) + states.maxEncodedChars() * 2);
        this.fingerprint = ModelFingerprint.of(model).tensorsHash();
        this.engine = new Engine(model, tokenizer, cache, metrics, config.maxStreams(), config.queue(),
                config.snapshotInterval());
        ChatTemplate template = config.template() != null ? config.template() : ChatTemplate.defaultFor(tokenizer);
        this.api = new Api(engine, tokenizer, model.vocabSize(), config, states, template,
                new Replier(engine, states, config.queueTimeout()));
        this.executor = Executors.newVirtualThreadPerTaskExecutor();
        HttpServer h;
        try {
            h = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 256);
        } catch (IOException e) {
            engine.close();
            throw new IOException("cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage(), e);
        }
        this.http = h;
        http.setExecutor(executor);
        http.createContext("/", this::handle);
    }

    /**
     * Starts a server for a model; it serves until shut down.
     *
     * @param model     the model
     * @param tokenizer the model's tokenizer
     * @param config    address, limits and defaults
     * @return the running server
     * @throws IOException when it cannot listen on the address
     */
    public static RwkvServer start(RwkvModel model, Tokenizer tokenizer, ServerConfig config) throws IOException {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(config, "config");
        if (tokenizer == null) {
            throw new IllegalArgumentException("serving needs the model's tokenizer: give one with --tokenizer");
        }
        RwkvServer s = new RwkvServer(model, tokenizer, config);
        s.http.start();
        return s;
    }

    /** {@return the port it listens on (the one picked when the configuration said 0)} */
    public int port() {
        return http.getAddress().getPort();
    }

    /** {@return how it runs} */
    public ServerConfig config() {
        return config;
    }

    /** {@return the largest request body accepted, in bytes} */
    public int maxBodyBytes() {
        return maxBody;
    }

    private void handle(HttpExchange ex) {
        String path = ex.getRequestURI().getPath();
        String endpoint = endpoint(path);
        long received = System.nanoTime();
        try {
            route(ex, path, received);
        } catch (ApiException e) {
            try {
                HttpIo.sendError(ex, e);
            } catch (IOException | RuntimeException gone) {
                // the client went away; the status below is still what it was told
            }
        } catch (IOException gone) {
            // the client went away mid-response
        } catch (RuntimeException e) {
            System.err.println("rwkv serve: internal error on " + path + ": " + e);
            try {
                HttpIo.sendError(ex, ApiException.internal("internal error: " + e.getClass().getSimpleName()));
            } catch (IOException | RuntimeException gone) {
                // nothing more to tell
            }
        } finally {
            int status = ex.getResponseCode();
            metrics.request(endpoint, status < 0 ? 499 : status);
            ex.close();
        }
    }

    private void route(HttpExchange ex, String path, long received) throws IOException {
        String method = ex.getRequestMethod();
        if (path.equals("/health")) {
            requireMethod(ex, "GET");
            ObjectNode o = HttpIo.JSON.createObjectNode();
            o.put("status", draining ? "stopping" : "ok");
            HttpIo.sendJson(ex, draining ? 503 : 200, o);
            return;
        }
        if (ChatPage.owns(path)) {
            // The page holds nothing secret; the API calls it makes carry the key.
            requireMethod(ex, "GET");
            ChatPage.send(ex, path);
            return;
        }
        authorize(ex);
        if (draining) {
            throw ApiException.unavailable("the server is shutting down");
        }
        switch (path) {
            case "/metrics" -> {
                requireMethod(ex, "GET");
                HttpIo.send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", HttpIo.utf8(metrics.render()));
            }
            case "/v1/models" -> {
                requireMethod(ex, "GET");
                ObjectNode o = HttpIo.JSON.createObjectNode();
                o.put("object", "list");
                ArrayNode data = o.putArray("data");
                data.add(modelObject());
                HttpIo.sendJson(ex, 200, o);
            }
            case "/v1/completions" -> {
                requireMethod(ex, "POST");
                api.completions(ex, HttpIo.parseObject(HttpIo.readBody(ex, maxBody)), received);
            }
            case "/v1/chat/completions" -> {
                requireMethod(ex, "POST");
                api.chat(ex, HttpIo.parseObject(HttpIo.readBody(ex, maxBody)), received);
            }
            default -> {
                if (path.startsWith("/v1/models/") && method.equals("GET")) {
                    String id = path.substring("/v1/models/".length());
                    if (!id.equals(config.modelId())) {
                        throw ApiException.notFound("no model '" + Fields.abbreviate(id) + "'; this server has '"
                                + config.modelId() + "'");
                    }
                    HttpIo.sendJson(ex, 200, modelObject());
                    return;
                }
                throw ApiException.notFound("no endpoint " + method + " " + Fields.abbreviate(path));
            }
        }
    }

    private ObjectNode modelObject() {
        ObjectNode m = HttpIo.JSON.createObjectNode();
        m.put("id", config.modelId());
        m.put("object", "model");
        m.put("created", 0);
        m.put("owned_by", "rwkv-java");
        m.put("fingerprint", fingerprint);
        return m;
    }

    private static void requireMethod(HttpExchange ex, String method) {
        if (!ex.getRequestMethod().equals(method)) {
            ex.getResponseHeaders().set("Allow", method);
            throw ApiException.methodNotAllowed(ex.getRequestMethod(), ex.getRequestURI().getPath(), method);
        }
    }

    /** With a key configured: the Bearer token must match it, compared in constant time (as SHA-256 digests). */
    private void authorize(HttpExchange ex) {
        if (keyHash == null) {
            return;
        }
        String h = ex.getRequestHeaders().getFirst("Authorization");
        String given = h != null && h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).strip() : "";
        if (!MessageDigest.isEqual(keyHash, sha256(given))) {
            throw ApiException.unauthorized();
        }
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from this JVM", e);
        }
    }

    /** The endpoint label of a path for the request counter (a fixed set, so the metric stays small). */
    static String endpoint(String path) {
        return switch (path) {
            case "/v1/completions" -> "completions";
            case "/v1/chat/completions" -> "chat_completions";
            case "/v1/models" -> "models";
            case "/health" -> "health";
            case "/metrics" -> "metrics";
            case "/" -> "page";
            default -> path.startsWith(ChatPage.ASSET_PREFIX) ? "page"
                    : path.startsWith("/v1/models/") ? "models" : "other";
        };
    }

    /** {@return the current metrics in the Prometheus text format} */
    public String metricsText() {
        return metrics.render();
    }

    /**
     * Stops gracefully: no new connection is accepted and waiting requests get a 503, running ones may finish
     * within the configured grace period, then everything is closed. Safe to call more than once.
     */
    public void shutdown() {
        synchronized (this) {
            if (draining) {
                awaitShutdown();
                return;
            }
            draining = true;
        }
        engine.stopAccepting();
        // Closes the listening socket at once, then waits for the running exchanges (at most the grace period).
        http.stop((int) Math.min(Integer.MAX_VALUE, (config.shutdownGrace().toMillis() + 999) / 1000));
        finish();
    }

    /** Blocks until the server has stopped. */
    public void awaitShutdown() {
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops at once: running requests are cut. */
    @Override
    public void close() {
        synchronized (this) {
            if (stopped.getCount() == 0) {
                return;
            }
            draining = true;
        }
        engine.stopAccepting();
        http.stop(0);
        finish();
    }

    private synchronized void finish() {
        if (stopped.getCount() == 0) {
            return;
        }
        engine.close();
        executor.shutdownNow();
        deleteStateDir();
        stopped.countDown();
    }

    private void deleteStateDir() {
        try (Stream<Path> files = Files.walk(stateDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException | UncheckedIOException ignored) {
            // best effort
        }
    }
}
