package dev.rwkvjava.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rwkvjava.RwkvModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Limits and faults: the API key, unknown paths and methods, body and prompt and max_tokens caps, fields of the
 * wrong type (a 400 naming the field), overload (429 with Retry-After), a wait that is too long, clients that go
 * away (their generation stops and frees its stream), and a graceful shutdown that lets a running stream finish.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ServerLimitsTest {
    /** Tokens of a generation that outlasts every test step (the tiny model makes thousands a second). */
    static final int LONG = 1_000_000;
    static RwkvModel model;
    static RwkvServer server;
    static int port;

    /** A long generation: the tiny model never stops by itself with ignore_eos. */
    static String longStream(int tokens, boolean stream) {
        return "{\"model\":\"m\",\"prompt\":\"Once\",\"max_tokens\":" + tokens + ",\"ignore_eos\":true,\"stream\":"
                + stream + "}";
    }

    @BeforeAll
    static void start() throws IOException {
        model = ServeTestData.tinyV4();
        server = RwkvServer.start(model, ServeTestData.bytes(), ServerConfig.defaults().withPort(0)
                .withMaxBodyBytes(4096).withMaxPromptTokens(100).withMaxTokens(LONG).withMaxStreams(2).withQueue(1)
                .withQueueTimeout(Duration.ofSeconds(5)));
        port = server.port();
        warmUp(port);
    }

    /**
     * Runs two generations side by side, so that the batched step is compiled before the timing-sensitive tests (the
     * vector kernels are very slow until the JIT has compiled them).
     */
    static void warmUp(int port) {
        List<CompletableFuture<Http.Response>> w = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            w.add(CompletableFuture.supplyAsync(() -> Http.post(port, "/v1/completions", longStream(3000, false))));
        }
        w.forEach(f -> assertThat(f.join().status()).isEqualTo(200));
    }

    /** Every test leaves the server idle. */
    @AfterEach
    void idle() throws InterruptedException {
        Http.awaitMetric(port, "rwkv_active_streams", 0);
        Http.awaitMetric(port, "rwkv_queue_depth", 0);
    }

    @AfterAll
    static void stop() {
        server.close();
        model.close();
    }

    private static void assertError(Http.Response r, int status, String param, String text) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        JsonNode e = r.json().get("error");
        assertThat(e).as(r.body()).isNotNull();
        assertThat(e.get("message").asText()).contains(text);
        assertThat(e.has("type") && e.has("param") && e.has("code")).isTrue();
        if (param != null) {
            assertThat(e.get("param").asText()).isEqualTo(param);
        }
    }

    @Test
    void fieldsOfTheWrongTypeOrRangeAreNamed() {
        String p = "/v1/completions";
        assertError(Http.post(port, p, "{\"prompt\":\"x\",\"max_tokens\":\"ten\"}"), 400, "max_tokens", "integer");
        assertError(Http.post(port, p, "{\"prompt\":\"x\",\"max_tokens\":" + (LONG + 1) + "}"), 400, "max_tokens", "" + LONG);
        assertError(Http.post(port, p, "{\"prompt\":\"x\",\"max_tokens\":1e999}"), 400, "max_tokens", "integer");
        assertError(Http.post(port, p, "{\"prompt\":\"x\",\"max_tokens\":123456789012345678901234567890}"), 400,
                "max_tokens", "between");
        assertError(Http.post(port, p, "{\"prompt\":\"x\",\"temperature\":\"hot\"}"), 400, "temperature", "number");
        assertError(Http.post(port, p, "{\"prompt\":\"x\",\"top_p\":1.5}"), 400, "top_p", "between");
        assertError(Http.post(port, p, "{\"prompt\":\"x\",\"stop\":[1]}"), 400, "stop", "string");
        assertError(Http.post(port, p, "{\"prompt\":\"x\",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}"), 400, "stop",
                "at most 4");
        assertError(Http.post(port, p, "{\"prompt\":\"x\",\"logit_bias\":{\"abc\":1}}"), 400, "logit_bias", "token");
        assertError(Http.post(port, p, "{\"prompt\":\"x\",\"logit_bias\":{\"300\":1}}"), 400, "logit_bias", "range");
        assertError(Http.post(port, p, "{\"prompt\":\"x\",\"n\":3}"), 400, "n", "between 1 and 1");
        assertError(Http.post(port, p, "{\"prompt\":\"x\",\"stream\":\"yes\"}"), 400, "stream", "true or false");
        assertError(Http.post(port, p, "{\"prompt\":[\"a\",\"b\"]}"), 400, "prompt", "one prompt");
        assertError(Http.post(port, p, "{\"prompt\":[1,2,256]}"), 400, "prompt[2]", "between 0 and 255");
        assertError(Http.post(port, p, "{\"prompt\":\"\"}"), 400, "prompt", "empty");
        assertError(Http.post(port, p, "{}"), 400, "prompt", "required");
        assertError(Http.post(port, p, "{\"prompt\":\"" + "a".repeat(101) + "\"}"), 400, "prompt", "at most 100");
        assertError(Http.post(port, p, "{\"prompt\":\"x\",\"rwkv\":{\"state\":5}}"), 400, "rwkv.state", "string");
        assertError(Http.post(port, p, "{\"prompt\":\"x\",\"tools\":[]}"), 400, "tools", "not supported");
        assertError(Http.post(port, p, "{\"prompt\":\"x\""), 400, null, "not valid JSON");
        assertError(Http.post(port, p, "[1,2]"), 400, null, "JSON object");
        String c = "/v1/chat/completions";
        assertError(Http.post(port, c, "{\"messages\":\"hi\"}"), 400, "messages", "non-empty array");
        assertError(Http.post(port, c, "{\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}"), 400,
                "messages[0].role", "system, developer, user or assistant");
        assertError(Http.post(port, c, "{\"messages\":[{\"role\":\"user\",\"content\":7}]}"), 400,
                "messages[0].content", "string");
        assertError(Http.post(port, c, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"}]}]}"),
                400, "messages[0].content[0]", "only text");
        assertError(Http.post(port, c, "{\"messages\":[{\"role\":\"user\",\"content\":\"" + "a".repeat(120) + "\"}]}"),
                400, "messages", "more than 100 tokens");
        assertError(Http.post(port, c, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"top_logprobs\":2}"),
                400, "top_logprobs", "needs 'logprobs'");
    }

    @Test
    void bodiesPathsAndMethods() {
        assertError(Http.post(port, "/v1/completions", "{\"prompt\":\"" + "a".repeat(5000) + "\"}"), 413, null,
                "limit");
        assertError(Http.get(port, "/v1/nothing"), 404, null, "no endpoint");
        Http.Response r = Http.get(port, "/v1/completions");
        assertError(r, 405, null, "use POST");
        assertThat(r.headers().firstValue("Allow")).hasValue("POST");
        Http.Response h = Http.get(port, "/health");
        assertThat(h.status()).isEqualTo(200);
        assertThat(h.json().get("status").asText()).isEqualTo("ok");
        // The server still answers normally.
        Http.Response ok = Http.post(port, "/v1/completions", "{\"prompt\":\"Hi\",\"max_tokens\":3}");
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);
        assertThat(ok.json().at("/usage/completion_tokens").asInt()).isBetween(0, 3);
    }

    @Test
    void anApiKeyIsRequiredAndCompared() throws IOException {
        try (RwkvServer keyed = RwkvServer.start(model, ServeTestData.bytes(),
                ServerConfig.defaults().withPort(0).withApiKey("s3cret"))) {
            int kp = keyed.port();
            assertError(Http.get(kp, "/v1/models"), 401, null, "API key");
            assertError(Http.get(kp, "/v1/models", "Authorization", "Bearer s3cre"), 401, null, "API key");
            assertError(Http.get(kp, "/v1/models", "Authorization", "Bearer s3cret2"), 401, null, "API key");
            assertError(Http.post(kp, "/v1/completions", "{\"prompt\":\"x\"}", "Authorization", "Basic s3cret"), 401,
                    null, "API key");
            assertThat(Http.get(kp, "/v1/models", "Authorization", "Bearer s3cret").status()).isEqualTo(200);
            assertThat(Http.get(kp, "/metrics", "Authorization", "Bearer s3cret").status()).isEqualTo(200);
            assertThat(Http.get(kp, "/health").status()).isEqualTo(200); // probes carry no key
        }
    }

    @Test
    void overloadIsA429WithRetryAfterAndDroppedClientsFreeTheirStreams() throws Exception {
        // Two streams and one queue place: three long requests fill them, the fourth is refused.
        List<Socket> clients = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            clients.add(Http.open(port, "/v1/completions", longStream(LONG, true)));
        }
        Http.awaitMetric(port, "rwkv_active_streams", 2);
        Http.awaitMetric(port, "rwkv_queue_depth", 1);
        Http.Response r = Http.post(port, "/v1/completions", longStream(5, false));
        assertError(r, 429, null, "busy");
        assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
        // The two running clients (those that got an answer; which two is up to the scheduler) read a little and go
        // away; the waiting one is admitted, then goes too.
        double cancelledBefore = Http.metric(port, "rwkv_cancelled_total");
        List<Socket> running = answered(clients, 2);
        for (Socket s : running) {
            assertThat(Http.readUntil(s, "data: ")).contains("200");
            s.close();
        }
        clients.removeAll(running);
        Socket third = answered(clients, 1).getFirst();
        assertThat(Http.readUntil(third, "data: ")).contains("200");
        third.close();
        Http.awaitMetric(port, "rwkv_active_streams", 0);
        assertThat(Http.metric(port, "rwkv_cancelled_total")).isEqualTo(cancelledBefore + 3);
        // A whole (not streamed) response finds out too, through the spaces it sends while it waits.
        Socket whole = Http.open(port, "/v1/completions", longStream(LONG, false));
        Http.awaitMetric(port, "rwkv_active_streams", 1);
        assertThat(Http.readUntil(whole, "1\r\n \r\n")).contains("200"); // the first space, in its chunk
        whole.close();
        Http.awaitMetric(port, "rwkv_active_streams", 0);
        assertThat(Http.metric(port, "rwkv_cancelled_total")).isEqualTo(cancelledBefore + 4);
    }

    /**
     * A stream whose tokens make no text (a model with more ids than its tokenizer has bytes for, every token pushed to
     * one such id) writes no events, yet still finds out that its client went away: it writes a comment after a
     * second without a write.
     */
    @Test
    void aStreamOfTokensWithoutTextNoticesItsClientLeaving(@TempDir Path dir) throws Exception {
        try (RwkvModel world = RwkvModel.load(ServeTestData.worldModel(dir));
             RwkvServer s = RwkvServer.start(world, ServeTestData.bytes(), ServerConfig.defaults().withPort(0)
                     .withMaxTokens(LONG))) {
            int p = s.port();
            Socket client = Http.open(p, "/v1/completions", "{\"prompt\":\"Once\",\"max_tokens\":" + LONG
                    + ",\"ignore_eos\":true,\"stream\":true,\"logit_bias\":{\"300\":100}}");
            assertThat(Http.readUntil(client, ": keep-alive")).startsWith("HTTP/1.1 200").doesNotContain("data: ");
            assertThat(Http.metric(p, "rwkv_generated_tokens_total")).isPositive();
            client.close();
            Http.awaitMetric(p, "rwkv_active_streams", 0);
            assertThat(Http.metric(p, "rwkv_cancelled_total")).isEqualTo(1);
        }
    }

    /** Waits (at most 30 s) until {@code n} of the connections have response bytes to read, and returns them. */
    private static List<Socket> answered(List<Socket> sockets, int n) throws IOException, InterruptedException {
        long end = System.nanoTime() + 30_000_000_000L;
        while (true) {
            List<Socket> out = new ArrayList<>();
            for (Socket s : sockets) {
                if (s.getInputStream().available() > 0) {
                    out.add(s);
                }
            }
            if (out.size() >= n) {
                return out;
            }
            if (System.nanoTime() > end) {
                throw new AssertionError(out.size() + " of " + sockets.size() + " connections answered, expected " + n);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void aRequestThatWaitsTooLongGetsA429() throws Exception {
        List<Socket> busy = new ArrayList<>();
        try {
            busy.add(Http.open(port, "/v1/completions", longStream(LONG, true)));
            busy.add(Http.open(port, "/v1/completions", longStream(LONG, true)));
            Http.awaitMetric(port, "rwkv_active_streams", 2);
            long t0 = System.nanoTime();
            Http.Response r = Http.post(port, "/v1/completions", longStream(5, false));
            assertError(r, 429, null, "waited 5 s");
            assertThat((System.nanoTime() - t0) / 1e9).isBetween(4.9, 30.0);
            Http.awaitMetric(port, "rwkv_queue_depth", 0);
        } finally {
            for (Socket s : busy) {
                s.close();
            }
            Http.awaitMetric(port, "rwkv_active_streams", 0);
        }
    }

    @Test
    void shutdownLetsRunningStreamsFinishAndRefusesNewConnections() throws Exception {
        RwkvModel m = ServeTestData.tinyV4();
        RwkvServer s = RwkvServer.start(m, ServeTestData.bytes(), ServerConfig.defaults().withPort(0)
                .withShutdownGrace(Duration.ofSeconds(60)));
        int sp = s.port();
        try {
            CompletableFuture<Http.Response> running = CompletableFuture.supplyAsync(
                    () -> Http.post(sp, "/v1/completions", longStream(300, true)));
            Http.awaitMetric(sp, "rwkv_active_streams", 1);
            Thread stopper = Thread.ofPlatform().start(s::shutdown);
            Http.Response r = running.get(120, TimeUnit.SECONDS);
            List<String> events = r.events();
            assertThat(events.getLast()).isEqualTo("[DONE]");
            JsonNode last = Http.JSON.readTree(events.get(events.size() - 2));
            assertThat(last.at("/choices/0/finish_reason").asText()).isEqualTo("length");
            assertThat(last.at("/usage/completion_tokens").asInt()).isEqualTo(300);
            stopper.join(60_000);
            assertThatThrownBy(() -> Http.get(sp, "/health")).hasCauseInstanceOf(ConnectException.class);
        } finally {
            s.close();
            m.close();
        }
    }
}
