package dev.rwkvjava.tokenizer.bpe;

import java.util.Arrays;

/**
 * GPT-2's byte-level alphabet: each byte stands for a printable character so that vocabulary entries are
 * strings. Bytes 0x21-0x7E, 0xA1-0xAC and 0xAE-0xFF map to the same code point; the other 68 bytes, in
 * increasing order, to U+0100, U+0101, ... (space is 'Ġ' U+0120, newline 'Ċ' U+010A).
 */
final class ByteLevelAlphabet {
    private static final char[] BYTE_TO_CHAR = new char[256];
    /** Indexed by char; -1 where the char is not in the alphabet. Every alphabet char is below U+0144. */
    private static final int[] CHAR_TO_BYTE = new int[0x144];

    static {
        Arrays.fill(CHAR_TO_BYTE, -1);
        int next = 0x100;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) next++;
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevelAlphabet() {
    }

    static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** The byte a character stands for, or -1 if it is not in the alphabet. */
    static int byteOf(int c) {
        return c >= 0 && c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /** The alphabet string of {@code bytes} (the form vocabulary entries are written in). */
    static String encode(byte[] bytes) {
        char[] chars = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            chars[i] = charOf(bytes[i]);
        }
        return new String(chars);
    }

    /**
     * The bytes of a token string as the ByteLevel decoder produces them: alphabet characters map back to
     * their bytes; a token holding any other character (such as an added token of real spaces) is taken as
     * its own UTF-8.
     */
    static byte[] decodeToken(String token) {
        char[] c = token.toCharArray();
        byte[] out = new byte[c.length * 3];
        int n = decodeToken(c, 0, c.length, out);
        return java.util.Arrays.copyOf(out, n);
    }

    /**
     * {@link #decodeToken(String)} of {@code c[off, off + len)} into {@code out}, which must hold
     * {@code 3 * len} bytes; returns the number of bytes written.
     */
    static int decodeToken(char[] c, int off, int len, byte[] out) {
        for (int i = 0; i < len; i++) {
            int b = byteOf(c[off + i]);
            if (b < 0) {
                return Utf8.encodeInto(c, off, off + len, out);
            }
            out[i] = (byte) b;
        }
        return len;
    }
}
