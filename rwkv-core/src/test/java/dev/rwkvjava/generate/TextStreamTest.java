package dev.rwkvjava.generate;

import dev.rwkvjava.testutil.TestData;
import dev.rwkvjava.tokenizer.ByteTokenizer;
import dev.rwkvjava.tokenizer.Tokenizer;
import dev.rwkvjava.tokenizer.world.WorldTokenizer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Streaming text: whole characters only, and stop strings caught across tokens and never emitted. */
class TextStreamTest {

    /** Records every piece and where (after which token) it was emitted. */
    static final class Recorder implements GenerationListener {
        final List<String> pieces = new ArrayList<>();
        final List<String> afterToken = new ArrayList<>();
        String current = "";

        @Override
        public void onText(String text) {
            assertThat(text).isNotEmpty();
            pieces.add(text);
            current += text;
        }

        String all() {
            return String.join("", pieces);
        }
    }

    record Run(Recorder rec, boolean stopped, String text, List<String> emittedAfterEachToken) {
    }

    static Run stream(Tokenizer tok, int[] ids, List<String> stops) {
        Recorder rec = new Recorder();
        TextStream ts = new TextStream(TokenBytes.of(tok, tok.vocabSize()), stops, rec);
        List<String> progress = new ArrayList<>();
        boolean stopped = false;
        for (int id : ids) {
            stopped = ts.accept(id);
            progress.add(rec.current);
            if (stopped) {
                break;
            }
        }
        ts.finish();
        return new Run(rec, stopped, ts.text(), progress);
    }

    static WorldTokenizer world() throws IOException {
        return WorldTokenizer.load(TestData.file("tokenizer/rwkv_vocab_v20230424.txt"));
    }

    static void assertWholeCharacters(List<String> pieces) {
        for (String p : pieces) {
            assertThat(p).doesNotContain("\uFFFD");
            assertThat(Character.isLowSurrogate(p.charAt(0))).as("piece starts inside a pair: %s", p).isFalse();
            assertThat(Character.isHighSurrogate(p.charAt(p.length() - 1))).as("piece ends inside a pair: %s", p).isFalse();
        }
    }

    @Test
    void aStopStringSplitOverTokensIsCaughtAndNeverEmitted() {
        ByteTokenizer bytes = new ByteTokenizer();
        Run r = stream(bytes, bytes.encode("Hello world, and more"), List.of("o w"));
        assertThat(r.stopped()).isTrue();
        assertThat(r.text()).isEqualTo("Hell");
        assertThat(r.rec().all()).isEqualTo("Hell");
        // "o" was held back the moment it arrived: it might have begun the stop string.
        assertThat(r.emittedAfterEachToken().get(4)).isEqualTo("Hell");
    }

    @Test
    void heldBackTextIsReleasedWhenTheStopStringDoesNotFollow() {
        ByteTokenizer bytes = new ByteTokenizer();
        Run r = stream(bytes, bytes.encode("abxab!"), List.of("abc"));
        assertThat(r.stopped()).isFalse();
        assertThat(r.emittedAfterEachToken()).containsExactly("", "", "abx", "abx", "abx", "abxab!");
        assertThat(r.text()).isEqualTo("abxab!");
        // At the end of generation a held-back prefix is emitted: it was not a stop string after all.
        Run end = stream(bytes, bytes.encode("xyab"), List.of("abc"));
        assertThat(end.text()).isEqualTo("xyab");
    }

    @Test
    void theEarliestStopStringWinsAndLaterTextIsDropped() {
        ByteTokenizer bytes = new ByteTokenizer();
        Run r = stream(bytes, bytes.encode("one\n\nUser: two"), List.of("User:", "\n\n"));
        assertThat(r.text()).isEqualTo("one");
        Run multi = stream(bytes, bytes.encode("abcd"), List.of("bcd", "c"));
        assertThat(multi.text()).isEqualTo("ab");
    }

    @Test
    void worldTokensThatSplitCharactersNeverProduceBrokenCharacters() throws IOException {
        WorldTokenizer w = world();
        String text = "東京 Grüße 🦆 👩‍👩‍👧 한국어 🇯🇵 naïve";
        int[] ids = w.encode(text);
        assertThat(ids.length).isGreaterThan(10);
        // The World vocabulary splits emoji into byte pieces: some token alone is not valid UTF-8.
        boolean splits = false;
        for (int id : ids) {
            String alone = new String(w.tokenBytes(id), StandardCharsets.UTF_8);
            splits |= alone.contains("\uFFFD");
        }
        assertThat(splits).as("the test needs tokens that split a character").isTrue();
        Run r = stream(w, ids, List.of());
        assertWholeCharacters(r.rec().pieces);
        assertThat(r.text()).isEqualTo(text);
    }

    @Test
    void byteTokensOfCjkAndEmojiStreamAsWholeCharacters() {
        ByteTokenizer bytes = new ByteTokenizer();
        String text = "日本語🦆x😀€";
        Run r = stream(bytes, bytes.encode(text), List.of("😀"));
        assertWholeCharacters(r.rec().pieces);
        assertThat(r.text()).isEqualTo("日本語🦆x");
        assertThat(r.rec().pieces).containsExactly("日", "本", "語", "🦆", "x");
    }

    @Test
    void invalidBytesBecomeReplacementCharacters() {
        ByteTokenizer bytes = new ByteTokenizer();
        Run r = stream(bytes, new int[] {'a', 0xFF, 'b', 0xE6, 0x97}, List.of());
        assertThat(r.text()).isEqualTo("a\uFFFDb\uFFFD");
    }

    @Test
    void idsWithoutBytesProduceNoText() throws IOException {
        WorldTokenizer w = world();
        // World has no token 0 (end-of-text), and models have more ids than the vocabulary.
        TextStream ts = new TextStream(TokenBytes.of(w, 65536), List.of(), GenerationListener.none());
        ts.accept(0);
        ts.accept(65535);
        ts.accept(w.encode("ok")[0]);
        ts.finish();
        assertThat(ts.text()).isEqualTo("ok");
    }
}
