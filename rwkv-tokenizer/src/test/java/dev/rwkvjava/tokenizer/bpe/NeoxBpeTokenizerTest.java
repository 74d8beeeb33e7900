package dev.rwkvjava.tokenizer.bpe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rwkvjava.tokenizer.TestData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** The GPT-NeoX-20B tokenizer of the RWKV-4 Pile models against the reference cases. */
class NeoxBpeTokenizerTest {
    private static BpeTokenizer neox;

    static synchronized BpeTokenizer neox() throws IOException {
        if (neox == null) {
            neox = BpeTokenizer.load(TestData.file("20B_tokenizer.json"));
        }
        return neox;
    }

    private static List<JsonNode> cases() {
        List<JsonNode> cases = TestData.jsonLines("neox20b_cases.jsonl");
        assertThat(cases).hasSize(93);
        return cases;
    }

    @TestFactory
    Stream<DynamicTest> everyCaseEncodesToTheReferenceIdsAndDecodesBack() throws IOException {
        BpeTokenizer tok = neox();
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.get("name").asText(), () -> {
            String text = c.get("text").asText();
            int[] expected = TestData.ints(c.get("ids"));
            assertThat(tok.encode(text)).containsExactly(expected);
            assertThat(tok.encode(text.getBytes(StandardCharsets.UTF_8))).containsExactly(expected);
            String decoded = c.has("decoded") ? c.get("decoded").asText() : text;
            assertThat(tok.decodeToString(expected)).isEqualTo(decoded);
            assertThat(tok.decode(expected)).isEqualTo(decoded.getBytes(StandardCharsets.UTF_8));
        }));
    }

    @TestFactory
    Stream<DynamicTest> everyCaseWithSpecialTokensAsText() throws IOException {
        BpeTokenizer tok = neox();
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.get("name").asText(), () -> {
            String text = c.get("text").asText();
            int[] expected = TestData.ints(c.get("ids_special_as_text"));
            assertThat(tok.encode(text, true)).containsExactly(expected);
            String decoded = c.has("decoded") ? c.get("decoded").asText() : text;
            assertThat(tok.decodeToString(expected)).isEqualTo(decoded);
        }));
    }

    @Test
    void specialTokensAndSpaceRuns() throws IOException {
        BpeTokenizer tok = neox();
        assertThat(tok.vocabSize()).isEqualTo(50277);
        assertThat(tok.encode("<|endoftext|>")).containsExactly(0);
        assertThat(tok.encode("<|endoftext|>", true)).containsExactly(29, 93, 423, 1171, 1156, 49651);
        assertThat(tok.encode("x" + " ".repeat(25) + "y")).containsExactly(89, 50254, 340);
        assertThat(tok.decodeToString(new int[] {50254})).isEqualTo(" ".repeat(24));
        assertThat(tok.encode("")).isEmpty();
    }

    @Test
    void invalidUtf8BytesAreRejected() throws IOException {
        BpeTokenizer tok = neox();
        assertThatThrownBy(() -> tok.encode(new byte[] {'a', (byte) 0xFF}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not valid UTF-8");
    }

    @Test
    void unknownIdsAreRejectedWithIdAndVocabularySize() throws IOException {
        BpeTokenizer tok = neox();
        assertThatThrownBy(() -> tok.decode(new int[] {50277}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("50277").hasMessageContaining("vocabulary size 50277");
    }

    @Test
    void randomUnicodeStringsDecodeToTheirNfcForm() throws IOException {
        BpeTokenizer tok = neox();
        Random random = new Random(50277);
        int[][] ranges = {
                {0x20, 0x7E}, {0x09, 0x0D}, {0xA0, 0x17F}, {0x300, 0x36F}, {0x391, 0x3C9}, {0x410, 0x44F},
                {0x600, 0x6FF}, {0xE00, 0xE5B}, {0x1100, 0x11FF}, {0x2000, 0x206F}, {0x3000, 0x30FF},
                {0x4E00, 0x9FFF}, {0xAC00, 0xD7A3}, {0xFE00, 0xFEFF}, {0x1F300, 0x1FAFF}, {0x20000, 0x2A6DF},
        };
        for (int trial = 0; trial < 1500; trial++) {
            StringBuilder sb = new StringBuilder();
            int len = random.nextInt(60);
            for (int i = 0; i < len; i++) {
                int r = random.nextInt(3) == 0 ? random.nextInt(ranges.length) : 0;
                int cp = ranges[r][0] + random.nextInt(ranges[r][1] - ranges[r][0] + 1);
                if (random.nextInt(10) == 0) {
                    sb.append(random.nextBoolean() ? "<|endoftext|>" : "  ");
                }
                sb.appendCodePoint(cp);
            }
            String s = sb.toString();
            // Special tokens are cut out before normalization, so the pieces between them are normalized
            // separately (a combining mark after "<|endoftext|>" cannot compose with its '>').
            String piecewiseNfc = Arrays.stream(s.split(Pattern.quote("<|endoftext|>"), -1))
                    .map(p -> Normalizer.normalize(p, Normalizer.Form.NFC))
                    .collect(Collectors.joining("<|endoftext|>"));
            assertThat(tok.decodeToString(tok.encode(s))).as("trial %d: %s", trial, s).isEqualTo(piecewiseNfc);
            assertThat(tok.decodeToString(tok.encode(s, true))).as("trial %d as text: %s", trial, s)
                    .isEqualTo(Normalizer.normalize(s, Normalizer.Form.NFC));
        }
    }
}
