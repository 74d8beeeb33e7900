package dev.rwkvjava.tokenizer;

import java.nio.charset.StandardCharsets;
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

    public StreamingDecoder(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Adds one token; returns the text it completes (possibly empty). */
    public String accept(int tokenId) {
        byte[] bytes = tokenizer.tokenBytes(tokenId);
        if (pendingLength + bytes.length > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + bytes.length));
        }
        System.arraycopy(bytes, 0, pending, pendingLength, bytes.length);
        pendingLength += bytes.length;
        return take(completePrefixLength(pending, pendingLength));
    }

    /** Ends the stream: emits whatever is held back, an incomplete sequence becoming U+FFFD. */
    public String flush() {
        return take(pendingLength);
    }

    /** True if bytes are held back waiting for the rest of a character. */
    public boolean hasPending() {
        return pendingLength > 0;
    }

    private String take(int n) {
        if (n == 0) {
            return "";
        }
        String s = new String(pending, 0, n, StandardCharsets.UTF_8);
        System.arraycopy(pending, n, pending, 0, pendingLength - n);
        pendingLength -= n;
        return s;
    }

    /**
     * Length of the prefix that can be decoded now: everything except a final sequence that is valid so far
     * but incomplete. Anything else (complete or hopelessly invalid) decodes the same now as later.
     */
    static int completePrefixLength(byte[] b, int len) {
        int limit = Math.max(0, len - 4);
        for (int start = len - 1; start >= limit; start--) {
            int lead = b[start] & 0xFF;
            if ((lead & 0xC0) == 0x80) {
                continue; // continuation byte: its lead, if any, is further back
            }
            int need = sequenceLength(lead);
            int have = len - start;
            if (need <= have || !validPrefix(b, start, len)) {
                return len;
            }
            return start;
        }
        return len;
    }

    /** Length announced by a lead byte, or 1 for ASCII and bytes that cannot start a sequence. */
    private static int sequenceLength(int lead) {
        if (lead >= 0xC2 && lead <= 0xDF) {
            return 2;
        }
        if (lead >= 0xE0 && lead <= 0xEF) {
            return 3;
        }
        if (lead >= 0xF0 && lead <= 0xF4) {
            return 4;
        }
        return 1;
    }

    /** Whether the bytes after the lead at {@code start} can still grow into a valid sequence. */
    private static boolean validPrefix(byte[] b, int start, int len) {
        int lead = b[start] & 0xFF;
        for (int i = start + 1; i < len; i++) {
            int c = b[i] & 0xFF;
            int lo = 0x80;
            int hi = 0xBF;
            if (i == start + 1) {
                // The second byte's range excludes overlong forms, surrogates and code points above U+10FFFF.
                switch (lead) {
                    case 0xE0 -> lo = 0xA0;
                    case 0xED -> hi = 0x9F;
                    case 0xF0 -> lo = 0x90;
                    case 0xF4 -> hi = 0x8F;
                    default -> { }
                }
            }
            if (c < lo || c > hi) {
                return false;
            }
        }
        return true;
    }
}
