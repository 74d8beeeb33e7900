package dev.rwkvjava.tokenizer.bpe;

import static org.assertj.core.api.Assertions.assertThat;

import java.text.Normalizer;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Normalizing stretch by stretch must give exactly what normalizing the whole text gives. */
class TextNormalizerTest {
    @Test
    void stretchwiseNormalizationEqualsWholeTextNormalization() {
        String pool = "aeoAEZ n\t\u00e9\u00c5\u00b4\u0301\u0300\u0327\u0338\u0345\u0344\u0340>=<\u1100\u1161\u11a8\uac00"
                + "\u0b47\u0b3e\u0915\u093c\u212b\u2126\ufb01\u00bd\u3099\u304b\uff76\ud834\udd5e\ud834\udd65";
        int[] cps = pool.codePoints().toArray();
        Random random = new Random(11);
        for (Normalizer.Form form : Normalizer.Form.values()) {
            TextNormalizer normalizer = new TextNormalizer(List.of(form));
            for (int trial = 0; trial < 5000; trial++) {
                StringBuilder sb = new StringBuilder();
                int len = random.nextInt(30);
                for (int i = 0; i < len; i++) {
                    sb.appendCodePoint(cps[random.nextInt(cps.length)]);
                }
                String s = sb.toString();
                assertThat(normalizer.apply(s)).as("%s of %s", form, s).isEqualTo(Normalizer.normalize(s, form));
            }
        }
        TextNormalizer both = new TextNormalizer(List.of(Normalizer.Form.NFKD, Normalizer.Form.NFC));
        assertThat(both.apply("\ufb01e\u0301")).isEqualTo("fi\u00e9");
    }
}
