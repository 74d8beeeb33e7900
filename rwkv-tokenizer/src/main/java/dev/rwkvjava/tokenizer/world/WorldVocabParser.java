package dev.rwkvjava.tokenizer.world;

import dev.rwkvjava.tokenizer.internal.TokenTable;
import dev.rwkvjava.tokenizer.TokenizerFormatException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads the RWKV World vocabulary format: one {@code ID LITERAL LENGTH} line per token, where LITERAL is a
 * Python {@code str} or {@code bytes} repr that may itself contain spaces (so the line is split at its first
 * and last space only) and LENGTH is the token's length in bytes, checked against the decoded literal.
 */
final class WorldVocabParser {
    private WorldVocabParser() {
    }

    /** The tokens by id, plus each entry's id and line in file order. */
    record Entries(TokenTable.Builder table, int[] ids, int[] lines) {
    }

    static Entries parse(byte[] data, String source) {
        int capacity = 1024;
        int[] ids = new int[capacity];
        int[] lines = new int[capacity];
        TokenTable.Builder table = new TokenTable.Builder(70_000);
        byte[] scratch = new byte[256];
        int count = 0;
        int lineNo = 0;
        int pos = 0;
        while (pos < data.length) {
            lineNo++;
            int eol = indexOf(data, (byte) '\n', pos, data.length);
            int next = eol < 0 ? data.length : eol + 1;
            int end = eol < 0 ? data.length : eol;
            if (end > pos && data[end - 1] == '\r') {
                end--;
            }
            if (end == pos) {
                throw error(source, lineNo, "empty line");
            }
            int firstSpace = indexOf(data, (byte) ' ', pos, end);
            int lastSpace = lastIndexOf(data, (byte) ' ', pos, end);
            if (firstSpace < 0 || firstSpace == lastSpace) {
                throw error(source, lineNo, "expected 'ID LITERAL LENGTH', found '" + text(data, pos, end) + "'");
            }
            int id = parseInt(data, pos, firstSpace, source, lineNo, "id");
            int length = parseInt(data, lastSpace + 1, end, source, lineNo, "length");
            if (scratch.length < lastSpace - firstSpace) {
                scratch = new byte[lastSpace - firstSpace];
            }
            int n;
            try {
                n = PythonLiteral.decode(data, firstSpace + 1, lastSpace, scratch);
            } catch (PythonLiteral.BadLiteral e) {
                throw error(source, lineNo, e.getMessage() + " in " + text(data, firstSpace + 1, lastSpace));
            }
            if (n != length) {
                throw error(source, lineNo, "token " + text(data, firstSpace + 1, lastSpace) + " (id " + id
                        + ") decodes to " + n + " bytes but the line says " + length);
            }
            if (n == 0) {
                throw error(source, lineNo, "empty token (id " + id + ")");
            }
            if (id == WorldTokenizer.END_OF_TEXT) {
                throw error(source, lineNo, "id 0 is reserved for end-of-text");
            }
            if (!table.put(id, scratch, 0, n)) {
                throw error(source, lineNo, "duplicate id " + id);
            }
            if (count == capacity) {
                capacity *= 2;
                ids = Arrays.copyOf(ids, capacity);
                lines = Arrays.copyOf(lines, capacity);
            }
            ids[count] = id;
            lines[count] = lineNo;
            count++;
            pos = next;
        }
        if (count == 0) {
            throw new TokenizerFormatException(source + ": no tokens (empty vocabulary file)");
        }
        return new Entries(table, Arrays.copyOf(ids, count), Arrays.copyOf(lines, count));
    }

    static TokenizerFormatException error(String source, int line, String message) {
        return new TokenizerFormatException(source + " line " + line + ": " + message);
    }

    private static int parseInt(byte[] b, int from, int to, String source, int line, String what) {
        if (from == to || to - from > 9) {
            throw error(source, line, "bad " + what + " '" + text(b, from, to) + "'");
        }
        int v = 0;
        for (int i = from; i < to; i++) {
            int d = b[i] - '0';
            if (d < 0 || d > 9) {
                throw error(source, line, "bad " + what + " '" + text(b, from, to) + "'");
            }
            v = v * 10 + d;
        }
        return v;
    }

    private static int indexOf(byte[] b, byte c, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] == c) {
                return i;
            }
        }
        return -1;
    }

    private static int lastIndexOf(byte[] b, byte c, int from, int to) {
        for (int i = to - 1; i >= from; i--) {
            if (b[i] == c) {
                return i;
            }
        }
        return -1;
    }

    private static String text(byte[] b, int from, int to) {
        String s = new String(b, from, Math.min(to - from, 200), StandardCharsets.UTF_8);
        return to - from > 200 ? s + "..." : s;
    }
}
