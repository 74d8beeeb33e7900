package dev.rwkvjava.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rwkvjava.generate.ChatTemplate;
import dev.rwkvjava.sampling.SamplerConfig;
import dev.rwkvjava.tokenizer.Tokenizer;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The two generation endpoints: a request's fields are checked (a 400 names the first bad one), its prompt is
 * tokenized and bounded, and the generation is queued on the engine; {@link Replier} then answers it, streamed or
 * whole.
 */
final class Api {
    static final int MAX_STOP_STRINGS = 4;
    static final int MAX_STOP_LENGTH = 256;
    static final int MAX_TOP_LOGPROBS = 20;
    static final int MAX_LOGIT_BIAS = 1024;
    static final int MAX_MESSAGES = 4096;
    private static final Set<String> UNSUPPORTED = Set.of("tools", "functions", "tool_choice", "function_call",
            "suffix", "audio", "modalities", "prediction");

    private final Engine engine;
    private final Tokenizer tokenizer;
    private final int vocab;
    private final ServerConfig config;
    private final StateCodec states;
    private final ChatTemplate template;
    private final Replier replier;

    Api(Engine engine, Tokenizer tokenizer, int vocab, ServerConfig config, StateCodec states, ChatTemplate template,
        Replier replier) {
        this.engine = engine;
        this.tokenizer = tokenizer;
        this.vocab = vocab;
        this.config = config;
        this.states = states;
        this.template = template;
        this.replier = replier;
    }

    /** The settings both endpoints share, checked. */
    private record Common(SamplerConfig sampler, int maxTokens, List<String> stops, int topLogprobs, boolean stream,
                          boolean returnState, StateCodec.Decoded state, boolean ignoreEos) {
    }

    void completions(HttpExchange ex, ObjectNode body, long received) throws IOException {
        refuseUnsupported(body);
        Fields.integer(body, "best_of", 1, 1);
        if (Boolean.TRUE.equals(Fields.bool(body, "echo"))) {
            throw ApiException.invalid("echo", "'echo' is not supported: the response holds the generated text only");
        }
        Common c = common(body, false, 16);
        int[] prompt = prompt(body);
        Generation g = submit(prompt, c, received);
        replier.reply(ex, g, c.stream(), new Shapes.Completion(config.modelId(), tokenizer, c.topLogprobs()),
                c.returnState());
    }

    void chat(HttpExchange ex, ObjectNode body, long received) throws IOException {
        refuseUnsupported(body);
        JsonNode format = Fields.get(body, "response_format");
        if (format != null && !(format.isObject() && "text".equals(format.path("type").asText()))) {
            throw ApiException.invalid("response_format", "only {\"type\": \"text\"} is supported");
        }
        Common c = common(body, true, config.maxTokens());
        List<ChatPrompt.Message> messages = messages(body);
        int[] prompt = ChatPrompt.tokens(template, tokenizer, messages, config.maxPromptTokens());
        List<String> stops = new ArrayList<>(template.stopStrings());
        for (String s : c.stops()) {
            if (!stops.contains(s)) {
                stops.add(s);
            }
        }
        Common withTemplateStops = new Common(c.sampler(), c.maxTokens(), stops, c.topLogprobs(), c.stream(),
                c.returnState(), c.state(), c.ignoreEos());
        boolean continuing = messages.getLast().role().equals("assistant");
        Generation g = submit(prompt, withTemplateStops, received);
        replier.reply(ex, g, c.stream(), new Shapes.Chat(config.modelId(), tokenizer, c.topLogprobs(),
                continuing ? "" : template.replyPrefix()), c.returnState());
    }

    private Generation submit(int[] prompt, Common c, long received) {
        if (prompt.length == 0 && (c.state() == null || c.state().logits() == null)) {
            throw ApiException.invalid(c.state() == null ? "prompt" : "rwkv.state",
                    c.state() == null ? "the prompt is empty" : "the prompt is empty and the state has no logits to "
                            + "continue from");
        }
        if (prompt.length > config.maxPromptTokens()) {
            throw ApiException.invalid("prompt", "context_length_exceeded", "the prompt has " + prompt.length
                    + " tokens; this server takes at most " + config.maxPromptTokens());
        }
        GenerationRequest r = new GenerationRequest(prompt, c.state() == null ? null : c.state().state(),
                c.state() == null ? null : c.state().logits(), c.sampler(), c.maxTokens(), c.stops(), c.ignoreEos(),
                c.topLogprobs(), c.returnState(), received);
        return engine.submit(r);
    }

    private static void refuseUnsupported(ObjectNode body) {
        for (String f : UNSUPPORTED) {
            if (Fields.get(body, f) != null) {
                throw ApiException.invalid(f, "'" + f + "' is not supported by this server");
            }
        }
    }

    private Common common(ObjectNode o, boolean chat, int defaultMaxTokens) {
        Fields.string(o, "model", "model");
        Fields.string(o, "user", "user");
        Fields.integer(o, "n", 1, 1); // one choice per request
        Long max = Fields.integer(o, chat && Fields.get(o, "max_completion_tokens") != null ? "max_completion_tokens"
                : "max_tokens", 0, config.maxTokens());
        SamplerConfig s = SamplerConfig.unmodified();
        Double v;
        if ((v = Fields.number(o, "temperature", 0, 2)) != null) {
            s = s.withTemperature(v);
        }
        if ((v = Fields.number(o, "top_p", 0, 1)) != null) {
            s = s.withTopP(v);
        }
        if ((v = Fields.number(o, "min_p", 0, 1)) != null) {
            s = s.withMinP(v);
        }
        if ((v = Fields.number(o, "presence_penalty", -2, 2)) != null) {
            s = s.withPresencePenalty(v);
        }
        if ((v = Fields.number(o, "frequency_penalty", -2, 2)) != null) {
            s = s.withFrequencyPenalty(v);
        }
        if ((v = Fields.number(o, "penalty_decay", 0, 1)) != null) {
            s = s.withPenaltyDecay(v);
        }
        Long k = Fields.integer(o, "top_k", 0, vocab);
        if (k != null) {
            s = s.withTopK(k.intValue());
        }
        Long seed = Fields.integer(o, "seed", Long.MIN_VALUE, Long.MAX_VALUE);
        if (seed != null) {
            s = s.withSeed(seed);
        }
        Map<Integer, Float> bias = logitBias(o);
        if (!bias.isEmpty()) {
            s = s.withLogitBias(bias);
        }
        int top = -1;
        if (chat) {
            boolean lp = Boolean.TRUE.equals(Fields.bool(o, "logprobs"));
            Long t = Fields.integer(o, "top_logprobs", 0, MAX_TOP_LOGPROBS);
            if (t != null && !lp) {
                throw ApiException.invalid("top_logprobs", "'top_logprobs' needs 'logprobs': true");
            }
            top = lp ? (t == null ? 0 : t.intValue()) : -1;
        } else {
            Long t = Fields.integer(o, "logprobs", 0, MAX_TOP_LOGPROBS);
            top = t == null ? -1 : t.intValue();
        }
        boolean stream = Boolean.TRUE.equals(Fields.bool(o, "stream"));
        JsonNode so = Fields.get(o, "stream_options");
        if (so != null) {
            if (!so.isObject()) {
                throw ApiException.invalid("stream_options", "'stream_options' must be an object");
            }
            Fields.bool(so, "include_usage");
        }
        boolean ignoreEos = Boolean.TRUE.equals(Fields.bool(o, "ignore_eos"));
        boolean returnState = false;
        StateCodec.Decoded state = null;
        JsonNode rwkv = Fields.get(o, "rwkv");
        if (rwkv != null) {
            if (!rwkv.isObject()) {
                throw ApiException.invalid("rwkv", "'rwkv' must be an object, got " + Fields.kind(rwkv));
            }
            returnState = Boolean.TRUE.equals(Fields.bool(rwkv, "return_state"));
            String encoded = Fields.string(rwkv, "state", "rwkv.state");
            if (encoded != null) {
                state = states.decode(encoded, "rwkv.state");
            }
        }
        return new Common(s, max == null ? defaultMaxTokens : max.intValue(), stops(o), top, stream, returnState,
                state, ignoreEos);
    }

    private static List<String> stops(ObjectNode o) {
        JsonNode v = Fields.get(o, "stop");
        List<String> out = new ArrayList<>();
        if (v == null) {
            return out;
        }
        if (v.isTextual()) {
            out.add(v.textValue());
        } else if (v.isArray()) {
            if (v.size() > MAX_STOP_STRINGS) {
                throw ApiException.invalid("stop", "'stop' takes at most " + MAX_STOP_STRINGS + " strings, got "
                        + v.size());
            }
            for (int i = 0; i < v.size(); i++) {
                if (!v.get(i).isTextual()) {
                    throw ApiException.invalid("stop", "'stop[" + i + "]' must be a string, got " + Fields.kind(v.get(i)));
                }
                out.add(v.get(i).textValue());
            }
        } else {
            throw ApiException.invalid("stop", "'stop' must be a string or an array of strings, got " + Fields.kind(v));
        }
        for (String s : out) {
            if (s.isEmpty() || s.length() > MAX_STOP_LENGTH) {
                throw ApiException.invalid("stop", "stop strings must have 1 to " + MAX_STOP_LENGTH + " characters");
            }
        }
        return out;
    }

    private Map<Integer, Float> logitBias(ObjectNode o) {
        JsonNode v = Fields.get(o, "logit_bias");
        Map<Integer, Float> bias = new LinkedHashMap<>();
        if (v == null) {
            return bias;
        }
        if (!v.isObject()) {
            throw ApiException.invalid("logit_bias", "'logit_bias' must be an object of token id: bias, got "
                    + Fields.kind(v));
        }
        if (v.size() > MAX_LOGIT_BIAS) {
            throw ApiException.invalid("logit_bias", "'logit_bias' takes at most " + MAX_LOGIT_BIAS + " entries");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int id;
            try {
                id = Integer.parseInt(e.getKey());
            } catch (NumberFormatException bad) {
                throw ApiException.invalid("logit_bias", "'logit_bias' keys must be token ids, got '"
                        + Fields.abbreviate(e.getKey()) + "'");
            }
            if (id < 0 || id >= vocab) {
                throw ApiException.invalid("logit_bias", "'logit_bias' token id " + id + " is out of range 0.."
                        + (vocab - 1));
            }
            bias.put(id, (float) Fields.numberValue(e.getValue(), "logit_bias." + id, -100, 100));
        }
        return bias;
    }

    /** A string, an array of one string, an array of token ids, or an array of one array of ids. */
    private int[] prompt(ObjectNode o) {
        JsonNode p = Fields.get(o, "prompt");
        if (p == null) {
            throw ApiException.invalid("prompt", "'prompt' is required");
        }
        if (p.isArray() && p.size() == 1 && (p.get(0).isTextual() || p.get(0).isArray())) {
            p = p.get(0);
        }
        if (p.isTextual()) {
            String text = p.textValue();
            if (text.length() > (long) config.maxPromptTokens() * 64) {
                throw ApiException.invalid("prompt", "context_length_exceeded", "the prompt is too long");
            }
            return tokenizer.encode(text);
        }
        if (p.isArray()) {
            if (p.size() > config.maxPromptTokens()) {
                throw ApiException.invalid("prompt", "context_length_exceeded", "the prompt has " + p.size()
                        + " tokens; this server takes at most " + config.maxPromptTokens());
            }
            int[] ids = new int[p.size()];
            for (int i = 0; i < ids.length; i++) {
                JsonNode t = p.get(i);
                if (!t.isIntegralNumber()) {
                    throw ApiException.invalid("prompt", "'prompt' must be a string, or an array of token ids; item "
                            + i + " is " + Fields.kind(t) + " (one prompt per request)");
                }
                ids[i] = (int) Fields.integerValue(t, "prompt[" + i + "]", 0, vocab - 1);
            }
            return ids;
        }
        throw ApiException.invalid("prompt", "'prompt' must be a string or an array of token ids, got " + Fields.kind(p));
    }

    private static List<ChatPrompt.Message> messages(ObjectNode o) {
        JsonNode v = Fields.get(o, "messages");
        if (v == null) {
            throw ApiException.invalid("messages", "'messages' is required");
        }
        if (!v.isArray() || v.isEmpty()) {
            throw ApiException.invalid("messages", "'messages' must be a non-empty array");
        }
        if (v.size() > MAX_MESSAGES) {
            throw ApiException.invalid("messages", "'messages' takes at most " + MAX_MESSAGES + " messages");
        }
        List<ChatPrompt.Message> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            JsonNode m = v.get(i);
            String at = "messages[" + i + "]";
            if (!m.isObject()) {
                throw ApiException.invalid(at, "'" + at + "' must be an object, got " + Fields.kind(m));
            }
            String role = Fields.string(m, "role", at + ".role");
            if (role == null || !Set.of("system", "developer", "user", "assistant").contains(role)) {
                throw ApiException.invalid(at + ".role", "'" + at + ".role' must be system, developer, user or "
                        + "assistant" + (role == null ? "" : ", got '" + Fields.abbreviate(role) + "'"));
            }
            out.add(new ChatPrompt.Message(role, content(m, at + ".content")));
        }
        return out;
    }

    /** A string, or an array of {"type": "text", "text": ...} parts (joined). */
    private static String content(JsonNode m, String at) {
        JsonNode c = Fields.get(m, "content");
        if (c == null) {
            throw ApiException.invalid(at, "'" + at + "' is required (tool calls are not supported)");
        }
        if (c.isTextual()) {
            return c.textValue();
        }
        if (c.isArray()) {
            if (c.isEmpty()) {
                throw ApiException.invalid(at, "'" + at + "' must have at least one text part");
            }
            StringBuilder sb = new StringBuilder();
            for (int j = 0; j < c.size(); j++) {
                JsonNode part = c.get(j);
                String p = at + "[" + j + "]";
                if (!part.isObject() || !"text".equals(part.path("type").asText())) {
                    throw ApiException.invalid(p, "'" + p + "' must be {\"type\": \"text\", \"text\": ...}; only text "
                            + "is supported");
                }
                String t = Fields.string(part, "text", p + ".text");
                if (t == null) {
                    throw ApiException.invalid(p + ".text", "'" + p + ".text' is required");
                }
                sb.append(t);
            }
            return sb.toString();
        }
        throw ApiException.invalid(at, "'" + at + "' must be a string or an array of text parts, got "
                + Fields.kind(c));
    }
}
