package dev.rwkvjava.tokenizer.bpe;

import java.text.Normalizer;
import java.util.List;

/**
 * The Unicode normalization a {@code tokenizer.json} asks for (NFC, NFD, NFKC, NFKD, or a sequence of them),
 * done with {@link java.text.Normalizer}. Text made only of characters below a form's threshold is already
 * normalized and is returned as is, so plain ASCII never reaches the Normalizer.
 */
final class TextNormalizer {
    static final TextNormalizer NONE = new TextNormalizer(List.of());

    private final List<Normalizer.Form> forms;
    /** Below this code point every character is unchanged by all the forms. */
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

    boolean isIdentity() {
        return forms.isEmpty();
    }

    String apply(String s) {
        if (forms.isEmpty() || allBelow(s, stableBelow) || isNormalized(s)) {
            return s;
        }
        // Normalizing the whole text measured faster than cutting out just the stretches that need it.
        return normalize(s);
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

    /** True if {@code c[start, end)} is certainly unchanged by {@link #apply} (a cheap test, no false positives). */
    boolean isStable(char[] c, int start, int end) {
        if (forms.isEmpty()) {
            return true;
        }
        for (int i = start; i < end; i++) {
            if (c[i] >= stableBelow) {
                return false;
            }
        }
        return true;
    }

    private static boolean allBelow(String s, char limit) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= limit) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return forms.isEmpty() ? "none" : forms.toString();
    }
}
