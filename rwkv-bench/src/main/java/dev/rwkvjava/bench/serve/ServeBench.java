package dev.rwkvjava.bench.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.serve.RwkvServer;
import dev.rwkvjava.serve.ServerConfig;
import dev.rwkvjava.synthetic.SyntheticModels;
import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tokenizer.Tokenizers;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * End-to-end measurements of {@code serve} on loopback, with a synthetic model of a real checkpoint's shape (random
 * weights written to a temporary safetensors file, loaded by the real loader) and the byte tokenizer:
 * <ol>
 *   <li>{@code decode}: aggregate decode tokens/s with 1, 4 and 16 concurrent streams: the server's generated-token
 *       counter read over a window in which every stream is generating (no prompt processing, no ramp-up), with the
 *       mean batch size of the decode steps in that window;</li>
 *   <li>{@code ttft}: time to first token of the 10th turn of a conversation of about 2,000 tokens, with the prefix
 *       cache and without. Each turn adds 180 tokens of user text and asks for a 20-token reply; each request is the
 *       whole conversation so far as token ids, as a chat client re-sends it. Replies are kept to printable ASCII
 *       (a logit bias) so that their text encodes back to the ids the server generated, as a real tokenizer's
 *       replies do. The conversation is built on the server with the cache; its last turn is then sent to it and
 *       to a server without the cache;</li>
 *   <li>{@code latency}: p50 and p99 latency of 200 requests (32-token prompt, 16 tokens generated) sent by 8
 *       clients in a closed loop.</li>
 * </ol>
 * Usage: {@code ServeBench [shape=v4-169m] [dtype=BF16] [decode,ttft,latency] [rounds=3] [seconds per decode
 * window=5]}. Every figure is printed with the machine's load average (from /proc/loadavg) when it was taken. The
 * server runs in this JVM on 127.0.0.1 with a free port; nothing else is contacted.
 */
public final class ServeBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** User text per turn and reply length of the conversation of the ttft measurement. */
    private static final int TURN_TOKENS = 180;
    private static final int REPLY_TOKENS = 20;
    private static final int TURNS = 10;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .executor(Executors.newVirtualThreadPerTaskExecutor()).connectTimeout(Duration.ofSeconds(10)).build();
    private final int rounds;
    private int port;

    private ServeBench(int rounds) {
        this.rounds = rounds;
    }

    public static void main(String[] args) throws Exception {
        String shape = args.length > 0 ? args[0] : "v4-169m";
        DType dtype = DType.valueOf(args.length > 1 ? args[1].toUpperCase(Locale.ROOT) : "BF16");
        Set<String> what = Set.of((args.length > 2 ? args[2] : "decode,ttft,latency").split(","));
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        int seconds = args.length > 4 ? Integer.parseInt(args[4]) : 5;
        Path dir = Files.createTempDirectory("serve-bench-");
        Path file = dir.resolve(shape + ".safetensors");
        try {
            SyntheticModels.write(SyntheticModels.spec(shape), dtype, 1, file);
            try (RwkvModel model = RwkvModel.load(file)) {
                ServeBench b = new ServeBench(rounds);
                System.out.printf(Locale.ROOT, "%s %s, %d threads, %s%n", shape, dtype, model.info().threads(), load());
                if (what.contains("decode")) {
                    b.decode(model, seconds);
                }
                if (what.contains("ttft")) {
                    b.firstToken(model);
                }
                if (what.contains("latency")) {
                    b.latency(model);
                }
            }
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        }
    }

    /** The load averages over 1, 5 and 15 minutes, as uptime shows them. */
    static String load() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return "load " + f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "load unknown";
        }
    }

    private RwkvServer start(RwkvModel model, ServerConfig config) throws IOException {
        RwkvServer s = RwkvServer.start(model, Tokenizers.bytes(), config.withPort(0));
        port = s.port();
        return s;
    }

    private static ObjectNode request(int[] prompt, int maxTokens, boolean stream) {
        ObjectNode o = JSON.createObjectNode();
        ArrayNode p = o.putArray("prompt");
        for (int t : prompt) {
            p.add(t);
        }
        o.put("max_tokens", maxTokens).put("temperature", 0).put("ignore_eos", true).put("stream", stream);
        return o;
    }

    private HttpRequest post(JsonNode body) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/completions"))
                .timeout(Duration.ofMinutes(10)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
    }

    private static int[] randomIds(SplittableRandom r, int n) {
        // Printable ASCII: the bytes tokenizer gives each its own text, and the text encodes back to the same ids.
        return r.ints(n, 32, 127).toArray();
    }

    /** Reads the whole /metrics text. */
    private String metrics() throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private double metric(String name) throws IOException, InterruptedException {
        return metric(metrics(), name);
    }

    /** The value of an unlabelled sample. */
    private static double metric(String text, String name) {
        for (String line : text.split("\n")) {
            if (line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(name.length() + 1));
            }
        }
        throw new IllegalStateException("no metric " + name);
    }

    /**
     * N streams that run until closed; once all N are generating, the server's counters are read twice,
     * {@code seconds} apart: the steady aggregate rate, and the mean number of streams per decode step.
     */
    private void decode(RwkvModel model, int seconds) throws Exception {
        try (RwkvServer s = start(model, ServerConfig.defaults().withMaxStreams(16).withStateCacheBytes(0)
                .withMaxTokens(100_000_000))) {
            SplittableRandom r = new SplittableRandom(1);
            for (int round = 0; round <= rounds; round++) {
                for (int streams : new int[] {1, 4, 16}) {
                    // All streams requested at once, each on a socket of its own that a reader drains until it is
                    // closed below: the server sees the connection go at its next write and frees the stream.
                    List<Socket> bodies = new CopyOnWriteArrayList<>();
                    double firstTokens = metric("rwkv_time_to_first_token_seconds_count");
                    long ramp = System.nanoTime();
                    for (int i = 0; i < streams; i++) {
                        byte[] body = request(randomIds(r, 16), 100_000_000, true).toString()
                                .getBytes(StandardCharsets.UTF_8);
                        Thread.ofVirtual().start(() -> {
                            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
                                socket.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                        + "Content-Type: application/json\r\nContent-Length: " + body.length
                                        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                                socket.getOutputStream().write(body);
                                socket.getOutputStream().flush();
                                InputStream in = socket.getInputStream();
                                if (in.read() < 0) {
                                    return;
                                }
                                bodies.add(socket);
                                in.transferTo(OutputStream.nullOutputStream());
                            } catch (IOException closed) {
                                // the socket is closed below, on purpose
                            }
                        });
                    }
                    // Every stream past its prompt (prompts are fed one chunk a step) and generating.
                    while (bodies.size() != streams || metric("rwkv_active_streams") != streams
                            || metric("rwkv_time_to_first_token_seconds_count") < firstTokens + streams) {
                        Thread.sleep(50);
                    }
                    ramp = System.nanoTime() - ramp;
                    Thread.sleep(500);
                    String m0 = metrics();
                    long t0 = System.nanoTime();
                    Thread.sleep(seconds * 1000L);
                    String m1 = metrics();
                    double dt = (System.nanoTime() - t0) / 1e9;
                    if (metric(m1, "rwkv_active_streams") != streams) {
                        throw new IllegalStateException("a stream ended early");
                    }
                    long closing = System.nanoTime();
                    for (Socket socket : bodies) {
                        socket.close();
                    }
                    while (metric("rwkv_active_streams") != 0) {
                        Thread.sleep(50);
                    }
                    closing = System.nanoTime() - closing;
                    double tokens = metric(m1, "rwkv_generated_tokens_total") - metric(m0, "rwkv_generated_tokens_total");
                    double steps = metric(m1, "rwkv_batch_size_count") - metric(m0, "rwkv_batch_size_count");
                    double rows = metric(m1, "rwkv_batch_size_sum") - metric(m0, "rwkv_batch_size_sum");
                    System.out.printf(Locale.ROOT, "%sdecode: %2d streams, %7.1f aggregate tokens/s (%.0f tokens in "
                                    + "%.2f s, mean batch %.2f; streams started in %.1f s, freed in %.1f s), %s%n",
                            round == 0 ? "warm-up " : "", streams, tokens / dt, tokens, dt, rows / steps, ramp / 1e9,
                            closing / 1e9, load());
                }
            }
        }
    }

    /**
     * The conversation of {@link #TURNS} turns, built on a server with the cache; then its last turn's time to first
     * token on that server and on one without the cache (whose answers are the same, the cache's tests show).
     */
    private void firstToken(RwkvModel model) throws Exception {
        ObjectNode bias = JSON.createObjectNode();
        for (int id = 32; id < 127; id++) {
            bias.put(Integer.toString(id), 100);
        }
        try (RwkvServer withCache = RwkvServer.start(model, Tokenizers.bytes(), ServerConfig.defaults().withPort(0));
             RwkvServer without = RwkvServer.start(model, Tokenizers.bytes(), ServerConfig.defaults().withPort(0)
                     .withStateCacheBytes(0))) {
            for (int round = 0; round <= rounds; round++) {
                port = withCache.port();
                SplittableRandom r = new SplittableRandom(2 + round);
                int[] conversation = new int[0];
                for (int turn = 1; turn < TURNS; turn++) {
                    conversation = concat(conversation, randomIds(r, TURN_TOKENS));
                    ObjectNode body = request(conversation, REPLY_TOKENS, false);
                    body.set("logit_bias", bias);
                    HttpResponse<String> resp = http.send(post(body), HttpResponse.BodyHandlers.ofString());
                    if (resp.statusCode() != 200) {
                        throw new IOException("status " + resp.statusCode() + ": " + resp.body());
                    }
                    int[] reply = Tokenizers.bytes().encode(JSON.readTree(resp.body()).at("/choices/0/text").asText());
                    if (reply.length != REPLY_TOKENS) {
                        throw new IllegalStateException("a reply of " + reply.length + " tokens");
                    }
                    conversation = concat(conversation, reply);
                }
                conversation = concat(conversation, randomIds(r, TURN_TOKENS));
                // With log-probabilities every token is an event, whether or not it makes text.
                ObjectNode last = request(conversation, 1, true).put("logprobs", 0);
                for (RwkvServer s : new RwkvServer[] {withCache, without}) {
                    port = s.port();
                    double processed0 = metric("rwkv_prompt_tokens_processed_total");
                    long t0 = System.nanoTime();
                    double ttft = (firstEvent(last) - t0) / 1e9;
                    double processed = metric("rwkv_prompt_tokens_processed_total") - processed0;
                    System.out.printf(Locale.ROOT, "%sturn %d of a %d-token conversation, cache %s: time to first "
                                    + "token %.3f s, %.0f prompt tokens fed, %s%n", round == 0 ? "warm-up " : "",
                            TURNS, conversation.length, s == withCache ? "on " : "off", ttft, processed, load());
                }
            }
        }
    }

    /** Streams a request; returns when its first event arrived ({@link System#nanoTime()}). */
    private long firstEvent(JsonNode body) throws IOException, InterruptedException {
        HttpResponse<InputStream> r = http.send(post(body), HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() != 200) {
            throw new IOException("status " + r.statusCode() + ": " + new String(r.body().readAllBytes(),
                    StandardCharsets.UTF_8));
        }
        long first = 0;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (first == 0 && line.startsWith("data: {")) {
                    first = System.nanoTime();
                }
            }
        }
        if (first == 0) {
            throw new IOException("the stream had no event");
        }
        return first;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /** 200 requests from 8 clients, each sending its next request when the last one is answered. */
    private void latency(RwkvModel model) throws Exception {
        int requests = 200;
        int clients = 8;
        for (int round = 0; round <= rounds; round++) {
            try (RwkvServer s = start(model, ServerConfig.defaults().withMaxStreams(clients).withStateCacheBytes(0))) {
                SplittableRandom r = new SplittableRandom(3 + round);
                List<JsonNode> bodies = new ArrayList<>();
                for (int i = 0; i < requests; i++) {
                    bodies.add(request(randomIds(r, 32), 16, false));
                }
                long[] latency = new long[requests];
                AtomicInteger next = new AtomicInteger();
                long t0 = System.nanoTime();
                List<Future<?>> done = new ArrayList<>();
                try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                    for (int c = 0; c < clients; c++) {
                        done.add(pool.submit(() -> {
                            for (int i = next.getAndIncrement(); i < requests; i = next.getAndIncrement()) {
                                long start = System.nanoTime();
                                HttpResponse<String> resp = http.send(post(bodies.get(i)),
                                        HttpResponse.BodyHandlers.ofString());
                                if (resp.statusCode() != 200) {
                                    throw new IOException("status " + resp.statusCode() + ": " + resp.body());
                                }
                                latency[i] = System.nanoTime() - start;
                            }
                            return null;
                        }));
                    }
                }
                for (Future<?> f : done) {
                    f.get(); // a failed request fails the measurement
                }
                double wall = (System.nanoTime() - t0) / 1e9;
                long[] sorted = latency.clone();
                Arrays.sort(sorted);
                System.out.printf(Locale.ROOT, "%slatency: %d requests (32-token prompt, 16 tokens), %d clients: "
                                + "p50 %.3f s, p99 %.3f s, %.1f requests/s, %s%n", round == 0 ? "warm-up " : "",
                        requests, clients, sorted[requests / 2 - 1] / 1e9,
                        sorted[(int) Math.ceil(requests * 0.99) - 1] / 1e9, requests / wall, load());
            }
        }
    }
}
