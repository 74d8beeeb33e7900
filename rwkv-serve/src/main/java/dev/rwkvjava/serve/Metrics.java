package dev.rwkvjava.serve;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The server's counters, gauges and histograms, written in the Prometheus text format (version 0.0.4) by
 * {@link #render()}. Updates are lock-free; the request counter's labels are bounded (a fixed set of endpoints,
 * HTTP status codes).
 */
final class Metrics {
    /** Requests by endpoint and status, key "endpoint\u0000status". */
    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    final LongAdder promptTokens = new LongAdder();
    final LongAdder promptTokensProcessed = new LongAdder();
    final LongAdder generatedTokens = new LongAdder();
    final LongAdder cancelled = new LongAdder();
    final Histogram batchSize = new Histogram(1, 2, 4, 8, 16, 32, 64, 128);
    final Histogram timeToFirstToken = new Histogram(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60);
    final Histogram tokenLatency = new Histogram(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5);
    private volatile LongSupplier queueDepth = () -> 0;
    private volatile LongSupplier activeStreams = () -> 0;
    private volatile PrefixCache cache;

    /** A request ended with this HTTP status. */
    void request(String endpoint, int status) {
        requests.computeIfAbsent(endpoint + '\u0000' + status, k -> new LongAdder()).increment();
    }

    /** Requests counted for an endpoint and status so far (for tests and tools). */
    long requests(String endpoint, int status) {
        LongAdder a = requests.get(endpoint + '\u0000' + status);
        return a == null ? 0 : a.sum();
    }

    void gauges(LongSupplier queueDepth, LongSupplier activeStreams, PrefixCache cache) {
        this.queueDepth = queueDepth;
        this.activeStreams = activeStreams;
        this.cache = cache;
    }

    /** The exposition text. */
    String render() {
        StringBuilder sb = new StringBuilder(4096);
        header(sb, "rwkv_requests_total", "counter", "HTTP requests by endpoint and status code.");
        Map<String, Long> sorted = new TreeMap<>();
        requests.forEach((k, v) -> sorted.put(k, v.sum()));
        sorted.forEach((k, v) -> {
            int sep = k.indexOf('\u0000');
            sb.append("rwkv_requests_total{endpoint=\"").append(k, 0, sep).append("\",status=\"")
                    .append(k, sep + 1, k.length()).append("\"} ").append(v).append('\n');
        });
        counter(sb, "rwkv_prompt_tokens_total", "Prompt tokens of the requests that were admitted.", promptTokens.sum());
        counter(sb, "rwkv_prompt_tokens_processed_total",
                "Prompt tokens run through the model (the rest came from the prefix cache or a passed state).",
                promptTokensProcessed.sum());
        counter(sb, "rwkv_generated_tokens_total", "Tokens generated.", generatedTokens.sum());
        counter(sb, "rwkv_cancelled_total", "Generations cut short because the client went away.", cancelled.sum());
        gauge(sb, "rwkv_queue_depth", "Requests waiting for a stream.", queueDepth.getAsLong());
        gauge(sb, "rwkv_active_streams", "Requests being processed (prompt or generation).",
                activeStreams.getAsLong());
        batchSize.render(sb, "rwkv_batch_size", "Sequences advanced together in one decode step.");
        PrefixCache c = cache;
        counter(sb, "rwkv_cache_hits_total", "Requests that started from a cached prefix state.",
                c == null ? 0 : c.hits());
        counter(sb, "rwkv_cache_misses_total", "Requests that found no cached prefix state.", c == null ? 0 : c.misses());
        counter(sb, "rwkv_cache_evictions_total", "Cached states dropped to make room.", c == null ? 0 : c.evictions());
        gauge(sb, "rwkv_cache_bytes", "Memory held by cached states.", c == null ? 0 : c.bytes());
        gauge(sb, "rwkv_cache_entries", "Cached states.", c == null ? 0 : c.entries());
        timeToFirstToken.render(sb, "rwkv_time_to_first_token_seconds",
                "From the request's arrival to its first generated token.");
        tokenLatency.render(sb, "rwkv_token_latency_seconds", "Time between consecutive tokens of a stream.");
        return sb.toString();
    }

    private static void header(StringBuilder sb, String name, String type, String help) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void counter(StringBuilder sb, String name, String help, long value) {
        header(sb, name, "counter", help);
        sb.append(name).append(' ').append(value).append('\n');
    }

    private static void gauge(StringBuilder sb, String name, String help, long value) {
        header(sb, name, "gauge", help);
        sb.append(name).append(' ').append(value).append('\n');
    }

    /** A histogram with fixed upper bounds (cumulative in the output, as Prometheus wants). */
    static final class Histogram {
        private final double[] bounds;
        private final LongAdder[] counts;
        private final LongAdder count = new LongAdder();
        private final DoubleAdder sum = new DoubleAdder();

        Histogram(double... bounds) {
            this.bounds = bounds.clone();
            this.counts = new LongAdder[bounds.length];
            for (int i = 0; i < bounds.length; i++) {
                counts[i] = new LongAdder();
            }
        }

        void observe(double v) {
            for (int i = 0; i < bounds.length; i++) {
                if (v <= bounds[i]) {
                    counts[i].increment();
                    break;
                }
            }
            count.increment();
            sum.add(v);
        }

        long count() {
            return count.sum();
        }

        double sum() {
            return sum.sum();
        }

        void render(StringBuilder sb, String name, String help) {
            header(sb, name, "histogram", help);
            long cumulative = 0;
            for (int i = 0; i < bounds.length; i++) {
                cumulative += counts[i].sum();
                sb.append(name).append("_bucket{le=\"").append(format(bounds[i])).append("\"} ").append(cumulative)
                        .append('\n');
            }
            long total = count.sum();
            sb.append(name).append("_bucket{le=\"+Inf\"} ").append(Math.max(total, cumulative)).append('\n');
            sb.append(name).append("_sum ").append(format(sum.sum())).append('\n');
            sb.append(name).append("_count ").append(total).append('\n');
        }

        private static String format(double v) {
            if (v == Math.rint(v) && Math.abs(v) < 1e15) {
                return Long.toString((long) v);
            }
            return String.format(Locale.ROOT, "%s", v);
        }
    }
}
