package dev.rwkvjava.serve;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.models.Model;
import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.generate.ChatTemplate;
import dev.rwkvjava.generate.GenerationConfig;
import dev.rwkvjava.generate.GenerationResult;
import dev.rwkvjava.generate.Session;
import dev.rwkvjava.generate.TextGenerator;
import dev.rwkvjava.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The official OpenAI Java client against the server: completions and chat, whole and streamed, give exactly the
 * greedy text of {@code generate} (the library's {@link TextGenerator}, which the command runs) on a byte-level tiny
 * model and on a model with the RWKV World tokenizer; usage counts the tokens.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class OpenAiClientTest {
    @TempDir
    static Path tmp;
    static RwkvModel bytesModel;
    static RwkvModel worldModel;
    static Tokenizer world;
    static RwkvServer bytesServer;
    static RwkvServer worldServer;

    @BeforeAll
    static void start() throws Exception {
        bytesModel = ServeTestData.tinyV4();
        world = ServeTestData.world();
        worldModel = RwkvModel.load(ServeTestData.worldModel(tmp));
        bytesServer = RwkvServer.start(bytesModel, ServeTestData.bytes(), ServerConfig.defaults().withPort(0)
                .withModelId("tiny"));
        worldServer = RwkvServer.start(worldModel, world, ServerConfig.defaults().withPort(0).withModelId("world"));
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {bytesServer, worldServer, bytesModel, worldModel}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // closing the rest matters more
            }
        }
    }

    static OpenAIClient client(RwkvServer s) {
        return OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + s.port() + "/v1").apiKey("unused")
                .maxRetries(0).timeout(Duration.ofSeconds(120)).build();
    }

    private static GenerationResult greedy(RwkvModel model, Tokenizer tok, String prompt, int n, List<String> stops) {
        return TextGenerator.of(model, tok).newSession().generate(prompt,
                GenerationConfig.greedy(n).withStopStrings(stops), null);
    }

    @Test
    void completionsEqualGenerateWithTheBytesTokenizer() {
        checkCompletions(bytesServer, bytesModel, ServeTestData.bytes(), "tiny", "\nIn the beginning");
    }

    @Test
    void completionsEqualGenerateWithTheWorldTokenizer() {
        checkCompletions(worldServer, worldModel, world, "world", "東京の天気は 🦆 and the weather");
    }

    private static void checkCompletions(RwkvServer server, RwkvModel model, Tokenizer tok, String id, String prompt) {
        OpenAIClient c = client(server);
        GenerationResult expected = greedy(model, tok, prompt, 40, List.of());
        Completion r = c.completions().create(CompletionCreateParams.builder().model(id).prompt(prompt)
                .maxTokens(40).temperature(0.0).build());
        assertThat(r.choices().getFirst().text()).isEqualTo(expected.text());
        assertThat(r.model()).isEqualTo(id);
        assertThat(r.usage().orElseThrow().promptTokens()).isEqualTo(tok.encode(prompt).length);
        assertThat(r.usage().orElseThrow().completionTokens()).isEqualTo(expected.generatedIds().length);
        assertThat(r.choices().getFirst().finishReason().asString())
                .isEqualTo(expected.generatedIds().length == 40 ? "length" : "stop");

        StringBuilder streamed = new StringBuilder();
        long[] usage = {-1};
        try (StreamResponse<Completion> s = c.completions().createStreaming(CompletionCreateParams.builder()
                .model(id).prompt(prompt).maxTokens(40).temperature(0.0).build())) {
            s.stream().forEach(chunk -> {
                chunk.choices().forEach(ch -> streamed.append(ch.text()));
                chunk.usage().ifPresent(u -> usage[0] = u.completionTokens());
            });
        }
        assertThat(streamed.toString()).isEqualTo(expected.text());
        assertThat(usage[0]).isEqualTo(expected.generatedIds().length);
    }

    @Test
    void chatEqualsTheChatFormatFedToASession() {
        for (var t : List.of(new Object[] {bytesServer, bytesModel, ServeTestData.bytes()},
                new Object[] {worldServer, worldModel, world})) {
            RwkvServer server = (RwkvServer) t[0];
            RwkvModel model = (RwkvModel) t[1];
            Tokenizer tok = (Tokenizer) t[2];
            // What `rwkv chat` does for a first message: the turn in the World format, generated until a blank line.
            Session s = TextGenerator.of(model, tok).newSession();
            s.append(ChatTemplate.WORLD.turn("Tell me about ducks", null, true));
            GenerationResult expected = s.generate(GenerationConfig.greedy(30)
                    .withStopStrings(ChatTemplate.WORLD.stopStrings()), null);

            OpenAIClient c = client(server);
            ChatCompletionCreateParams p = ChatCompletionCreateParams.builder().model("m")
                    .addUserMessage("Tell me about ducks").maxCompletionTokens(30).temperature(0.0).build();
            ChatCompletion r = c.chat().completions().create(p);
            assertThat(r.choices().getFirst().message().content().orElseThrow()).isEqualTo(expected.text());
            assertThat(r.usage().orElseThrow().completionTokens()).isEqualTo(expected.generatedIds().length);

            StringBuilder streamed = new StringBuilder();
            String[] finish = {null};
            try (StreamResponse<ChatCompletionChunk> st = c.chat().completions().createStreaming(p)) {
                st.stream().forEach(chunk -> chunk.choices().forEach(ch -> {
                    ch.delta().content().ifPresent(streamed::append);
                    ch.finishReason().ifPresent(f -> finish[0] = f.asString());
                }));
            }
            assertThat(streamed.toString()).isEqualTo(expected.text());
            assertThat(finish[0]).isIn("stop", "length");
        }
    }

    @Test
    void logprobsAreTheModelsLogSoftmaxAndGreedyPicksTheTopOne() {
        OpenAIClient c = client(bytesServer);
        ChatCompletion r = c.chat().completions().create(ChatCompletionCreateParams.builder().model("m")
                .addUserMessage("Hello").maxCompletionTokens(12).temperature(0.0).logprobs(true).topLogprobs(3)
                .putAdditionalBodyProperty("ignore_eos", JsonValue.from(true)).build());
        var content = r.choices().getFirst().logprobs().orElseThrow().content().orElseThrow();
        assertThat(content).hasSize((int) r.usage().orElseThrow().completionTokens()).hasSize(12);
        // The reference: the model fed the chat turn, then each reply token, log-softmax of its logits.
        Tokenizer bytes = ServeTestData.bytes();
        var state = bytesModel.newState();
        float[] logits = bytesModel.forward(bytes.encode(ChatTemplate.WORLD.turn("Hello", null, true)), state);
        for (var t : content) {
            List<Long> tokenBytes = t.bytes().orElseThrow();
            assertThat(tokenBytes).hasSize(1); // a byte-level model: one byte a token, its id
            int id = (int) (tokenBytes.getFirst() & 0xFF);
            double[] logSoftmax = logSoftmax(logits);
            Integer[] order = new Integer[logits.length];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            java.util.Arrays.sort(order, (a, b) -> Double.compare(logSoftmax[b], logSoftmax[a]));
            assertThat(id).isEqualTo(order[0]); // greedy: the likeliest token
            assertThat(t.logprob()).isCloseTo(logSoftmax[id], within(1e-4));
            assertThat(t.topLogprobs()).hasSize(3);
            for (int k = 0; k < 3; k++) {
                assertThat(t.topLogprobs().get(k).logprob()).isCloseTo(logSoftmax[order[k]], within(1e-4));
                assertThat(t.topLogprobs().get(k).bytes().orElseThrow()).containsExactly((long) order[k]);
            }
            logits = bytesModel.forward(new int[] {id}, state);
        }
        // Legacy completions: one log-probability per generated token.
        CompletionCreateParams base = CompletionCreateParams.builder().model("tiny").prompt("aaaa").maxTokens(30)
                .temperature(0.0).build();
        Completion lp = c.completions().create(base.toBuilder().logprobs(2).build());
        var legacy = lp.choices().getFirst().logprobs().orElseThrow();
        assertThat(legacy.tokens().orElseThrow()).hasSize((int) lp.usage().orElseThrow().completionTokens());
        assertThat(legacy.tokenLogprobs().orElseThrow()).hasSize((int) lp.usage().orElseThrow().completionTokens())
                .allSatisfy(v -> assertThat(v).isLessThanOrEqualTo(0.0));
    }

    @Test
    void penaltiesChangeGreedyTextAndTheExtensionsAreAccepted() {
        OpenAIClient c = client(bytesServer);
        CompletionCreateParams base = CompletionCreateParams.builder().model("tiny").prompt("aaaa").maxTokens(30)
                .temperature(0.0).build();
        String plain = c.completions().create(base).choices().getFirst().text();
        String expectedPlain = greedy(bytesModel, ServeTestData.bytes(), "aaaa", 30, List.of()).text();
        assertThat(plain).isEqualTo(expectedPlain);
        // A strong presence penalty steers greedy decoding away from the tokens already generated.
        String presence = c.completions().create(base.toBuilder().presencePenalty(2.0).build()).choices().getFirst()
                .text();
        assertThat(presence).isNotEqualTo(plain);
        String frequency = c.completions().create(base.toBuilder().frequencyPenalty(2.0).build()).choices()
                .getFirst().text();
        assertThat(frequency).isNotEqualTo(plain);
        // top_k and min_p leave greedy decoding as it is; penalty_decay is taken with a penalty.
        String extended = c.completions().create(base.toBuilder()
                .putAdditionalBodyProperty("top_k", JsonValue.from(5))
                .putAdditionalBodyProperty("min_p", JsonValue.from(0.05)).build()).choices().getFirst().text();
        assertThat(extended).isEqualTo(plain);
        String decayed = c.completions().create(base.toBuilder().presencePenalty(2.0)
                .putAdditionalBodyProperty("penalty_decay", JsonValue.from(0.5)).build()).choices().getFirst().text();
        assertThat(decayed).isNotEqualTo(plain);
    }

    private static double[] logSoftmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : logits) {
            sum += Math.exp(v - max);
        }
        double logZ = max + Math.log(sum);
        double[] out = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            out[i] = logits[i] - logZ;
        }
        return out;
    }

    @Test
    void modelsListsTheModel() {
        List<Model> models = client(bytesServer).models().list().data();
        assertThat(models).extracting(Model::id).containsExactly("tiny");
        assertThat(client(bytesServer).models().retrieve("tiny").id()).isEqualTo("tiny");
    }

    @Test
    void seededSamplingIsReproducibleAndStopStringsEndTheText() {
        OpenAIClient c = client(bytesServer);
        CompletionCreateParams p = CompletionCreateParams.builder().model("tiny").prompt("The ").maxTokens(60)
                .temperature(1.0).seed(42).build();
        String a = c.completions().create(p).choices().getFirst().text();
        String b = c.completions().create(p).choices().getFirst().text();
        assertThat(a).isEqualTo(b);
        // The same request with a stop string taken from the middle of that text ends just before it.
        String stop = a.substring(10, 12);
        Completion r = c.completions().create(p.toBuilder().stop(stop).build());
        assertThat(r.choices().getFirst().text()).isEqualTo(a.substring(0, a.indexOf(stop)));
        assertThat(r.choices().getFirst().finishReason().asString()).isEqualTo("stop");
    }

    @Test
    void aBadFieldIsA400NamingIt() {
        OpenAIClient c = client(bytesServer);
        assertThatThrownBy(() -> c.completions().create(CompletionCreateParams.builder().model("tiny").prompt("x")
                .temperature(7.0).build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(400);
                    assertThat(e.getMessage()).contains("temperature");
                });
        assertThatThrownBy(() -> c.chat().completions().create(ChatCompletionCreateParams.builder().model("m")
                .addUserMessage("x").n(2).build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> assertThat(e.getMessage()).contains("'n'"));
    }
}
