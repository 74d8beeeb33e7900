package dev.rwkvjava.tokenizer.fuzz;

import dev.rwkvjava.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** What the tokenizer fuzzers do with a tokenizer that loaded, and ask of one that did not. */
final class Exercise {
    static final String TEXT = "Hello, world! The quick brown fox jumps over the lazy dog.\n\tÜber 1234 "
            + "日本語 🙂 <|endoftext|>  spaces   and\r\nlines";

    private Exercise() {
    }

    /** Every id decodes; text encodes to ids in range that decode back to the same bytes. */
    static void roundTrip(Tokenizer t) {
        roundTrip(t, true);
    }

    /**
     * As {@link #roundTrip(Tokenizer)}, but the decoded bytes are compared with the text only if
     * {@code spellsText}: the caller has found that the tokenizer's vocabulary can spell every byte of
     * {@link #TEXT}.
     */
    static void roundTrip(Tokenizer t, boolean spellsText) {
        int n = t.vocabSize();
        if (n < 0) {
            throw new AssertionError("vocabulary size " + n);
        }
        for (int id = 0; id < Math.min(n, 2048); id++) {
            try {
                t.tokenBytes(id);
            } catch (IllegalArgumentException e) {
                // An id in a hole of a sparse vocabulary is refused by name.
                if (e.getMessage() == null || !e.getMessage().contains("unknown token id " + id)) {
                    throw e;
                }
            }
        }
        byte[] text = TEXT.getBytes(StandardCharsets.UTF_8);
        int[] ids;
        try {
            ids = t.encode(TEXT);
        } catch (IllegalArgumentException e) {
            // A vocabulary that cannot spell some byte refuses the text with a message.
            if (e.getMessage() == null || e.getMessage().isBlank()) {
                throw new AssertionError("encoding refused without a message", e);
            }
            return;
        }
        for (int id : ids) {
            if (id < 0 || id >= n) {
                throw new AssertionError("encoded id " + id + " outside the vocabulary of " + n);
            }
        }
        byte[] back = t.decode(ids);
        if (spellsText && !Arrays.equals(back, text)) {
            throw new AssertionError("decode(encode(text)) differs from the text: " + new String(back,
                    StandardCharsets.UTF_8));
        }
    }

    static void checkMessage(RuntimeException e, String source) {
        if (e.getMessage() == null || !e.getMessage().contains(source)) {
            throw new AssertionError("refusal does not name " + source + ": " + e.getMessage(), e);
        }
    }
}
