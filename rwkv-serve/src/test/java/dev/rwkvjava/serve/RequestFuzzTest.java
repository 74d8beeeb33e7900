package dev.rwkvjava.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rwkvjava.RwkvModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seeded random bad request bodies: random JSON, fields of the wrong type or out of range (huge numbers included),
 * invalid UTF-8, truncated and oversized bodies, deep nesting. Every one is answered with a 4xx carrying an
 * OpenAI-shaped error, and the server keeps serving valid requests throughout.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class RequestFuzzTest {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final int MAX_BODY = 64 * 1024;
    static RwkvModel model;
    static RwkvServer server;

    @BeforeAll
    static void start() throws IOException {
        model = ServeTestData.tinyV4();
        server = RwkvServer.start(model, ServeTestData.bytes(), ServerConfig.defaults().withPort(0)
                .withMaxBodyBytes(MAX_BODY).withMaxTokens(64));
    }

    @AfterAll
    static void stop() {
        server.close();
        model.close();
    }

    /** Values of every JSON type but the one named, for a field that wants that type. */
    private static JsonNode wrongType(SplittableRandom r, String want) {
        while (true) {
            JsonNode v = randomValue(r, 2);
            boolean isWanted = switch (want) {
                case "string" -> v.isTextual();
                case "bool" -> v.isBoolean();
                case "int" -> v.isIntegralNumber();
                case "number" -> v.isNumber();
                case "object" -> v.isObject();
                case "array" -> v.isArray();
                default -> false;
            };
            if (!isWanted && !v.isNull()) {
                return v;
            }
        }
    }

    private static JsonNode randomValue(SplittableRandom r, int depth) {
        int kind = r.nextInt(depth > 0 ? 8 : 6);
        return switch (kind) {
            case 0 -> F.textNode(randomString(r));
            case 1 -> F.booleanNode(r.nextBoolean());
            case 2 -> F.numberNode(r.nextLong());
            case 3 -> F.numberNode(r.nextDouble() * Math.pow(10, r.nextInt(-20, 300)));
            case 4 -> F.numberNode(new BigInteger(200, new java.util.Random(r.nextLong())));
            case 5 -> F.nullNode();
            case 6 -> {
                ArrayNode a = F.arrayNode();
                for (int i = r.nextInt(4); i > 0; i--) {
                    a.add(randomValue(r, depth - 1));
                }
                yield a;
            }
            default -> {
                ObjectNode o = F.objectNode();
                for (int i = r.nextInt(4); i > 0; i--) {
                    o.set(randomString(r), randomValue(r, depth - 1));
                }
                yield o;
            }
        };
    }

    private static String randomString(SplittableRandom r) {
        StringBuilder sb = new StringBuilder();
        for (int i = r.nextInt(12); i > 0; i--) {
            sb.appendCodePoint(r.nextInt(4) == 0 ? r.nextInt(0x20, 0x2FFF) : r.nextInt('a', 'z' + 1));
        }
        return sb.toString();
    }

    /** Values that are never valid for a field: wrong types and out-of-range numbers. */
    private static final Map<String, Function<SplittableRandom, JsonNode>> BAD = Map.ofEntries(
            Map.entry("max_tokens", r -> r.nextBoolean() ? wrongType(r, "int")
                    : F.numberNode(r.nextBoolean() ? -1 - r.nextInt(1000) : 65 + r.nextLong(Long.MAX_VALUE - 65))),
            Map.entry("temperature", r -> r.nextBoolean() ? wrongType(r, "number") : F.numberNode(2.0001 + r.nextDouble() * 1e300)),
            Map.entry("top_p", r -> r.nextBoolean() ? wrongType(r, "number") : F.numberNode(-1e-9 - r.nextDouble())),
            Map.entry("top_k", r -> r.nextBoolean() ? wrongType(r, "int") : F.numberNode(0.5)),
            Map.entry("min_p", r -> F.numberNode(1.5)),
            Map.entry("presence_penalty", r -> F.numberNode(r.nextBoolean() ? 2.5 : -1e200)),
            Map.entry("frequency_penalty", r -> wrongType(r, "number")),
            Map.entry("penalty_decay", r -> F.numberNode(1.0001)),
            Map.entry("seed", r -> r.nextBoolean() ? wrongType(r, "int")
                    : F.numberNode(BigInteger.ONE.shiftLeft(64 + r.nextInt(100)))),
            Map.entry("stop", r -> switch (r.nextInt(3)) {
                case 0 -> F.numberNode(r.nextInt());
                case 1 -> F.arrayNode().add("a").add(F.numberNode(1));
                default -> F.textNode("");
            }),
            Map.entry("logit_bias", r -> switch (r.nextInt(3)) {
                case 0 -> F.arrayNode().add(1);
                case 1 -> F.objectNode().put("x" + r.nextInt(), 1);
                default -> F.objectNode().put("10", 100.5);
            }),
            Map.entry("n", r -> F.numberNode(2 + r.nextInt(100))),
            Map.entry("stream", r -> wrongType(r, "bool")),
            Map.entry("rwkv", r -> r.nextBoolean() ? wrongType(r, "object")
                    : F.objectNode().set("state", r.nextBoolean() ? F.numberNode(5) : F.textNode(randomString(r) + "!"))),
            Map.entry("ignore_eos", r -> wrongType(r, "bool")));

    private static ObjectNode validCompletion() {
        return F.objectNode().put("model", "m").put("prompt", "Hi").put("max_tokens", 1);
    }

    private static ObjectNode validChat() {
        ObjectNode o = F.objectNode().put("model", "m").put("max_tokens", 1);
        o.putArray("messages").addObject().put("role", "user").put("content", "Hi");
        return o;
    }

    /** One bad body for the endpoint, of a randomly chosen kind. */
    private static byte[] badBody(SplittableRandom r, boolean chat) {
        ObjectNode base = chat ? validChat() : validCompletion();
        switch (r.nextInt(9)) {
            case 0 -> { // a known field broken
                List<String> fields = BAD.keySet().stream().sorted().toList(); // a fixed order: the run is seeded
                String f = fields.get(r.nextInt(fields.size()));
                base.set(f, BAD.get(f).apply(r));
                return bytes(base);
            }
            case 1 -> { // the prompt or the messages broken
                if (chat) {
                    JsonNode m = switch (r.nextInt(4)) {
                        case 0 -> wrongType(r, "array");
                        case 1 -> F.arrayNode();
                        case 2 -> F.arrayNode().add(F.objectNode().put("role", "robot").put("content", "x"));
                        default -> F.arrayNode().add(F.objectNode().put("role", "user").set("content", wrongType(r, "string")));
                    };
                    base.set("messages", m);
                } else {
                    JsonNode p = switch (r.nextInt(3)) {
                        case 0 -> F.numberNode(r.nextInt());
                        case 1 -> F.arrayNode().add(-1 - r.nextInt(10));
                        default -> F.arrayNode().add(256 + r.nextInt(1_000_000));
                    };
                    base.set("prompt", p);
                }
                return bytes(base);
            }
            case 2 -> { // random JSON: never a complete request (the prompt or messages are missing)
                JsonNode v = randomValue(r, 3);
                if (v instanceof ObjectNode o) {
                    o.remove("prompt");
                    o.remove("messages");
                }
                return bytes(v);
            }
            case 3 -> { // invalid UTF-8 inside a string
                byte[] b = bytes(base);
                String s = new String(b, StandardCharsets.UTF_8);
                int at = s.indexOf("Hi") + 1;
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                out.write(b, 0, at);
                byte[][] junk = {{(byte) 0xff}, {(byte) 0xc3}, {(byte) 0xe2, (byte) 0x82}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
                        {(byte) 0xc0, (byte) 0xaf}};
                out.writeBytes(junk[r.nextInt(junk.length)]);
                out.write(b, at, b.length - at);
                return out.toByteArray();
            }
            case 4 -> { // truncated
                byte[] b = bytes(base);
                return java.util.Arrays.copyOf(b, r.nextInt(b.length - 1));
            }
            case 5 -> { // oversized
                base.put("user", "x".repeat(MAX_BODY + r.nextInt(10_000)));
                return bytes(base);
            }
            case 6 -> { // deep nesting
                int depth = 100 + r.nextInt(5000);
                return ("{\"prompt\":" + "[".repeat(depth) + "]".repeat(depth) + "}").getBytes(StandardCharsets.UTF_8);
            }
            case 7 -> { // random bytes
                byte[] b = new byte[1 + r.nextInt(200)];
                r.nextBytes(b);
                b[0] = (byte) (b[0] == '{' || b[0] == '[' ? '#' : b[0]);
                return b;
            }
            default -> { // a huge number where an integer is wanted, written out in full
                String digits = "9".repeat(20 + r.nextInt(980));
                String field = r.nextBoolean() ? "max_tokens" : "seed";
                return ("{\"prompt\":\"Hi\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"" + field + "\":"
                        + digits + "}").getBytes(StandardCharsets.UTF_8);
            }
        }
    }

    private static byte[] bytes(JsonNode n) {
        try {
            return Http.JSON.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void everyBadBodyIsA4xxAndTheServerKeepsServing() {
        SplittableRandom r = new SplittableRandom(20);
        int port = server.port();
        for (int i = 0; i < 600; i++) {
            boolean chat = r.nextBoolean();
            byte[] body = badBody(r, chat);
            Http.Response resp = Http.post(port, chat ? "/v1/chat/completions" : "/v1/completions", body);
            String shown = new String(body, 0, Math.min(body.length, 300), StandardCharsets.UTF_8);
            assertThat(resp.status()).as("case %d: %s -> %s", i, shown, resp.body()).isBetween(400, 499);
            JsonNode e = resp.json().get("error");
            assertThat(e).as("case %d: %s", i, resp.body()).isNotNull();
            assertThat(e.get("message").asText()).isNotEmpty();
            if (i % 50 == 0) {
                Http.Response ok = Http.post(port, "/v1/completions", bytes(validCompletion()));
                assertThat(ok.status()).as(ok.body()).isEqualTo(200);
                assertThat(Http.get(port, "/health").status()).isEqualTo(200);
            }
        }
        assertThat(Http.metric(port, "rwkv_active_streams")).isZero();
        assertThat(Http.metric(port, "rwkv_requests_total{endpoint=\"completions\",status=\"500\"}")).isZero();
        assertThat(Http.metric(port, "rwkv_requests_total{endpoint=\"chat_completions\",status=\"500\"}")).isZero();
    }
}
