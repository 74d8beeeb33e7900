package dev.rwkvjava.tokenizer;

import java.util.Arrays;

/**
 * Decodes tokens one at a time into text without ever splitting a character: a token may end inside a UTF-8
 * sequence (World splits most emoji over several tokens), so the incomplete tail is held back until a later
 * token completes it. Bytes that can never become valid UTF-8 are emitted at once as U+FFFD, so the
 * concatenated output of {@link #accept} and {@link #flush} always equals
 * {@link Tokenizer#decodeToString} of all the tokens. Not thread-safe: use one per generated stream.
 */
public final class StreamingDecoder {
    private final Tokenizer tokenizer;
    private byte[] pending = new byte[16];
    private int pendingLength;

    /**
     * A decoder for the tokens of a tokenizer.
     *
     * @param tokenizer the tokenizer
     */
    public StreamingDecoder(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /**
     * Adds one token.
     *
     * @param tokenId the token id
     * @return the text it completes (possibly empty)
     */
    public String accept(int tokenId) {
        byte[] bytes = tokenizer.tokenBytes(tokenId);
        if (pendingLength + bytes.length > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + bytes.length));
        }
        System.arraycopy(bytes, 0, pending, pendingLength, bytes.length);
        pendingLength += bytes.length;
        return take(Utf8.stablePrefixLength(pending, pendingLength));
    }

    /**
     * Ends the stream: emits whatever is held back, an incomplete sequence becoming U+FFFD.
     *
     * @return the text held back
     */
    public String flush() {
        return take(pendingLength);
    }

    /** {@return true if bytes are held back waiting for the rest of a character} */
    public boolean hasPending() {
        return pendingLength > 0;
    }

    private String take(int n) {
        if (n == 0) {
            return "";
        }
        String s = Utf8.decodeLossy(pending, 0, n);
        System.arraycopy(pending, n, pending, 0, pendingLength - n);
        pendingLength -= n;
        return s;
    }
}
