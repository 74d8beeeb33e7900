package dev.rwkvjava.tokenizer.bpe;

import java.util.Arrays;

/** UTF-8 encoding of part of a string, with lone surrogates written as '?' like {@link String#getBytes}. */
final class Utf8 {
    private Utf8() {
    }

    static byte[] encode(char[] s, int start, int end) {
        byte[] out = new byte[(end - start) * 3];
        return Arrays.copyOf(out, encodeInto(s, start, end, out));
    }

    /** Writes the UTF-8 of {@code s[start, end)} to {@code out} (room for 3 bytes per char); returns the length. */
    static int encodeInto(char[] s, int start, int end, byte[] out) {
        int n = 0;
        for (int i = start; i < end; i++) {
            char c = s[i];
            if (c < 0x80) {
                out[n++] = (byte) c;
            } else if (c < 0x800) {
                out[n++] = (byte) (0xC0 | (c >> 6));
                out[n++] = (byte) (0x80 | (c & 0x3F));
            } else if (Character.isHighSurrogate(c) && i + 1 < end && Character.isLowSurrogate(s[i + 1])) {
                int cp = Character.toCodePoint(c, s[++i]);
                out[n++] = (byte) (0xF0 | (cp >> 18));
                out[n++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                out[n++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                out[n++] = (byte) (0x80 | (cp & 0x3F));
            } else if (Character.isSurrogate(c)) {
                out[n++] = '?';
            } else {
                out[n++] = (byte) (0xE0 | (c >> 12));
                out[n++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                out[n++] = (byte) (0x80 | (c & 0x3F));
            }
        }
        return n;
    }
}
