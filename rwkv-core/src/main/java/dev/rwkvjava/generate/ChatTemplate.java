package dev.rwkvjava.generate;

import dev.rwkvjava.tokenizer.Tokenizer;
import dev.rwkvjava.tokenizer.bpe.BpeTokenizer;

import java.util.List;
import java.util.Locale;

/**
 * Prompt formats of the RWKV chat models. A turn is the user's message wrapped in the format; the reply is generated
 * until one of the template's stop strings (or end-of-text). Because the stop string stays in the state, the next
 * turn is fed without the part of it the stop string already supplied.
 */
public enum ChatTemplate {
    /** RWKV World / RWKV-5, 6, 7 chat (ChatRWKV {@code API_DEMO_CHAT.py}): answers end at a blank line. */
    WORLD("world", "System: %s\n\n", "User: %s\n\nAssistant:", "", List.of("\n\n")),
    /**
     * RWKV-7 G1 reasoning models: the reply is opened with {@code <think} so the model writes its reasoning in a
     * {@code <think>…</think>} block, then the answer; a reply can contain blank lines, so it ends at the next
     * {@code User:}.
     */
    G1("g1", "System: %s\n\n", "User: %s\n\nAssistant: <think", "<think", List.of("\n\nUser:")),
    /** RWKV-4 Raven instruction format. */
    RAVEN("raven", "%s\n\n", "### Instruction: %s\n### Response:", "", List.of("\n\n", "\n###")),
    /** RWKV-4 Raven chat format (ChatRWKV's Bob and Alice). */
    BOB("bob", "%s\n\n", "Bob: %s\n\nAlice:", "", List.of("\n\n")),
    /** No format: the message is fed as typed, generation stops only at end-of-text or the token limit. */
    NONE("none", "%s", "%s", "", List.of());

    private final String label;
    private final String system;
    private final String turn;
    private final String replyPrefix;
    private final List<String> stops;

    ChatTemplate(String label, String system, String turn, String replyPrefix, List<String> stops) {
        this.label = label;
        this.system = system;
        this.turn = turn;
        this.replyPrefix = replyPrefix;
        this.stops = stops;
    }

    /** {@return the template's name, as {@link #of} takes it} */
    public String label() {
        return label;
    }

    /**
     * The template of a name.
     *
     * @param name world, g1, raven, bob or none
     * @return the template
     * @throws IllegalArgumentException naming the known templates when there is none of that name
     */
    public static ChatTemplate of(String name) {
        for (ChatTemplate t : values()) {
            if (t.label.equals(name.toLowerCase(Locale.ROOT))) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown chat template '" + name + "'; known: world, g1, raven, bob, none");
    }

    /**
     * The template for a model's tokenizer: World for World-vocabulary and byte models, Raven for GPT-NeoX (Hugging
     * Face tokenizer.json) models.
     *
     * @param tokenizer the model's tokenizer
     * @return the template
     */
    public static ChatTemplate defaultFor(Tokenizer tokenizer) {
        return tokenizer instanceof BpeTokenizer ? RAVEN : WORLD;
    }

    /**
     * Text to feed for a system prompt at the start of a conversation.
     *
     * @param text the system prompt
     * @return the text to feed
     */
    public String system(String text) {
        return String.format(system, clean(text));
    }

    /** {@return the strings that end a reply} */
    public List<String> stopStrings() {
        return stops;
    }

    /** {@return what the template itself writes at the start of every reply (shown before the generated text)} */
    public String replyPrefix() {
        return replyPrefix;
    }

    /**
     * The text to feed for a user message.
     *
     * @param message  the user's message
     * @return the text to feed, ending where the reply begins
     * @param lastStop the stop string that ended the previous reply (already in the state), or null when the
     *                 previous reply ended otherwise (end-of-text, token limit)
     * @param first    whether this is the first turn since the start (or a system prompt)
     */
    public String turn(String message, String lastStop, boolean first) {
        String t = String.format(turn, this == NONE ? message : clean(message));
        if (this == NONE) {
            return t;
        }
        if (lastStop == null) {
            return first ? t : "\n\n" + t;
        }
        // The stop string is in the state: feed only what it did not already supply.
        for (int k = Math.min(lastStop.length(), t.length()); k > 0; k--) {
            if (lastStop.endsWith(t.substring(0, k))) {
                return t.substring(k);
            }
        }
        return t;
    }

    /** ChatRWKV's message clean-up: trimmed, Windows line ends, no blank lines (a blank line ends a turn). */
    static String clean(String message) {
        return message.strip().replace("\r\n", "\n").replaceAll("\n+", "\n");
    }
}
