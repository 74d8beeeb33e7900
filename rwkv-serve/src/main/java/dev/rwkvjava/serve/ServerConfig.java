package dev.rwkvjava.serve;

import dev.rwkvjava.generate.ChatTemplate;

import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link RwkvServer} runs. Immutable; start from {@link #defaults()} and change what you need.
 *
 * @param host             address to bind (loopback unless told otherwise)
 * @param port             TCP port; 0 picks a free one (see {@link RwkvServer#port()})
 * @param apiKey           when set, every request but {@code /health} needs {@code Authorization: Bearer KEY}
 * @param maxStreams       requests generating at once (decoded together, one batched step per token)
 * @param queue            requests waiting for a stream; beyond this, 429
 * @param stateCacheBytes  memory for the prefix-state cache (0 turns it off)
 * @param maxBodyBytes     largest request body; 0 sizes it to hold a passed state of the model with room to spare
 * @param maxPromptTokens  longest prompt (conversation) in tokens
 * @param maxTokens        largest {@code max_tokens}, and the default of chat requests that give none
 * @param queueTimeout     how long a request may wait for a stream before it gets a 429
 * @param shutdownGrace    on shutdown, how long running requests may go on before they are cut
 * @param modelId          the model's name in {@code /v1/models} and in responses
 * @param template         the chat format, or null for the model family's default
 * @param snapshotInterval the prefix cache keeps a state every this many prompt tokens (and at each prompt's and
 *                         reply's end)
 */
public record ServerConfig(String host, int port, String apiKey, int maxStreams, int queue, long stateCacheBytes,
                           int maxBodyBytes, int maxPromptTokens, int maxTokens, Duration queueTimeout,
                           Duration shutdownGrace, String modelId, ChatTemplate template, int snapshotInterval) {

    /**
     * A configuration.
     *
     * @throws IllegalArgumentException when a number is out of range
     */
    public ServerConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(queueTimeout, "queueTimeout");
        Objects.requireNonNull(shutdownGrace, "shutdownGrace");
        Objects.requireNonNull(modelId, "modelId");
        check(port >= 0 && port <= 65535, "port must be between 0 and 65535, got " + port);
        check(apiKey == null || !apiKey.isEmpty(), "the API key must not be empty");
        check(maxStreams >= 1 && maxStreams <= 1024, "max streams must be between 1 and 1024, got " + maxStreams);
        check(queue >= 0 && queue <= 100_000, "queue must be between 0 and 100000, got " + queue);
        check(stateCacheBytes >= 0, "state cache size must be >= 0, got " + stateCacheBytes);
        check(maxBodyBytes >= 0, "max body size must be >= 0, got " + maxBodyBytes);
        check(maxPromptTokens >= 1, "max prompt tokens must be >= 1, got " + maxPromptTokens);
        check(maxTokens >= 1, "max tokens must be >= 1, got " + maxTokens);
        check(!queueTimeout.isNegative() && !queueTimeout.isZero(), "queue timeout must be positive");
        check(!shutdownGrace.isNegative(), "shutdown grace must be >= 0");
        check(snapshotInterval >= 1, "snapshot interval must be >= 1, got " + snapshotInterval);
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /**
     * {@return loopback port 8080, no key, 16 streams, 64 queued, a 512 MB cache, 16384-token prompts, 4096-token replies}
     */
    public static ServerConfig defaults() {
        return new ServerConfig("127.0.0.1", 8080, null, 16, 64, 512L << 20, 0, 16384, 4096,
                Duration.ofSeconds(120), Duration.ofSeconds(30), "rwkv", null, 256);
    }

    /**
     * This configuration with another address to bind.
     *
     * @param v the host name or address
     * @return the new configuration
     */
    public ServerConfig withHost(String v) {
        return new ServerConfig(v, port, apiKey, maxStreams, queue, stateCacheBytes, maxBodyBytes, maxPromptTokens,
                maxTokens, queueTimeout, shutdownGrace, modelId, template, snapshotInterval);
    }

    /**
     * This configuration with another port.
     *
     * @param v the TCP port, 0 for a free one
     * @return the new configuration
     */
    public ServerConfig withPort(int v) {
        return new ServerConfig(host, v, apiKey, maxStreams, queue, stateCacheBytes, maxBodyBytes, maxPromptTokens,
                maxTokens, queueTimeout, shutdownGrace, modelId, template, snapshotInterval);
    }

    /**
     * This configuration with another API key.
     *
     * @param v the key every request but {@code /health} must carry, or null for none
     * @return the new configuration
     */
    public ServerConfig withApiKey(String v) {
        return new ServerConfig(host, port, v, maxStreams, queue, stateCacheBytes, maxBodyBytes, maxPromptTokens,
                maxTokens, queueTimeout, shutdownGrace, modelId, template, snapshotInterval);
    }

    /**
     * This configuration with another number of streams.
     *
     * @param v requests generating at once
     * @return the new configuration
     */
    public ServerConfig withMaxStreams(int v) {
        return new ServerConfig(host, port, apiKey, v, queue, stateCacheBytes, maxBodyBytes, maxPromptTokens,
                maxTokens, queueTimeout, shutdownGrace, modelId, template, snapshotInterval);
    }

    /**
     * This configuration with another queue length.
     *
     * @param v requests waiting for a stream
     * @return the new configuration
     */
    public ServerConfig withQueue(int v) {
        return new ServerConfig(host, port, apiKey, maxStreams, v, stateCacheBytes, maxBodyBytes, maxPromptTokens,
                maxTokens, queueTimeout, shutdownGrace, modelId, template, snapshotInterval);
    }

    /**
     * This configuration with another prefix-state cache size.
     *
     * @param v bytes for the cache (0 turns it off)
     * @return the new configuration
     */
    public ServerConfig withStateCacheBytes(long v) {
        return new ServerConfig(host, port, apiKey, maxStreams, queue, v, maxBodyBytes, maxPromptTokens,
                maxTokens, queueTimeout, shutdownGrace, modelId, template, snapshotInterval);
    }

    /**
     * This configuration with another largest request body.
     *
     * @param v bytes, or 0 to size it to the model's state
     * @return the new configuration
     */
    public ServerConfig withMaxBodyBytes(int v) {
        return new ServerConfig(host, port, apiKey, maxStreams, queue, stateCacheBytes, v, maxPromptTokens,
                maxTokens, queueTimeout, shutdownGrace, modelId, template, snapshotInterval);
    }

    /**
     * This configuration with another longest prompt.
     *
     * @param v tokens
     * @return the new configuration
     */
    public ServerConfig withMaxPromptTokens(int v) {
        return new ServerConfig(host, port, apiKey, maxStreams, queue, stateCacheBytes, maxBodyBytes, v,
                maxTokens, queueTimeout, shutdownGrace, modelId, template, snapshotInterval);
    }

    /**
     * This configuration with another largest {@code max_tokens}.
     *
     * @param v tokens
     * @return the new configuration
     */
    public ServerConfig withMaxTokens(int v) {
        return new ServerConfig(host, port, apiKey, maxStreams, queue, stateCacheBytes, maxBodyBytes, maxPromptTokens,
                v, queueTimeout, shutdownGrace, modelId, template, snapshotInterval);
    }

    /**
     * This configuration with another queue timeout.
     *
     * @param v how long a request may wait for a stream
     * @return the new configuration
     */
    public ServerConfig withQueueTimeout(Duration v) {
        return new ServerConfig(host, port, apiKey, maxStreams, queue, stateCacheBytes, maxBodyBytes, maxPromptTokens,
                maxTokens, v, shutdownGrace, modelId, template, snapshotInterval);
    }

    /**
     * This configuration with another shutdown grace period.
     *
     * @param v how long running requests may go on after shutdown begins
     * @return the new configuration
     */
    public ServerConfig withShutdownGrace(Duration v) {
        return new ServerConfig(host, port, apiKey, maxStreams, queue, stateCacheBytes, maxBodyBytes, maxPromptTokens,
                maxTokens, queueTimeout, v, modelId, template, snapshotInterval);
    }

    /**
     * This configuration with another model name.
     *
     * @param v the name in {@code /v1/models} and in responses
     * @return the new configuration
     */
    public ServerConfig withModelId(String v) {
        return new ServerConfig(host, port, apiKey, maxStreams, queue, stateCacheBytes, maxBodyBytes, maxPromptTokens,
                maxTokens, queueTimeout, shutdownGrace, v, template, snapshotInterval);
    }

    /**
     * This configuration with another chat template.
     *
     * @param v the chat format, or null for the model family's default
     * @return the new configuration
     */
    public ServerConfig withTemplate(ChatTemplate v) {
        return new ServerConfig(host, port, apiKey, maxStreams, queue, stateCacheBytes, maxBodyBytes, maxPromptTokens,
                maxTokens, queueTimeout, shutdownGrace, modelId, v, snapshotInterval);
    }

    /**
     * This configuration with another snapshot interval.
     *
     * @param v prompt tokens between the states the prefix cache keeps
     * @return the new configuration
     */
    public ServerConfig withSnapshotInterval(int v) {
        return new ServerConfig(host, port, apiKey, maxStreams, queue, stateCacheBytes, maxBodyBytes, maxPromptTokens,
                maxTokens, queueTimeout, shutdownGrace, modelId, template, v);
    }

    /** Without the key, for logs. */
    @Override
    public String toString() {
        return "ServerConfig[" + host + ":" + port + ", key " + (apiKey == null ? "none" : "set") + ", streams "
                + maxStreams + ", queue " + queue + ", cache " + (stateCacheBytes >> 20) + " MB, prompt <= "
                + maxPromptTokens + ", max_tokens <= " + maxTokens + "]";
    }
}
