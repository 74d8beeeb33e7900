package dev.rwkvjava.tokenizer.bpe;

import java.text.Normalizer;
import java.util.Arrays;
import java.util.List;

/**
 * The Unicode normalization a {@code tokenizer.json} asks for (NFC, NFD, NFKC, NFKD, or a sequence of them),
 * done with {@link java.text.Normalizer}, but only where needed: the text is cut into chunks of a few KB at
 * safe places, chunks of characters below the form's threshold are skipped without a look, the others are
 * quick-checked, and only a chunk that fails is normalized. Text that is already normalized (nearly all
 * text) costs one pass.
 */
final class TextNormalizer {
    static final TextNormalizer NONE = new TextNormalizer(List.of());
    private static final int CHUNK = 4096;

    private final List<Normalizer.Form> forms;
    /**
     * Below this code point every character is unchanged by all the forms and nothing before it can combine
     * with it, so text can be cut in front of such a character and normalized piecewise.
     */
    private final char stableBelow;

    TextNormalizer(List<Normalizer.Form> forms) {
        this.forms = List.copyOf(forms);
        char below = Character.MAX_VALUE;
        for (Normalizer.Form f : forms) {
            // NFC: nothing below U+0300 decomposes or composes with what precedes it; NFD: U+00C0 is the
            // first character with a decomposition; the K forms: U+00A0 has a compatibility one.
            char b = switch (f) {
                case NFC -> '\u0300';
                case NFD -> '\u00C0';
                case NFKC, NFKD -> '\u00A0';
            };
            below = (char) Math.min(below, b);
        }
        this.stableBelow = below;
    }

    String apply(String s) {
        char[] c = s.toCharArray();
        char[] n = apply(c, 0, c.length);
        return n == null ? s : new String(n);
    }

    /** The normalized form of {@code c[start, end)}, or null if it is already normalized. */
    char[] apply(char[] c, int start, int end) {
        if (forms.isEmpty()) {
            return null;
        }
        char[] out = null;
        int outLength = 0;
        int copied = start;
        int pos = start;
        while (pos < end) {
            int i = pos;
            while (i < end && c[i] < stableBelow) {
                i++;
            }
            if (i == end) {
                break;
            }
            // The character before i may combine with what follows, so the chunk starts with it.
            int chunkStart = Math.max(pos, i - 1);
            int chunkEnd = Math.min(end, Math.max(i + 1, chunkStart + CHUNK));
            while (chunkEnd < end && c[chunkEnd] >= stableBelow) {
                chunkEnd++;
            }
            String chunk = new String(c, chunkStart, chunkEnd - chunkStart);
            if (!isNormalized(chunk)) {
                String normalized = normalize(chunk);
                int need = outLength + (chunkStart - copied) + normalized.length() + (end - chunkEnd);
                out = out == null ? new char[need] : Arrays.copyOf(out, Math.max(need, out.length));
                System.arraycopy(c, copied, out, outLength, chunkStart - copied);
                outLength += chunkStart - copied;
                normalized.getChars(0, normalized.length(), out, outLength);
                outLength += normalized.length();
                copied = chunkEnd;
            }
            pos = chunkEnd;
        }
        if (out == null) {
            return null;
        }
        System.arraycopy(c, copied, out, outLength, end - copied);
        outLength += end - copied;
        return outLength == out.length ? out : Arrays.copyOf(out, outLength);
    }

    private boolean isNormalized(String s) {
        for (Normalizer.Form f : forms) {
            if (!Normalizer.isNormalized(s, f)) {
                return false;
            }
        }
        return true;
    }

    private String normalize(String s) {
        for (Normalizer.Form f : forms) {
            s = Normalizer.normalize(s, f);
        }
        return s;
    }

    @Override
    public String toString() {
        return forms.isEmpty() ? "none" : forms.toString();
    }
}
