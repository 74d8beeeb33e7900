package dev.rwkvjava.serve;

import com.openai.client.OpenAIClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.RateLimitException;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Many clients at once. Sixteen streaming requests decoded together (batched steps) return exactly the texts of
 * sixteen requests run one after another. Under overload every request gets either its full answer or a 429, and
 * the server's request counters agree with what the clients saw.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class ConcurrencyTest {
    static RwkvModel model;
    static Tokenizer tok = ServeTestData.bytes();

    @BeforeAll
    static void load() {
        model = ServeTestData.tinyV4();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static CompletionCreateParams params(int i, long maxTokens) {
        // Sampled, seeded: each stream draws its own random numbers, so batching must not mix them up either.
        return CompletionCreateParams.builder().model("m").prompt("Story " + i + ": once upon a time")
                .maxTokens(maxTokens).temperature(i % 2 == 0 ? 0.0 : 0.8).seed(1000L + i)
                .putAdditionalBodyProperty("ignore_eos", com.openai.core.JsonValue.from(true)).build();
    }

    private static String streamed(OpenAIClient c, CompletionCreateParams p) {
        StringBuilder sb = new StringBuilder();
        try (StreamResponse<Completion> s = c.completions().createStreaming(p)) {
            s.stream().forEach(chunk -> chunk.choices().forEach(ch -> sb.append(ch.text())));
        }
        return sb.toString();
    }

    @Test
    void sixteenConcurrentStreamsEqualSixteenSerialRuns() throws Exception {
        try (RwkvServer server = RwkvServer.start(model, tok, ServerConfig.defaults().withPort(0).withMaxStreams(16)
                .withStateCacheBytes(0))) {
            OpenAIClient c = OpenAiClientTest.client(server);
            List<String> serial = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                serial.add(streamed(c, params(i, 200)));
            }
            double stepsBefore = Http.metric(server.port(), "rwkv_batch_size_count");
            double rowsBefore = Http.metric(server.port(), "rwkv_batch_size_sum");
            ExecutorService pool = Executors.newFixedThreadPool(16);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<String>> futures = new ArrayList<>();
                for (int i = 0; i < 16; i++) {
                    int n = i;
                    futures.add(pool.submit(() -> {
                        go.await();
                        return streamed(c, params(n, 200));
                    }));
                }
                go.countDown();
                for (int i = 0; i < 16; i++) {
                    assertThat(futures.get(i).get(5, TimeUnit.MINUTES)).as("stream %d", i).isEqualTo(serial.get(i));
                }
            } finally {
                pool.shutdownNow();
            }
            double steps = Http.metric(server.port(), "rwkv_batch_size_count") - stepsBefore;
            double rows = Http.metric(server.port(), "rwkv_batch_size_sum") - rowsBefore;
            // The streams were decoded together: far fewer steps than tokens (the last token of each is sampled, not
            // fed: nothing needs the state after it).
            assertThat(rows).isEqualTo(16 * 199);
            assertThat(rows / steps).as("average batch").isGreaterThan(4);
        }
    }

    @Test
    void underOverloadEveryRequestGetsItsFullAnswerOrA429AndTheMetricsAgree() throws Exception {
        try (RwkvServer server = RwkvServer.start(model, tok, ServerConfig.defaults().withPort(0).withMaxStreams(4)
                .withQueue(4).withStateCacheBytes(0))) {
            OpenAIClient c = OpenAiClientTest.client(server);
            int requests = 40;
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                expected.add(c.completions().create(params(i, 300)).choices().getFirst().text());
            }
            double ok0 = Http.metric(server.port(), "rwkv_requests_total{endpoint=\"completions\",status=\"200\"}");
            double busy0 = Http.metric(server.port(), "rwkv_requests_total{endpoint=\"completions\",status=\"429\"}");
            ExecutorService pool = Executors.newFixedThreadPool(requests);
            int ok = 0;
            int refused = 0;
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<String>> futures = new ArrayList<>();
                for (int i = 0; i < requests; i++) {
                    int n = i;
                    futures.add(pool.submit(() -> {
                        go.await();
                        try {
                            return n % 2 == 0 ? streamed(c, params(n, 300))
                                    : c.completions().create(params(n, 300)).choices().getFirst().text();
                        } catch (RateLimitException e) {
                            assertThat(e.headers().values("Retry-After")).isNotEmpty();
                            return null;
                        }
                    }));
                }
                go.countDown();
                for (int i = 0; i < requests; i++) {
                    String got = futures.get(i).get(5, TimeUnit.MINUTES);
                    if (got == null) {
                        refused++;
                    } else {
                        assertThat(got).as("request %d", i).isEqualTo(expected.get(i));
                        ok++;
                    }
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(ok + refused).isEqualTo(requests);
            assertThat(refused).as("some were refused: 40 at once, 8 places").isPositive();
            assertThat(ok).isGreaterThanOrEqualTo(8);
            assertThat(Http.metric(server.port(), "rwkv_requests_total{endpoint=\"completions\",status=\"200\"}") - ok0)
                    .isEqualTo(ok);
            assertThat(Http.metric(server.port(), "rwkv_requests_total{endpoint=\"completions\",status=\"429\"}")
                    - busy0).isEqualTo(refused);
            assertThat(Http.metric(server.port(), "rwkv_active_streams")).isZero();
        }
    }

    @Test
    void metricsAreValidPrometheusText() throws IOException {
        try (RwkvServer server = RwkvServer.start(model, tok, ServerConfig.defaults().withPort(0))) {
            Http.post(server.port(), "/v1/completions", "{\"prompt\":\"Hi\",\"max_tokens\":5}");
            Http.post(server.port(), "/v1/completions", "{\"prompt\":5}");
            Http.Response r = Http.get(server.port(), "/metrics");
            assertThat(r.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain; version=0.0.4");
            PrometheusText.check(r.body());
            assertThat(r.body()).contains("rwkv_requests_total{endpoint=\"completions\",status=\"200\"} 1")
                    .contains("rwkv_requests_total{endpoint=\"completions\",status=\"400\"} 1")
                    .contains("rwkv_generated_tokens_total 5")
                    .contains("rwkv_time_to_first_token_seconds_count 1")
                    .contains("rwkv_token_latency_seconds_count 4");
        }
    }
}
