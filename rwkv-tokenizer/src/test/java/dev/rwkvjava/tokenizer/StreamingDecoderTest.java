package dev.rwkvjava.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rwkvjava.tokenizer.bpe.BpeTokenizer;
import dev.rwkvjava.tokenizer.world.WorldTokenizer;
import java.io.IOException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StreamingDecoderTest {
    private static final String TEXT = "日本語のテキスト、中文文本。한국어 텍스트입니다. 👩‍👩‍👧‍👦 family 👍🏽 🇯🇵 1️⃣ 𠀀𪚥 done";

    /** Feeds the tokens one by one; every piece must be whole characters and all pieces must add up. */
    private static void assertStreamsCleanly(Tokenizer tok, int[] ids, String expected) {
        StreamingDecoder decoder = tok.streamingDecoder();
        StringBuilder all = new StringBuilder();
        int heldBack = 0;
        for (int id : ids) {
            String piece = decoder.accept(id);
            assertThat(piece).doesNotContain("\uFFFD");
            assertWholeCodePoints(piece);
            heldBack += decoder.hasPending() ? 1 : 0;
            all.append(piece);
            assertThat(expected).startsWith(all);
        }
        assertThat(decoder.flush()).isEmpty();
        assertThat(all.toString()).isEqualTo(expected);
        if (tok instanceof WorldTokenizer) {
            assertThat(heldBack).as("World splits characters over tokens, so bytes must have been held back")
                    .isPositive();
        }
    }

    private static void assertWholeCodePoints(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                assertThat(i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))).isTrue();
                i++;
            } else {
                assertThat(Character.isLowSurrogate(c)).isFalse();
            }
        }
    }

    @Test
    void worldNeverEmitsABrokenCharacter() throws IOException {
        Tokenizer world = WorldTokenizer.load(TestData.file("rwkv_vocab_v20230424.txt"));
        assertStreamsCleanly(world, world.encode(TEXT), TEXT);
    }

    @Test
    void bpeNeverEmitsABrokenCharacter() throws IOException {
        Tokenizer bpe = BpeTokenizer.load(TestData.file("20B_tokenizer.json"));
        assertStreamsCleanly(bpe, bpe.encode(TEXT), TEXT);
    }

    @Test
    void bytesTokenizerHoldsBackPartialCharacters() {
        Tokenizer bytes = new ByteTokenizer();
        StreamingDecoder d = bytes.streamingDecoder();
        int[] ids = bytes.encode("é😀");
        assertThat(d.accept(ids[0])).isEmpty();
        assertThat(d.accept(ids[1])).isEqualTo("é");
        assertThat(d.accept(ids[2])).isEmpty();
        assertThat(d.accept(ids[3])).isEmpty();
        assertThat(d.accept(ids[4])).isEmpty();
        assertThat(d.accept(ids[5])).isEqualTo("😀");
    }

    @Test
    void flushReplacesAnIncompleteTail() {
        Tokenizer bytes = new ByteTokenizer();
        StreamingDecoder d = bytes.streamingDecoder();
        assertThat(d.accept('a')).isEqualTo("a");
        assertThat(d.accept(0xF0)).isEmpty();
        assertThat(d.accept(0x9F)).isEmpty();
        assertThat(d.hasPending()).isTrue();
        assertThat(d.flush()).isEqualTo("\uFFFD");
        assertThat(d.hasPending()).isFalse();
        assertThat(d.flush()).isEmpty();
    }

    @Test
    void invalidBytesAreReplacedAtOnce() {
        Tokenizer bytes = new ByteTokenizer();
        StreamingDecoder d = bytes.streamingDecoder();
        assertThat(d.accept(0x80)).isEqualTo("\uFFFD"); // a lone continuation byte can never complete
        assertThat(d.accept(0xED)).isEmpty();
        assertThat(d.accept(0xA0)).isEqualTo("\uFFFD\uFFFD"); // ED A0 would be a surrogate
    }

    @Test
    void randomBytesStreamLikeAWholeDecode() {
        Tokenizer bytes = new ByteTokenizer();
        Random random = new Random(7);
        byte[] pool = "a\u00e9\u4e2d\ud83d\ude00".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (int trial = 0; trial < 5000; trial++) {
            int[] ids = new int[random.nextInt(20)];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = random.nextInt(3) == 0 ? random.nextInt(256) : pool[random.nextInt(pool.length)] & 0xFF;
            }
            StreamingDecoder d = bytes.streamingDecoder();
            StringBuilder sb = new StringBuilder();
            for (int id : ids) {
                String piece = d.accept(id);
                assertWholeCodePoints(piece);
                sb.append(piece);
            }
            sb.append(d.flush());
            assertThat(sb.toString()).as("trial %d", trial).isEqualTo(bytes.decodeToString(ids));
        }
    }
}
