package dev.rwkvjava.tokenizer.world;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rwkvjava.tokenizer.TestData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

class WorldTokenizerTest {
    private static WorldTokenizer world;

    static synchronized WorldTokenizer world() throws IOException {
        if (world == null) {
            world = WorldTokenizer.load(TestData.file("rwkv_vocab_v20230424.txt"));
        }
        return world;
    }

    private static byte[] input(JsonNode c) {
        JsonNode text = c.get("text");
        return text.isNull() ? TestData.hex(c.get("bytes_hex").asText()) : text.asText().getBytes(StandardCharsets.UTF_8);
    }

    @TestFactory
    Stream<DynamicTest> everyCaseEncodesToTheReferenceIdsAndDecodesBack() throws IOException {
        WorldTokenizer tok = world();
        List<JsonNode> cases = TestData.jsonLines("world_v20230424_cases.jsonl");
        assertThat(cases).hasSize(102);
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.get("name").asText(), () -> {
            byte[] in = input(c);
            int[] expected = TestData.ints(c.get("ids"));
            assertThat(tok.encode(in)).containsExactly(expected);
            assertThat(tok.decode(expected)).isEqualTo(in);
            if (!c.get("text").isNull()) {
                assertThat(tok.encode(c.get("text").asText())).containsExactly(expected);
            }
        }));
    }

    @Test
    void vocabularyHasEndOfTextPlusTheFileEntries() throws IOException {
        WorldTokenizer tok = world();
        assertThat(tok.vocabSize()).isEqualTo(65530);
        assertThat(tok.tokenBytes(WorldTokenizer.END_OF_TEXT)).isEmpty();
        assertThat(tok.tokenBytes(33)).containsExactly(' ');
        assertThat(tok.tokenBytes(65529)).hasSize(128);
        // '\x80' in a str literal is U+0080 (C2 80); b'\x80' is the raw byte.
        assertThat(tok.tokenBytes(2423)).containsExactly(0xC2, 0x80);
        assertThat(tok.tokenBytes(129)).containsExactly(0x80);
        assertThat(tok.tokenBytes(379)).containsExactly('"', '\'');
        assertThat(tok.tokenBytes(10078)).containsExactly(0xE3, 0x80, 0x80);
    }

    @Test
    void backsOffToTheLastCompleteToken() throws IOException {
        WorldTokenizer tok = world();
        assertThat(tok.encode("-".repeat(81))).containsExactly(65528, 46);
        assertThat(tok.encode(" ".repeat(129))).containsExactly(65529, 33);
    }

    @Test
    void unknownIdsAreRejectedWithIdAndVocabularySize() throws IOException {
        WorldTokenizer tok = world();
        assertThatThrownBy(() -> tok.decode(new int[] {5, 65530}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("65530").hasMessageContaining("vocabulary size 65530");
        assertThatThrownBy(() -> tok.tokenBytes(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
    }

    @Test
    void randomByteStringsSurviveARoundTrip() throws IOException {
        WorldTokenizer tok = world();
        Random random = new Random(20230424);
        for (int trial = 0; trial < 2000; trial++) {
            byte[] b = new byte[random.nextInt(200)];
            if (trial % 2 == 0) {
                random.nextBytes(b);
            } else {
                // Mostly ASCII and UTF-8 lead/continuation bytes, where long tokens and partial matches live.
                byte[] alphabet = " -etaoinTHE\n\t\u00e4".getBytes(StandardCharsets.UTF_8);
                for (int i = 0; i < b.length; i++) {
                    b[i] = random.nextInt(4) == 0 ? (byte) random.nextInt(256) : alphabet[random.nextInt(alphabet.length)];
                }
            }
            int[] ids = tok.encode(b);
            assertThat(ids).doesNotContain(WorldTokenizer.END_OF_TEXT);
            assertThat(tok.decode(ids)).as("trial %d", trial).isEqualTo(b);
        }
    }
}
