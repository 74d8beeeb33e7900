package dev.rwkvjava.tokenizer.bpe;

/**
 * An entry of {@code added_tokens}: text matched before the model sees the input. {@code normalized} tokens
 * are matched on the normalized text, the others on the raw text; {@code special} ones can be switched off
 * (treated as ordinary text).
 */
record AddedToken(int id, String content, boolean special, boolean normalized, boolean lstrip, boolean rstrip,
        boolean singleWord) {
}
