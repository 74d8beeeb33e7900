package dev.rwkvjava.tokenizer.world;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rwkvjava.tokenizer.TokenizerFormatException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The vocabulary format on small hand-written files (no test data needed). */
class WorldVocabParserTest {
    /** Every single byte, as the real file has them: ids 1-128 str literals, 129-256 bytes literals. */
    private static String singleBytes() {
        StringBuilder sb = new StringBuilder();
        for (int b = 0; b < 256; b++) {
            String lit;
            if (b >= 0x80) {
                lit = String.format("b'\\x%02x'", b);
            } else if (b == '\'') {
                lit = "\"'\"";
            } else if (b == '\\') {
                lit = "'\\\\'";
            } else if (b == '\n') {
                lit = "'\\n'";
            } else if (b == '\r') {
                lit = "'\\r'";
            } else if (b == '\t') {
                lit = "'\\t'";
            } else if (b < 0x20 || b == 0x7F) {
                lit = String.format("'\\x%02x'", b);
            } else {
                lit = "'" + (char) b + "'";
            }
            sb.append(b + 1).append(' ').append(lit).append(" 1\n");
        }
        return sb.toString();
    }

    private static WorldTokenizer parse(String extraLines) {
        return WorldTokenizer.parse((singleBytes() + extraLines).getBytes(StandardCharsets.UTF_8), "test_vocab.txt");
    }

    @Test
    void escapesFollowPythonStrAndBytesRules() {
        WorldTokenizer tok = parse("""
                257 '\\x80\\xa0' 4
                258 b'\\xe4\\xb8' 2
                259 '\\u3000' 3
                260 '\\U0001f600' 4
                261 '"\\'' 2
                262 'a b c' 5
                263 "it's" 4
                264 '中文' 6
                265 '\\\\n' 2
                """);
        assertThat(tok.tokenBytes(257)).containsExactly(0xC2, 0x80, 0xC2, 0xA0);
        assertThat(tok.tokenBytes(258)).containsExactly(0xE4, 0xB8);
        assertThat(tok.tokenBytes(259)).containsExactly(0xE3, 0x80, 0x80);
        assertThat(tok.tokenBytes(260)).containsExactly(0xF0, 0x9F, 0x98, 0x80);
        assertThat(tok.tokenBytes(261)).containsExactly('"', '\'');
        assertThat(new String(tok.tokenBytes(262), StandardCharsets.UTF_8)).isEqualTo("a b c");
        assertThat(new String(tok.tokenBytes(263), StandardCharsets.UTF_8)).isEqualTo("it's");
        assertThat(new String(tok.tokenBytes(264), StandardCharsets.UTF_8)).isEqualTo("中文");
        assertThat(tok.tokenBytes(265)).containsExactly('\\', 'n');
        assertThat(tok.vocabSize()).isEqualTo(266);
        assertThat(tok.encode("a b c d")).containsExactly(262, ' ' + 1, 'd' + 1);
    }

    @Test
    void lengthMismatchNamesFileAndLine() {
        assertThatThrownBy(() -> parse("257 '\\x80' 1\n"))
                .isInstanceOf(TokenizerFormatException.class)
                .hasMessageContaining("test_vocab.txt line 257")
                .hasMessageContaining("decodes to 2 bytes but the line says 1");
    }

    @Test
    void malformedLinesAreRejectedWithTheirLineNumber() {
        String[][] cases = {
                {"257 'ab' x\n", "bad length"},
                {"x 'ab' 2\n", "bad id"},
                {"257\n", "expected 'ID LITERAL LENGTH'"},
                {"257 'ab 2\n", "must be a Python str"},
                {"257 'a'b' 3\n", "unescaped quote"},
                {"257 '\\q' 1\n", "unsupported escape \\q"},
                {"257 '\\x4' 1\n", "hex digits"},
                {"257 b'\\u3000' 3\n", "not allowed in a bytes literal"},
                {"257 '\\ud800' 3\n", "no UTF-8 encoding"},
                {"257 b'é' 2\n", "not printable ASCII"},
                {"257 '' 0\n", "empty token"},
                {"\n", "empty line"},
                {"5 'ab' 2\n", "duplicate id 5"},
                {"0 'ab' 2\n", "id 0 is reserved"},
                {"257 'a' 1\n", "same bytes as id 98"},
        };
        for (String[] c : cases) {
            assertThatThrownBy(() -> parse(c[0])).as(c[0])
                    .isInstanceOf(TokenizerFormatException.class)
                    .hasMessageContaining("test_vocab.txt line 257")
                    .hasMessageContaining(c[1]);
        }
    }

    @Test
    void vocabulariesWithoutEverySingleByteReportTheByteThatHasNoToken() {
        WorldTokenizer tok = WorldTokenizer.parse("1 'a' 1\n2 'ab' 2\n".getBytes(StandardCharsets.UTF_8), "tiny.txt");
        assertThat(tok.encode("aab")).containsExactly(1, 2);
        assertThatThrownBy(() -> tok.encode("abc"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0x63 at offset 2");
    }

    @Test
    void aTokenOfManyThousandBytesBuildsAndMatches() {
        // The trie is as deep as the longest token: a recursive build overflowed the stack near 5,000 bytes.
        int n = 200_000;
        WorldTokenizer tok = parse("257 '" + "a".repeat(n) + "' " + n + "\n");
        assertThat(tok.encode("a".repeat(n))).containsExactly(257);
        assertThat(tok.encode("a".repeat(n + 1))).containsExactly(257, 'a' + 1);
        assertThat(tok.tokenBytes(257)).hasSize(n);
    }

    @Test
    void idsFarBeyondTheTokenCountAreRefusedWithTheirLine() {
        // The format allows nine digits; a table indexed by such an id would need gigabytes.
        for (String id : new String[] {"999999999", "200000000", "1073741"}) {
            assertThatThrownBy(() -> parse(id + " 'ab' 2\n"))
                    .as(id)
                    .isInstanceOf(TokenizerFormatException.class)
                    .hasMessageContaining("test_vocab.txt line 257: id " + id + " is far beyond the 257 tokens");
        }
        // Holes within the bound are allowed; they decode as unknown ids.
        WorldTokenizer tok = parse("1000 'ab' 2\n");
        assertThat(tok.vocabSize()).isEqualTo(1001);
        assertThatThrownBy(() -> tok.decode(new int[] {500})).hasMessageContaining("unknown token id 500");
    }
}
