package dev.rwkvjava.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Utf8Test {
    private static byte[] bytes(int... b) {
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = (byte) b[i];
        }
        return out;
    }

    private static String lossy(byte[] b) {
        return Utf8.decodeLossy(b, 0, b.length);
    }

    @Test
    void eachMaximalInvalidSubpartBecomesOneReplacementCharacter() {
        // The example of the Unicode Standard (U+FFFD substitution of maximal subparts); Python agrees.
        assertThat(lossy(bytes(0x61, 0xF1, 0x80, 0x80, 0xE1, 0x80, 0xC2, 0x62, 0x80, 0x63, 0x80, 0xBF, 0x64)))
                .isEqualTo("a\uFFFD\uFFFD\uFFFDb\uFFFDc\uFFFD\uFFFDd");
        // Surrogates, values above U+10FFFF and overlongs: every byte on its own.
        assertThat(lossy(bytes(0xED, 0xA0, 0x80, 0xF4, 0x90, 0x80, 0x80, 0xC0, 0xAF, 0xE0, 0x80, 0xAF)))
                .isEqualTo("\uFFFD".repeat(12));
        assertThat(lossy(bytes(0xF0, 0x9F, 0x98))).isEqualTo("\uFFFD");
    }

    @Test
    void validTextIsDecodedAsIsIncludingAnEncodedReplacementCharacter() {
        String s = "a\uFFFDé中😀";
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        assertThat(Utf8.isValid(b, 0, b.length)).isTrue();
        assertThat(lossy(b)).isEqualTo(s);
    }
}
