package dev.rwkvjava.tokenizer.bpe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rwkvjava.tokenizer.TokenizerFormatException;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Behaviour of the tokenizer.json reader and the BPE pipeline on small synthetic files. */
class BpeTokenizerJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * A file with vocabulary a=0 b=1 c=2 ab=3 bc=4 Ġ=5 Ġa=6 aa=7 z-less, merges "b c" (rank 0), "a b", "Ġ a",
     * "a a", ByteLevel pre-tokenizer and decoder; {@code edit} changes it before it is parsed.
     */
    private static BpeTokenizer tokenizer(Consumer<ObjectNode> edit) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putArray("added_tokens");
        root.putNull("normalizer");
        root.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false);
        root.putObject("decoder").put("type", "ByteLevel");
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        ObjectNode vocab = model.putObject("vocab");
        String[] tokens = {"a", "b", "c", "ab", "bc", "\u0120", "\u0120a", "aa", "<unk>"};
        for (int i = 0; i < tokens.length; i++) {
            vocab.put(tokens[i], i);
        }
        model.putArray("merges").add("b c").add("a b").add("\u0120 a").add("a a");
        edit.accept(root);
        return BpeTokenizer.parse(root.toString().getBytes(StandardCharsets.UTF_8), "synthetic.json");
    }

    private static ObjectNode addedToken(ObjectNode root, int id, String content, boolean special) {
        return ((ArrayNode) root.get("added_tokens")).addObject().put("id", id).put("content", content)
                .put("special", special).put("normalized", !special)
                .put("lstrip", false).put("rstrip", false).put("single_word", false);
    }

    @Test
    void mergesApplyByRankNotByLongestMatch() {
        BpeTokenizer tok = tokenizer(root -> { });
        // "b c" has rank 0, so "abc" is a + bc although "ab" is the longer prefix.
        assertThat(tok.encode("abc")).containsExactly(0, 4);
        // Equal pairs merge leftmost first.
        assertThat(tok.encode("aaa")).containsExactly(7, 0);
        assertThat(tok.encode(" a")).containsExactly(6);
        assertThat(tok.decodeToString(new int[] {6, 4})).isEqualTo(" abc");
    }

    @Test
    void mergesMayBeWrittenAsPairs() {
        BpeTokenizer tok = tokenizer(root -> {
            ArrayNode merges = ((ObjectNode) root.get("model")).putArray("merges");
            merges.addArray().add("b").add("c");
            merges.addArray().add("a").add("b");
        });
        assertThat(tok.encode("abc")).containsExactly(0, 4);
    }

    @Test
    void mergesMayComeBeforeTheVocabulary() {
        BpeTokenizer tok = tokenizer(root -> {
            ObjectNode model = (ObjectNode) root.get("model");
            ObjectNode reordered = root.putObject("model");
            reordered.set("merges", model.get("merges"));
            reordered.set("vocab", model.get("vocab"));
        });
        assertThat(tok.encode("abc")).containsExactly(0, 4);
    }

    @Test
    void bytesWithoutATokenAreDroppedOrBecomeTheUnknownToken() {
        assertThat(tokenizer(root -> { }).encode("azz")).containsExactly(0);
        BpeTokenizer unk = tokenizer(root -> ((ObjectNode) root.get("model")).put("unk_token", "<unk>"));
        assertThat(unk.encode("azz")).containsExactly(0, 8, 8);
        BpeTokenizer fused = tokenizer(root -> ((ObjectNode) root.get("model")).put("unk_token", "<unk>").put("fuse_unk", true));
        assertThat(fused.encode("azz")).containsExactly(0, 8);
    }

    @Test
    void ignoreMergesTakesWholeWordsFromTheVocabulary() {
        Consumer<ObjectNode> withAbc = root -> ((ObjectNode) root.get("model").get("vocab")).put("abc", 9);
        assertThat(tokenizer(withAbc).encode("abc")).containsExactly(0, 4); // no merge leads to "abc"
        BpeTokenizer tok = tokenizer(withAbc.andThen(root -> ((ObjectNode) root.get("model")).put("ignore_merges", true)));
        assertThat(tok.encode("abc")).containsExactly(9);
    }

    @Test
    void addPrefixSpace() {
        BpeTokenizer tok = tokenizer(root -> ((ObjectNode) root.get("pre_tokenizer")).put("add_prefix_space", true));
        assertThat(tok.encode("a")).containsExactly(6);
    }

    @Test
    void addedTokensMatchLongestFirstAndHonourStripAndSingleWord() {
        BpeTokenizer tok = tokenizer(root -> {
            addedToken(root, 9, "<s>", true);
            addedToken(root, 10, "<s>x", true);
            addedToken(root, 11, "[L]", true).put("lstrip", true);
            addedToken(root, 12, "[R]", true).put("rstrip", true);
            addedToken(root, 13, "cc", false).put("single_word", true);
        });
        assertThat(tok.vocabSize()).isEqualTo(14);
        assertThat(tok.encode("a<s>xb<s>")).containsExactly(0, 10, 1, 9);
        assertThat(tok.encode("a  [L]b")).containsExactly(0, 11, 1);
        assertThat(tok.encode("a[R]  b")).containsExactly(0, 12, 1);
        assertThat(tok.encode("a cc")).containsExactly(0, 5, 13);
        assertThat(tok.encode("acc")).containsExactly(0, 2, 2); // inside a word: not a match
        // Special tokens can be read as plain text (their characters have no tokens here, so they drop out);
        // other added tokens still match.
        assertThat(tok.encode("ab<s>")).containsExactly(3, 9);
        assertThat(tok.encode("ab<s>", true)).containsExactly(3);
        assertThat(tok.encode("a cc", true)).containsExactly(0, 5, 13);
    }

    @Test
    void unsupportedSettingsAreRejectedByName() {
        assertThatThrownBy(() -> tokenizer(root -> root.putObject("normalizer").put("type", "Lowercase")))
                .isInstanceOf(TokenizerFormatException.class)
                .hasMessageContaining("synthetic.json").hasMessageContaining("normalizer of type \"Lowercase\"");
        assertThatThrownBy(() -> tokenizer(root -> root.putObject("pre_tokenizer").put("type", "Metaspace")))
                .isInstanceOf(TokenizerFormatException.class).hasMessageContaining("Metaspace");
        assertThatThrownBy(() -> tokenizer(root -> root.putObject("decoder").put("type", "WordPiece")))
                .isInstanceOf(TokenizerFormatException.class).hasMessageContaining("decoder of type \"WordPiece\"");
        assertThatThrownBy(() -> tokenizer(root -> ((ObjectNode) root.get("model")).put("type", "Unigram")))
                .isInstanceOf(TokenizerFormatException.class).hasMessageContaining("Unigram");
        assertThatThrownBy(() -> tokenizer(root -> ((ArrayNode) root.get("model").get("merges")).add("a q")))
                .isInstanceOf(TokenizerFormatException.class)
                .hasMessageContaining("model.merges[4]").hasMessageContaining("\"q\"");
        assertThatThrownBy(() -> tokenizer(root -> ((ObjectNode) root.get("model")).put("byte_fallback", true)))
                .isInstanceOf(TokenizerFormatException.class).hasMessageContaining("byte_fallback");
        assertThatThrownBy(() -> tokenizer(root -> ((ArrayNode) root.get("model").get("merges")).add("abc")))
                .isInstanceOf(TokenizerFormatException.class).hasMessageContaining("one space");
        assertThatThrownBy(() -> BpeTokenizer.parse("{\"model\": ".getBytes(StandardCharsets.UTF_8), "broken.json"))
                .isInstanceOf(TokenizerFormatException.class).hasMessageContaining("broken.json line 1, column 11: not valid JSON");
    }

    @Test
    void invalidUtf8AnywhereAndContentAfterTheObjectAreRefused() {
        // A byte that cannot start a UTF-8 sequence, inside a string value the reader has no use for.
        byte[] json = "{\"version\": \"1.0x\", \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}}"
                .getBytes(StandardCharsets.UTF_8);
        int at = new String(json, StandardCharsets.UTF_8).indexOf('x');
        json[at] = (byte) 0xB3;
        byte[] bad = json;
        assertThatThrownBy(() -> BpeTokenizer.parse(bad, "u.json"))
                .isInstanceOf(TokenizerFormatException.class)
                .hasMessage("u.json: not valid UTF-8 at byte " + at + " (a tokenizer.json file is UTF-8 text)");
        byte[] trailing = "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}} {}"
                .getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> BpeTokenizer.parse(trailing, "t.json"))
                .isInstanceOf(TokenizerFormatException.class)
                .hasMessageContaining("t.json").hasMessageContaining("after the top-level JSON object");
    }

    @Test
    void aVocabularyEntryMayShareAnAddedTokensIdOnlyBySpellingIt() {
        // "<unk>" (id 8) repeated as an added token: normal. "c" under that id would encode to "<unk>".
        BpeTokenizer ok = tokenizer(root -> addedToken(root, 8, "<unk>", true));
        assertThat(ok.decode(ok.encode("c<unk>"))).isEqualTo("c<unk>".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> tokenizer(root -> {
            addedToken(root, 8, "<unk>", true);
            ((ObjectNode) root.get("model").get("vocab")).put("c", 8);
        })).isInstanceOf(TokenizerFormatException.class)
                .hasMessage("synthetic.json: model.vocab gives id 8, which is the added token \"<unk>\", to \"c\"");
    }

    @Test
    void jsonErrorsNameTheFileLineAndColumnButNotTheParsersSettings() {
        // An unclosed array: the parser's own message embeds a description of its source and its settings.
        byte[] json = "{\"model\": {\"type\": \"BPE\",\n  \"x\": [1, 2".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> BpeTokenizer.parse(json, "t.json"))
                .isInstanceOf(TokenizerFormatException.class)
                .hasMessageStartingWith("t.json line 2, column 13: not valid JSON: Unexpected end-of-input")
                .hasMessageContaining("(start marker at line 2, column 8)")
                .hasMessageNotContaining("Source").hasMessageNotContaining("StreamReadFeature");
    }

    @Test
    void idsFarBeyondTheVocabularyAreRefusedWithoutAllocatingForThem() {
        // Without a bound, id 2^30 needs an 8 GiB table and 200,000,000 loads after allocating 1.6 GB.
        for (int id : new int[] {1 << 30, 200_000_000, Integer.MAX_VALUE}) {
            assertThatThrownBy(() -> tokenizer(root -> addedToken(root, id, "<big>", true)))
                    .as("id %d", id)
                    .isInstanceOf(TokenizerFormatException.class)
                    .hasMessageContaining("synthetic.json: added_tokens has the id " + id)
                    .hasMessageContaining("far beyond its 10 tokens");
            assertThatThrownBy(() -> tokenizer(root -> ((ObjectNode) root.get("model").get("vocab")).put("big", id)))
                    .as("id %d", id)
                    .isInstanceOf(TokenizerFormatException.class)
                    .hasMessageContaining("model.vocab has the id " + id);
        }
        // A few holes are normal (ids reserved for special tokens): they decode as unknown ids.
        BpeTokenizer tok = tokenizer(root -> addedToken(root, 1000, "<pad>", true));
        assertThat(tok.vocabSize()).isEqualTo(1001);
        assertThat(tok.decode(new int[] {1000})).containsExactly("<pad>".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> tok.decode(new int[] {500})).hasMessageContaining("unknown token id 500");
    }

    @Test
    void normalizationSequence() {
        BpeTokenizer tok = tokenizer(root -> {
            ObjectNode n = root.putObject("normalizer").put("type", "Sequence");
            n.putArray("normalizers").addObject().put("type", "NFKC");
        });
        // U+FF41 (fullwidth a) is "a" under NFKC.
        assertThat(tok.encode("\uff41b")).containsExactly(3);
    }
}
