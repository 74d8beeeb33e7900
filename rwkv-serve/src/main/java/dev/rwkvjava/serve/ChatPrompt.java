package dev.rwkvjava.serve;

import dev.rwkvjava.generate.ChatTemplate;
import dev.rwkvjava.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * A conversation of OpenAI chat messages as the tokens of the model's chat format ({@link ChatTemplate}). Each
 * message is encoded on its own, the way {@code rwkv chat} feeds its turns, so a conversation's tokens always begin
 * with the tokens of its earlier turns: that is what lets the prefix cache find them.
 *
 * <p>An assistant message is written as the model wrote it: the reply with the template's first stop string after
 * it (which ended the reply and is in the state), and, for templates that begin replies with nothing, a leading space
 * when the message has none (the model writes "Assistant: text"). A conversation that ends with an assistant message
 * is continued: that message gets no stop string.
 */
final class ChatPrompt {

    /** A message: its role (system, developer, user or assistant) and its text. */
    record Message(String role, String content) {
    }

    private ChatPrompt() {
    }

    /** The conversation's tokens; a 400 naming {@code messages} when they are more than {@code maxTokens}. */
    static int[] tokens(ChatTemplate template, Tokenizer tokenizer, List<Message> messages, int maxTokens) {
        List<int[]> pieces = new ArrayList<>();
        int total = 0;
        String lastStop = null;
        boolean first = true;
        List<String> stops = template.stopStrings();
        String stop = stops.isEmpty() ? null : stops.getFirst();
        for (int i = 0; i < messages.size(); i++) {
            Message m = messages.get(i);
            String text = switch (m.role()) {
                case "system", "developer" -> template.system(m.content());
                case "user" -> {
                    String t = template.turn(m.content(), lastStop, first);
                    first = false;
                    lastStop = null;
                    yield t;
                }
                case "assistant" -> {
                    String body = m.content();
                    if (!template.replyPrefix().isEmpty() && body.startsWith(template.replyPrefix())) {
                        body = body.substring(template.replyPrefix().length());
                    } else if (template.replyPrefix().isEmpty() && template != ChatTemplate.NONE && !body.isEmpty()
                            && !Character.isWhitespace(body.charAt(0))) {
                        body = " " + body;
                    }
                    boolean last = i == messages.size() - 1;
                    lastStop = last ? null : stop;
                    yield last || stop == null ? body : body + stop;
                }
                default -> throw new IllegalArgumentException("unknown role " + m.role());
            };
            int[] piece = tokenizer.encode(text);
            total += piece.length;
            if (total > maxTokens) {
                throw ApiException.invalid("messages", "context_length_exceeded", "the conversation has more than "
                        + maxTokens + " tokens, the most this server takes");
            }
            pieces.add(piece);
        }
        int[] out = new int[total];
        int at = 0;
        for (int[] p : pieces) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
