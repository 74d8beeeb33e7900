package dev.rwkvjava.serve;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rwkvjava.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

/** The OpenAI response objects of the two generation endpoints, whole and as stream chunks. */
final class Shapes {
    private Shapes() {
    }

    /** One endpoint's response shape. Methods return new objects. */
    abstract static class Shape {
        final String id;
        final long created = System.currentTimeMillis() / 1000;
        final String model;
        final Tokenizer tokenizer;
        final int topLogprobs;

        Shape(String idPrefix, String model, Tokenizer tokenizer, int topLogprobs) {
            this.id = idPrefix + UUID.randomUUID().toString().replace("-", "");
            this.model = model;
            this.tokenizer = tokenizer;
            this.topLogprobs = topLogprobs;
        }

        boolean wantsLogprobs() {
            return topLogprobs >= 0;
        }

        ObjectNode base(String object) {
            ObjectNode o = HttpIo.JSON.createObjectNode();
            o.put("id", id);
            o.put("object", object);
            o.put("created", created);
            o.put("model", model);
            return o;
        }

        /** The first event of a stream, or null. */
        abstract ObjectNode opening();

        abstract ObjectNode chunk(String text, List<Generation.TokenLogprobs> logprobs);

        /** The last chunk of a stream: no text, the finish reason and the usage. */
        abstract ObjectNode closing(String finishReason, ObjectNode usage);

        abstract ObjectNode whole(String text, List<Generation.TokenLogprobs> logprobs, String finishReason,
                                  ObjectNode usage);

        String tokenText(int id) {
            return new String(tokenBytes(id), StandardCharsets.UTF_8);
        }

        byte[] tokenBytes(int id) {
            try {
                return id < tokenizer.vocabSize() ? tokenizer.tokenBytes(id) : new byte[0];
            } catch (IllegalArgumentException noBytes) {
                return new byte[0];
            }
        }
    }

    /** {@code /v1/completions}: object "text_completion", {@code choices[0].text}. */
    static final class Completion extends Shape {
        Completion(String model, Tokenizer tokenizer, int topLogprobs) {
            super("cmpl-", model, tokenizer, topLogprobs);
        }

        @Override
        ObjectNode opening() {
            return null;
        }

        private ObjectNode with(String text, List<Generation.TokenLogprobs> lps, String finish) {
            ObjectNode o = base("text_completion");
            ObjectNode c = o.putArray("choices").addObject();
            c.put("text", text);
            c.put("index", 0);
            if (lps == null || !wantsLogprobs()) {
                c.putNull("logprobs");
            } else {
                ObjectNode l = c.putObject("logprobs");
                ArrayNode tokens = l.putArray("tokens");
                ArrayNode values = l.putArray("token_logprobs");
                ArrayNode tops = l.putArray("top_logprobs");
                ArrayNode offsets = l.putArray("text_offset");
                int offset = 0;
                for (Generation.TokenLogprobs t : lps) {
                    String s = tokenText(t.token());
                    tokens.add(s);
                    values.add(t.logprob());
                    ObjectNode top = tops.addObject();
                    for (int j = 0; j < t.topTokens().length; j++) {
                        top.put(tokenText(t.topTokens()[j]), t.topLogprobs()[j]);
                    }
                    offsets.add(offset);
                    offset += s.length();
                }
            }
            if (finish == null) {
                c.putNull("finish_reason");
            } else {
                c.put("finish_reason", finish);
            }
            return o;
        }

        @Override
        ObjectNode chunk(String text, List<Generation.TokenLogprobs> lps) {
            return with(text, lps, null);
        }

        @Override
        ObjectNode closing(String finishReason, ObjectNode usage) {
            ObjectNode o = with("", null, finishReason);
            o.set("usage", usage);
            return o;
        }

        @Override
        ObjectNode whole(String text, List<Generation.TokenLogprobs> lps, String finishReason, ObjectNode usage) {
            ObjectNode o = with(text, lps, finishReason);
            o.set("usage", usage);
            return o;
        }
    }

    /** {@code /v1/chat/completions}: "chat.completion" with a message, "chat.completion.chunk" with deltas. */
    static final class Chat extends Shape {
        private final String replyPrefix;

        /** @param replyPrefix what the template writes at the start of every reply (part of the message) */
        Chat(String model, Tokenizer tokenizer, int topLogprobs, String replyPrefix) {
            super("chatcmpl-", model, tokenizer, topLogprobs);
            this.replyPrefix = replyPrefix;
        }

        private ObjectNode choice(ObjectNode o) {
            ObjectNode c = o.putArray("choices").addObject();
            c.put("index", 0);
            return c;
        }

        private void logprobs(ObjectNode c, List<Generation.TokenLogprobs> lps) {
            if (lps == null || !wantsLogprobs()) {
                c.putNull("logprobs");
                return;
            }
            ArrayNode content = c.putObject("logprobs").putArray("content");
            for (Generation.TokenLogprobs t : lps) {
                ObjectNode e = content.addObject();
                entry(e, t.token(), t.logprob());
                ArrayNode top = e.putArray("top_logprobs");
                for (int j = 0; j < t.topTokens().length; j++) {
                    entry(top.addObject(), t.topTokens()[j], t.topLogprobs()[j]);
                }
            }
        }

        private void entry(ObjectNode e, int token, float logprob) {
            e.put("token", tokenText(token));
            e.put("logprob", logprob);
            ArrayNode bytes = e.putArray("bytes");
            for (byte b : tokenBytes(token)) {
                bytes.add(b & 0xff);
            }
        }

        @Override
        ObjectNode opening() {
            ObjectNode o = base("chat.completion.chunk");
            ObjectNode c = choice(o);
            ObjectNode d = c.putObject("delta");
            d.put("role", "assistant");
            d.put("content", replyPrefix);
            c.putNull("logprobs");
            c.putNull("finish_reason");
            return o;
        }

        @Override
        ObjectNode chunk(String text, List<Generation.TokenLogprobs> lps) {
            ObjectNode o = base("chat.completion.chunk");
            ObjectNode c = choice(o);
            c.putObject("delta").put("content", text);
            logprobs(c, lps);
            c.putNull("finish_reason");
            return o;
        }

        @Override
        ObjectNode closing(String finishReason, ObjectNode usage) {
            ObjectNode o = base("chat.completion.chunk");
            ObjectNode c = choice(o);
            c.putObject("delta");
            c.putNull("logprobs");
            c.put("finish_reason", finishReason);
            o.set("usage", usage);
            return o;
        }

        @Override
        ObjectNode whole(String text, List<Generation.TokenLogprobs> lps, String finishReason, ObjectNode usage) {
            ObjectNode o = base("chat.completion");
            ObjectNode c = choice(o);
            ObjectNode m = c.putObject("message");
            m.put("role", "assistant");
            m.put("content", replyPrefix + text);
            m.putNull("refusal");
            logprobs(c, lps);
            c.put("finish_reason", finishReason);
            o.set("usage", usage);
            return o;
        }
    }
}
