package dev.rwkvjava.tokenizer.world;

import dev.rwkvjava.tokenizer.TokenizerFormatException;
import java.util.Arrays;

/**
 * Reads the RWKV World vocabulary format: one {@code ID LITERAL LENGTH} line per token, where LITERAL is a
 * Python {@code str} or {@code bytes} repr that may itself contain spaces (so the line is split at its first
 * and last space only) and LENGTH is the token's length in bytes, checked against the decoded literal.
 */
final class WorldVocabParser {
    private WorldVocabParser() {
    }

    /** Parallel arrays: token {@code i} has id {@code ids[i]} and bytes {@code tokens[i]}. */
    record Entries(int[] ids, byte[][] tokens, int[] lines) {
    }

    static Entries parse(byte[] data, String source) {
        int capacity = 1024;
        int[] ids = new int[capacity];
        int[] lines = new int[capacity];
        byte[][] tokens = new byte[capacity][];
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
            if (count == capacity) {
                capacity *= 2;
                ids = Arrays.copyOf(ids, capacity);
                lines = Arrays.copyOf(lines, capacity);
                tokens = Arrays.copyOf(tokens, capacity);
            }
            int firstSpace = indexOf(data, (byte) ' ', pos, end);
            int lastSpace = lastIndexOf(data, (byte) ' ', pos, end);
            if (firstSpace < 0 || firstSpace == lastSpace) {
                throw error(source, lineNo, "expected 'ID LITERAL LENGTH', found '" + text(data, pos, end) + "'");
            }
            int id = parseInt(data, pos, firstSpace, source, lineNo, "id");
            int length = parseInt(data, lastSpace + 1, end, source, lineNo, "length");
            byte[] token;
            try {
                token = PythonLiteral.decode(data, firstSpace + 1, lastSpace);
            } catch (PythonLiteral.BadLiteral e) {
                throw error(source, lineNo, e.getMessage() + " in " + text(data, firstSpace + 1, lastSpace));
            }
            if (token.length != length) {
                throw error(source, lineNo, "token " + text(data, firstSpace + 1, lastSpace) + " (id " + id
                        + ") decodes to " + token.length + " bytes but the line says " + length);
            }
            if (token.length == 0) {
                throw error(source, lineNo, "empty token (id " + id + ")");
            }
            ids[count] = id;
            lines[count] = lineNo;
            tokens[count] = token;
            count++;
            pos = next;
        }
        if (count == 0) {
            throw new TokenizerFormatException(source + ": no tokens (empty vocabulary file)");
        }
        return new Entries(Arrays.copyOf(ids, count), Arrays.copyOf(tokens, count), Arrays.copyOf(lines, count));
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
        String s = new String(b, from, Math.min(to - from, 200), java.nio.charset.StandardCharsets.UTF_8);
        return to - from > 200 ? s + "..." : s;
    }
}
