package dev.rwkvjava.tokenizer.bpe;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rwkvjava.tokenizer.TestData;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The hand-written scanner must split exactly like the GPT-2 regex with Unicode classes. */
class Gpt2PreTokenizerTest {
    private static final Pattern GPT2 = Pattern.compile(Gpt2PreTokenizer.PATTERN, Pattern.UNICODE_CHARACTER_CLASS);

    private static List<String> byRegex(String s) {
        List<String> out = new ArrayList<>();
        Matcher m = GPT2.matcher(s);
        int last = 0;
        while (m.find()) {
            assertThat(m.start()).as("regex leaves no gaps in %s", s).isEqualTo(last);
            out.add(m.group());
            last = m.end();
        }
        assertThat(last).isEqualTo(s.length());
        return out;
    }

    private static List<String> byScanner(String s) {
        List<String> out = new ArrayList<>();
        int pos = 0;
        while (pos < s.length()) {
            int end = Gpt2PreTokenizer.next(s.toCharArray(), pos, s.length());
            assertThat(end).isGreaterThan(pos);
            out.add(s.substring(pos, end));
            pos = end;
        }
        return out;
    }

    @Test
    void knownSplits() {
        assertThat(byScanner("Hello world's  end\n\n x")).containsExactly("Hello", " world", "'s", " ", " end", "\n\n", " x");
        assertThat(byScanner("DON'T don't")).containsExactly("DON", "'", "T", " don", "'t");
        assertThat(byScanner("a\u00a0b")).containsExactly("a", "\u00a0", "b"); // NBSP is \s in Unicode mode
        assertThat(byScanner("a \ufeffb")).containsExactly("a", " \ufeff", "b"); // U+FEFF is not
        assertThat(byScanner("a \u0085b")).containsExactly("a", " ", "\u0085", "b"); // U+0085 is
        assertThat(byScanner("x 123 ½ 😀😀")).containsExactly("x", " 123", " ½", " 😀😀");
    }

    @Test
    void matchesTheRegexOnEveryCaseText() {
        for (String file : new String[] {"neox20b_cases.jsonl", "world_v20230424_cases.jsonl"}) {
            for (JsonNode c : TestData.jsonLines(file)) {
                if (!c.get("text").isNull()) {
                    String s = c.get("text").asText();
                    assertThat(byScanner(s)).as(c.get("name").asText()).isEqualTo(byRegex(s));
                }
            }
        }
    }

    @Test
    void matchesTheRegexOnRandomText() {
        Random random = new Random(2);
        String pool = "ab Z9'sterdvml \t\n\r\u000b\f\u0085\u00a0\u1680\u2000\u200a\u200b\u2028\u2029\u202f\u205f\u3000"
                + "\ufeff\u00bd\u0661\u2160.,!?\"-_\u0301\u00e9\u4e2d\ud83d\ude00\ud835\udc00\ud800";
        int[] cps = pool.codePoints().toArray();
        for (int trial = 0; trial < 20_000; trial++) {
            StringBuilder sb = new StringBuilder();
            int len = random.nextInt(25);
            for (int i = 0; i < len; i++) {
                sb.appendCodePoint(cps[random.nextInt(cps.length)]);
            }
            String s = sb.toString();
            assertThat(byScanner(s)).as("%s", s.codePoints().mapToObj(Integer::toHexString).toList()).isEqualTo(byRegex(s));
        }
    }
}
