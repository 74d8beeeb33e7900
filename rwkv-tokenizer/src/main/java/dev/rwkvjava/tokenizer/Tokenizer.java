package dev.rwkvjava.tokenizer;

/**
 * Turns text or bytes into token ids and back. Implementations are immutable and safe to share between threads.
 *
 * <p>Decoding works on bytes because a token may hold only part of a UTF-8 character; convert to text at the
 * end ({@link #decodeToString}) or token by token with a {@link StreamingDecoder}.
 */
public interface Tokenizer {

    /** {@return the number of ids this tokenizer knows: every valid id is in {@code [0, vocabSize())}} */
    int vocabSize();

    /**
     * Encodes the UTF-8 form of a text. No BOS/EOS ids are added.
     *
     * @param text the text
     * @return its token ids
     */
    int[] encode(String text);

    /**
     * Encodes raw bytes. Byte-level vocabularies (World, bytes) accept any byte string, valid UTF-8 or not;
     * text-based ones reject input that is not valid UTF-8 with an {@link IllegalArgumentException}.
     *
     * @param input the bytes
     * @return their token ids
     */
    int[] encode(byte[] input);

    /**
     * Concatenates the bytes of the given tokens.
     *
     * @param ids the token ids
     * @return their bytes, concatenated
     * @throws IllegalArgumentException if an id is not in the vocabulary (the message names the id and the
     *                                  vocabulary size)
     */
    byte[] decode(int[] ids);

    /**
     * The bytes of one token (a fresh copy). Same errors as {@link #decode}.
     *
     * @param id the token id
     * @return its bytes
     */
    byte[] tokenBytes(int id);

    /**
     * Decodes to text; each invalid or incomplete UTF-8 sequence becomes one U+FFFD (see {@link Utf8}).
     *
     * @param ids the token ids
     * @return the text
     */
    default String decodeToString(int[] ids) {
        byte[] bytes = decode(ids);
        return Utf8.decodeLossy(bytes, 0, bytes.length);
    }

    /** {@return a new decoder for text generated one token at a time} */
    default StreamingDecoder streamingDecoder() {
        return new StreamingDecoder(this);
    }
}
