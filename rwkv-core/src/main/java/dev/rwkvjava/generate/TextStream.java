package dev.rwkvjava.generate;

import dev.rwkvjava.tokenizer.Tokenizer;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Turns generated tokens into text pieces for a listener, in two stages:
 * <ol>
 *   <li>bytes to characters: a token may end inside a UTF-8 character, so incomplete trailing bytes wait for the
 *       next token (bytes that can never be valid become U+FFFD);</li>
 *   <li>stop strings: characters that could be the beginning of a stop string are held back until the next
 *       characters show whether the stop string follows. When it does, everything before it is emitted and the
 *       stream ends; the stop string itself never reaches the listener.</li>
 * </ol>
 * Buffers are allocated once; a token allocates nothing but the piece of text it releases.
 */
public final class TextStream {
    private final TokenBytes table;
    private final String[] stops;
    private final int longestStop;
    private final GenerationListener listener;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private final ByteBuffer in;
    private final CharBuffer out;
    /** Decoded characters not yet emitted. */
    private final StringBuilder held = new StringBuilder();
    /** Everything emitted, for the result. */
    private final StringBuilder text = new StringBuilder();
    private boolean stopped;

    /**
     * A stream for the tokens of a model, that ends at the first stop string; text pieces go to
     * {@code listener.onText} as they become final.
     *
     * @param tokenizer   decodes the tokens
     * @param vocabSize   the model's number of ids
     * @param stopStrings texts that end the stream
     * @param listener    receives the text pieces
     * @return the stream
     */
    public static TextStream create(Tokenizer tokenizer, int vocabSize, List<String> stopStrings,
                                    GenerationListener listener) {
        return new TextStream(TokenBytes.of(tokenizer, vocabSize), stopStrings, listener);
    }

    TextStream(TokenBytes table, List<String> stopStrings, GenerationListener listener) {
        this.table = table;
        this.stops = stopStrings.toArray(new String[0]);
        int longest = 0;
        for (String s : stops) {
            longest = Math.max(longest, s.length());
        }
        this.longestStop = longest;
        this.listener = listener;
        // Room for a held-back partial character (at most 3 bytes) plus the longest token.
        this.in = ByteBuffer.allocate(table.maxLength() + 8);
        this.out = CharBuffer.allocate(table.maxLength() + 8);
    }

    /**
     * Adds a token's text.
     *
     * @param token the token id
     * @return true when a stop string completed (the stream has then ended)
     */
    public boolean accept(int token) {
        if (stopped) {
            throw new IllegalStateException("the text stream has ended at a stop string");
        }
        in.put(table.pool(), table.start(token), table.length(token));
        in.flip();
        decoder.decode(in, out, false);
        in.compact();
        return release();
    }

    /** Ends the stream (no stop string came): a trailing incomplete character becomes U+FFFD, held text is emitted. */
    public void finish() {
        if (stopped) {
            return;
        }
        in.flip();
        decoder.decode(in, out, true);
        decoder.flush(out);
        in.clear();
        out.flip();
        held.append(out);
        out.clear();
        if (!findStop()) {
            emit(held.length());
        }
        stopped = true;
    }

    /** {@return the text emitted so far} */
    public String text() {
        return text.toString();
    }

    private boolean release() {
        out.flip();
        held.append(out);
        out.clear();
        if (findStop()) {
            return true;
        }
        emit(held.length() - stopPrefixLength());
        return false;
    }

    /** Emits the text before the earliest stop string in held, if any, and ends the stream. */
    private boolean findStop() {
        int at = -1;
        for (String s : stops) {
            int i = held.indexOf(s);
            if (i >= 0 && (at < 0 || i < at)) {
                at = i;
            }
        }
        if (at < 0) {
            return false;
        }
        emit(at);
        held.setLength(0);
        stopped = true;
        return true;
    }

    /** Length of the longest end of held that is a proper beginning of some stop string. */
    private int stopPrefixLength() {
        int n = held.length();
        for (int k = Math.min(n, longestStop - 1); k > 0; k--) {
            for (String s : stops) {
                if (s.length() > k && endsWith(s, k)) {
                    return k;
                }
            }
        }
        return 0;
    }

    private boolean endsWith(String s, int k) {
        int base = held.length() - k;
        for (int i = 0; i < k; i++) {
            if (held.charAt(base + i) != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private void emit(int n) {
        if (n > 0 && n < held.length() && Character.isHighSurrogate(held.charAt(n - 1))) {
            n--; // never split a surrogate pair between two pieces
        }
        if (n <= 0) {
            return;
        }
        String piece = held.substring(0, n);
        held.delete(0, n);
        text.append(piece);
        listener.onText(piece);
    }
}
