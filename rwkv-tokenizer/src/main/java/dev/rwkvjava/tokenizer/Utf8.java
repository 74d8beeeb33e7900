package dev.rwkvjava.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * Strict UTF-8 checks and a lossy decoder with one fixed replacement rule: each maximal invalid subpart (a
 * lead byte plus the continuation bytes that are still valid after it, or else a single bad byte) becomes one
 * U+FFFD. That is the Unicode-recommended practice, also used by Python and Rust. {@link Tokenizer#decodeToString}
 * and {@link StreamingDecoder} both use it, so streaming gives the same text as decoding at the end.
 */
public final class Utf8 {
    private static final char REPLACEMENT = '\uFFFD';

    private Utf8() {
    }

    /**
     * Decodes bytes, replacing invalid or incomplete sequences with U+FFFD.
     *
     * @param b   the bytes
     * @param off the first byte to decode
     * @param len the number of bytes
     * @return the text
     */
    public static String decodeLossy(byte[] b, int off, int len) {
        // The JDK's decoder is fast and agrees with this one on valid input. Invalid input always leaves a
        // U+FFFD in its output; only then is the (rarer) replacement done here, by this class's rule.
        String fast = new String(b, off, len, StandardCharsets.UTF_8);
        if (fast.indexOf(REPLACEMENT) < 0) {
            return fast;
        }
        int end = off + len;
        if (validPrefixEnd(b, off, end) == end) {
            return fast; // valid text that holds U+FFFD itself
        }
        StringBuilder sb = new StringBuilder(len);
        int i = off;
        while (i < end) {
            int good = validPrefixEnd(b, i, end);
            if (good > i) {
                sb.append(new String(b, i, good - i, StandardCharsets.UTF_8));
                i = good;
                continue;
            }
            // b[i] starts a bad sequence: skip the lead and the continuation bytes that fit it.
            i += Math.max(1, validSequencePart(b, i, end));
            sb.append(REPLACEMENT);
        }
        return sb.toString();
    }

    /**
     * Whether bytes are valid UTF-8.
     *
     * @param b   the bytes
     * @param off the first byte to check
     * @param len the number of bytes
     * @return true when they are complete, valid sequences
     */
    public static boolean isValid(byte[] b, int off, int len) {
        return validPrefixEnd(b, off, off + len) == off + len;
    }

    /**
     * The offset of the first byte that does not start a complete, valid sequence.
     *
     * @param b the bytes
     * @return the offset, or -1 when all of {@code b} is valid UTF-8
     */
    public static int firstInvalid(byte[] b) {
        int end = validPrefixEnd(b, 0, b.length);
        return end == b.length ? -1 : end;
    }

    /** End of the longest prefix of {@code b[from, to)} made of complete, valid sequences. */
    static int validPrefixEnd(byte[] b, int from, int to) {
        int i = from;
        while (i < to) {
            if (b[i] >= 0) {
                i++;
                continue;
            }
            int n = sequenceLength(b[i] & 0xFF);
            if (n == 1 || validSequencePart(b, i, to) != n) {
                return i;
            }
            i += n;
        }
        return to;
    }

    /**
     * Length of the sequence a lead byte announces: 2-4, or 1 for ASCII and for bytes that cannot start a
     * sequence (continuation bytes, C0, C1, F5-FF).
     */
    static int sequenceLength(int lead) {
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

    /**
     * How many bytes from {@code start} (a lead byte) form a valid start of its sequence: the whole sequence
     * when complete, fewer when a byte is wrong or the input ends; 0 if {@code b[start]} is no lead byte.
     */
    static int validSequencePart(byte[] b, int start, int to) {
        int lead = b[start] & 0xFF;
        int n = sequenceLength(lead);
        if (n == 1) {
            return lead < 0x80 ? 1 : 0;
        }
        int k = 1;
        while (k < n && start + k < to) {
            int c = b[start + k] & 0xFF;
            int lo = 0x80;
            int hi = 0xBF;
            if (k == 1) {
                // The second byte's range rules out overlong forms, surrogates and code points above U+10FFFF.
                switch (lead) {
                    case 0xE0 -> lo = 0xA0;
                    case 0xED -> hi = 0x9F;
                    case 0xF0 -> lo = 0x90;
                    case 0xF4 -> hi = 0x8F;
                    default -> { }
                }
            }
            if (c < lo || c > hi) {
                break;
            }
            k++;
        }
        return k;
    }

    /**
     * Length of the prefix of {@code b[0, len)} that decodes the same now as after more bytes arrive: all but a
     * final sequence that is valid so far but incomplete.
     */
    static int stablePrefixLength(byte[] b, int len) {
        for (int start = len - 1; start >= Math.max(0, len - 3); start--) {
            int lead = b[start] & 0xFF;
            if ((lead & 0xC0) == 0x80) {
                continue; // continuation byte: its lead, if any, is further back
            }
            int n = sequenceLength(lead);
            boolean incomplete = n > len - start && validSequencePart(b, start, len) == len - start;
            return incomplete ? start : len;
        }
        return len;
    }
}
