package dev.rwkvjava.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.generate.GenerationConfig;
import dev.rwkvjava.generate.GenerationResult;
import dev.rwkvjava.generate.Session;
import dev.rwkvjava.state.State;
import dev.rwkvjava.state.StateFile;
import dev.rwkvjava.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The prefix-state cache and state passing. A 10-turn chat through the OpenAI client gives identical answers with the
 * cache on and off, and with the cache each turn feeds only its new tokens (everything up to the previous reply's end
 * is cached). A returned state continues a conversation exactly as one session would; a bad state is a 400.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class CacheAndStateTest {
    @TempDir
    static Path tmp;
    static RwkvModel model;
    static Tokenizer tok = ServeTestData.bytes();
    static RwkvServer cached;
    static RwkvServer uncached;

    @BeforeAll
    static void start() throws Exception {
        model = ServeTestData.tinyV4();
        cached = RwkvServer.start(model, tok, ServerConfig.defaults().withPort(0).withStateCacheBytes(64 << 20)
                .withSnapshotInterval(64));
        uncached = RwkvServer.start(model, tok, ServerConfig.defaults().withPort(0).withStateCacheBytes(0));
    }

    @AfterAll
    static void stop() {
        cached.close();
        uncached.close();
        model.close();
    }

    private record Turn(String answer, long promptTokens, long completionTokens, long cachedTokens, double processed) {
    }

    private static List<Turn> chat(RwkvServer server, List<String> questions) {
        OpenAIClient c = OpenAiClientTest.client(server);
        ChatCompletionCreateParams.Builder p = ChatCompletionCreateParams.builder().model("m")
                .addSystemMessage("You are a helpful assistant.").maxCompletionTokens(24).temperature(0.0);
        List<Turn> turns = new ArrayList<>();
        for (String q : questions) {
            p.addUserMessage(q);
            double before = Http.metric(server.port(), "rwkv_prompt_tokens_processed_total");
            ChatCompletion r = c.chat().completions().create(p.build());
            double processed = Http.metric(server.port(), "rwkv_prompt_tokens_processed_total") - before;
            String answer = r.choices().getFirst().message().content().orElseThrow();
            var u = r.usage().orElseThrow();
            turns.add(new Turn(answer, u.promptTokens(), u.completionTokens(),
                    u.promptTokensDetails().flatMap(d -> d.cachedTokens()).orElse(-1L), processed));
            p.addAssistantMessage(answer);
        }
        return turns;
    }

    @Test
    void aTenTurnChatIsTheSameWithAndWithoutTheCacheAndFeedsOnlyNewTokens() {
        List<String> questions = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            questions.add("Question number " + i + ": what comes next in the story?");
        }
        List<Turn> on = chat(cached, questions);
        List<Turn> off = chat(uncached, questions);
        int fullReuse = 0;
        for (int i = 0; i < questions.size(); i++) {
            Turn a = on.get(i);
            Turn b = off.get(i);
            assertThat(a.answer()).as("turn %d", i).isEqualTo(b.answer());
            assertThat(a.promptTokens()).isEqualTo(b.promptTokens());
            assertThat(b.cachedTokens()).isZero();
            assertThat(b.processed()).isEqualTo((double) b.promptTokens());
            // With the cache only the tokens after the cached prefix are fed.
            assertThat(a.processed()).as("turn %d", i).isEqualTo((double) (a.promptTokens() - a.cachedTokens()));
            if (i > 0) {
                Turn prev = on.get(i - 1);
                // The previous reply's state is found when the reply, written back as text, gives its tokens again
                // (it does here when the model began it with a space, as the chat format writes it); otherwise the
                // previous prompt's state is.
                boolean roundTrips = Character.isWhitespace(prev.answer().charAt(0)) && !prev.answer().contains("\uFFFD");
                long expected = prev.promptTokens() + (roundTrips ? prev.completionTokens() : 0);
                assertThat(a.cachedTokens()).as("turn %d: %s", i, prev.answer()).isEqualTo(expected);
                fullReuse += roundTrips ? 1 : 0;
            }
        }
        assertThat(fullReuse).as("turns that reused the previous reply's state").isGreaterThan(0);
        assertThat(Http.metric(cached.port(), "rwkv_cache_hits_total")).isGreaterThanOrEqualTo(9);
        assertThat(Http.metric(cached.port(), "rwkv_cache_bytes")).isPositive();
    }

    private static JsonNode complete(RwkvServer s, String json) {
        Http.Response r = Http.post(s.port(), "/v1/completions", json);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    private static String q(String s) {
        return Http.JSON.valueToTree(s).toString();
    }

    @Test
    void aReturnedStateContinuesTheConversationLikeOneSession() {
        String p1 = "The quick brown fox";
        String p2 = "\nAnd then";
        // One session: prompt, reply, more prompt, reply.
        Session s = new Session(model, tok);
        GenerationResult r1 = s.generate(p1, GenerationConfig.greedy(20), null);
        GenerationResult r2 = s.generate(p2, GenerationConfig.greedy(20), null);
        for (RwkvServer first : List.of(cached, uncached)) {
            JsonNode a = complete(first, "{\"prompt\":" + q(p1) + ",\"max_tokens\":20,\"temperature\":0,"
                    + "\"rwkv\":{\"return_state\":true}}");
            assertThat(a.at("/choices/0/text").asText()).isEqualTo(r1.text());
            String state = a.at("/rwkv/state").asText();
            assertThat(state).isNotEmpty();
            for (RwkvServer second : List.of(cached, uncached)) {
                JsonNode b = complete(second, "{\"prompt\":" + q(p2) + ",\"max_tokens\":20,\"temperature\":0,"
                        + "\"rwkv\":{\"state\":\"" + state + "\"}}");
                assertThat(b.at("/choices/0/text").asText()).isEqualTo(r2.text());
                assertThat(b.at("/usage/prompt_tokens").asInt()).isEqualTo(tok.encode(p2).length);
            }
            // The state alone (empty prompt) goes on from its saved logits.
            JsonNode c = complete(first, "{\"prompt\":\"\",\"max_tokens\":5,\"temperature\":0,"
                    + "\"rwkv\":{\"state\":\"" + state + "\"}}");
            assertThat(c.at("/usage/prompt_tokens").asInt()).isZero();
            assertThat(c.at("/usage/completion_tokens").asInt()).isEqualTo(5);
        }
        // Streamed: the state comes on the last chunk before [DONE].
        Http.Response st = Http.post(cached.port(), "/v1/completions", "{\"prompt\":" + q(p1) + ",\"max_tokens\":20,"
                + "\"temperature\":0,\"stream\":true,\"rwkv\":{\"return_state\":true}}");
        List<String> ev = st.events();
        assertThat(ev.getLast()).isEqualTo("[DONE]");
        assertThat(Http.JSON.valueToTree(ev.get(ev.size() - 2)).asText()).contains("\"state\":\"");
    }

    @Test
    void aBadStateIsA400() throws Exception {
        Http.Response ok = Http.post(cached.port(), "/v1/completions",
                "{\"prompt\":\"Hi\",\"max_tokens\":2,\"rwkv\":{\"return_state\":true}}");
        String good = ok.json().at("/rwkv/state").asText();
        byte[] file = Base64.getDecoder().decode(good);
        List<String> bad = new ArrayList<>();
        bad.add("not base64 at all!");
        bad.add(Base64.getEncoder().encodeToString("just some bytes".getBytes()));
        bad.add(Base64.getEncoder().encodeToString(Arrays.copyOf(file, file.length / 2)));
        bad.add("A".repeat(10_000_000)); // beyond any state of this model
        byte[] flipped = file.clone();
        flipped[12] ^= 0x55; // inside the header
        bad.add(Base64.getEncoder().encodeToString(flipped));
        // A state of another model (RWKV-7), and one whose values are not finite.
        try (RwkvModel other = ServeTestData.tinyV7()) {
            Path f = tmp.resolve("v7.state");
            StateFile.save(f, other, other.newState(), null, Map.of());
            bad.add(Base64.getEncoder().encodeToString(Files.readAllBytes(f)));
        }
        State nan = model.newState();
        float[] t = nan.tensor(0);
        t[3] = Float.NaN;
        nan.setTensor(0, t);
        Path f = tmp.resolve("nan.state");
        StateFile.save(f, model, nan, new float[model.vocabSize()], Map.of());
        bad.add(Base64.getEncoder().encodeToString(Files.readAllBytes(f)));
        for (String b : bad) {
            Http.Response r = Http.post(cached.port(), "/v1/completions",
                    "{\"prompt\":\"Hi\",\"max_tokens\":2,\"rwkv\":{\"state\":\"" + b + "\"}}");
            assertThat(r.status()).as(r.body()).isIn(400, 413);
            if (r.status() == 400) {
                assertThat(r.json().at("/error/param").asText()).isEqualTo("rwkv.state");
            }
        }
        // And it still serves the good one.
        Http.Response again = Http.post(cached.port(), "/v1/completions",
                "{\"prompt\":\"Hi\",\"max_tokens\":2,\"rwkv\":{\"state\":\"" + good + "\"}}");
        assertThat(again.status()).as(again.body()).isEqualTo(200);
    }
}
