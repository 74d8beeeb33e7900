package dev.rwkvjava.tokenizer.bpe;

/**
 * Splits text like the GPT-2 pattern
 * {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+} with Unicode classes
 * ({@code \s} is the White_Space property), written out by hand: one pass over the chars with a class table,
 * no backtracking, no allocation. The test suite checks it against {@link java.util.regex.Pattern} on
 * random text.
 */
final class Gpt2PreTokenizer {
    static final String PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    private static final byte SPACE = 0;
    private static final byte LETTER = 1;
    private static final byte NUMBER = 2;
    private static final byte OTHER = 3;
    /** Class of every UTF-16 unit (surrogates are OTHER: a lone one is matched as itself, like the regex). */
    private static final byte[] BMP = new byte[65536];

    static {
        for (int c = 0; c < BMP.length; c++) {
            BMP[c] = classify(c);
        }
    }

    private Gpt2PreTokenizer() {
    }

    /** End of the piece that starts at {@code pos}; pieces cover {@code s[pos, end)} with no gaps. */
    static int next(char[] s, int pos, int end) {
        char c = s[pos];
        if (c == '\'' && pos + 1 < end) {
            char c1 = s[pos + 1];
            if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') {
                return pos + 2;
            }
            if (pos + 2 < end) {
                char c2 = s[pos + 2];
                if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) {
                    return pos + 3;
                }
            }
        }
        int start = pos;
        if (c == ' ' && pos + 1 < end && classAt(s, pos + 1, end) != SPACE) {
            start = pos + 1; // " ?X+": the space joins the run that follows it
        }
        int cls = classAt(s, start, end);
        if (cls != SPACE) {
            return runEnd(s, start, end, cls);
        }
        int runEnd = runEnd(s, start, end, SPACE);
        // \s+(?!\S): leave the last blank to start the next word, unless it is the only one (then \s+).
        if (runEnd < end && runEnd - start >= 2) {
            return runEnd - 1;
        }
        return runEnd;
    }

    private static int runEnd(char[] s, int pos, int end, int cls) {
        int i = pos;
        while (i < end) {
            char c = s[i];
            if (Character.isHighSurrogate(c) && i + 1 < end && Character.isLowSurrogate(s[i + 1])) {
                if (classify(Character.toCodePoint(c, s[i + 1])) != cls) {
                    break;
                }
                i += 2;
            } else {
                if (BMP[c] != cls) {
                    break;
                }
                i++;
            }
        }
        return i;
    }

    private static int classAt(char[] s, int i, int end) {
        char c = s[i];
        if (Character.isHighSurrogate(c) && i + 1 < end && Character.isLowSurrogate(s[i + 1])) {
            return classify(Character.toCodePoint(c, s[i + 1]));
        }
        return BMP[c];
    }

    private static byte classify(int cp) {
        if (isWhiteSpace(cp)) {
            return SPACE;
        }
        return switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER -> LETTER;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
            default -> OTHER;
        };
    }

    /** The Unicode White_Space property (what {@code \s} means in Rust and Oniguruma), not Java's isWhitespace. */
    static boolean isWhiteSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F
                || cp == 0x205F || cp == 0x3000;
    }
}
