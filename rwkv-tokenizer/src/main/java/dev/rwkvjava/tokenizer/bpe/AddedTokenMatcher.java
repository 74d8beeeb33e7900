package dev.rwkvjava.tokenizer.bpe;

import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Finds added tokens in text, leftmost-longest (the rule of Hugging Face {@code tokenizers}: at the first
 * position where any token starts, the longest one wins; the 20B file's runs of 2-24 spaces depend on it),
 * honouring {@code single_word}, {@code lstrip} and {@code rstrip}. A small char trie, entered only at
 * characters that start some token.
 */
final class AddedTokenMatcher {
    /** Receives the pieces of the text in order: {@code id} is the token's id, or -1 for plain text. */
    @FunctionalInterface
    interface Sink {
        void piece(char[] text, int start, int end, int id);
    }

    private final AddedToken[] tokens;
    /** Per trie node (0 is the root): the sorted chars of its children and the children's node numbers. */
    private char[][] labels = new char[16][];
    private int[][] children = new int[16][];
    /** Token index ending at each node, or -1. */
    private int[] terminal = new int[16];
    private int nodes = 1;
    /** Chars that start some token: most positions are rejected with one array read. */
    private final boolean[] startsBmp = new boolean[65536];

    AddedTokenMatcher(List<AddedToken> tokens, UnaryOperator<String> contentForm) {
        this.tokens = tokens.toArray(new AddedToken[0]);
        Arrays.fill(terminal, -1);
        labels[0] = new char[0];
        children[0] = new int[0];
        for (int k = 0; k < this.tokens.length; k++) {
            String content = contentForm.apply(this.tokens[k].content());
            if (content.isEmpty()) {
                continue;
            }
            startsBmp[content.charAt(0)] = true;
            int node = 0;
            for (int i = 0; i < content.length(); i++) {
                node = childOrAdd(node, content.charAt(i));
            }
            if (terminal[node] < 0) {
                terminal[node] = k; // the first of two equal contents wins
            }
        }
    }

    private int child(int node, char c) {
        int at = Arrays.binarySearch(labels[node], c);
        return at >= 0 ? children[node][at] : -1;
    }

    private int childOrAdd(int node, char c) {
        int at = Arrays.binarySearch(labels[node], c);
        if (at >= 0) {
            return children[node][at];
        }
        int child = nodes++;
        if (child == terminal.length) {
            labels = Arrays.copyOf(labels, child * 2);
            children = Arrays.copyOf(children, child * 2);
            terminal = Arrays.copyOf(terminal, child * 2);
            Arrays.fill(terminal, child, terminal.length, -1);
        }
        labels[child] = new char[0];
        children[child] = new int[0];
        int insert = -at - 1;
        labels[node] = insertAt(labels[node], insert, c);
        int[] kids = Arrays.copyOf(children[node], children[node].length + 1);
        System.arraycopy(kids, insert, kids, insert + 1, kids.length - insert - 1);
        kids[insert] = child;
        children[node] = kids;
        return child;
    }

    private static char[] insertAt(char[] a, int at, char c) {
        char[] out = Arrays.copyOf(a, a.length + 1);
        System.arraycopy(out, at, out, at + 1, out.length - at - 1);
        out[at] = c;
        return out;
    }

    boolean isEmpty() {
        return nodes == 1;
    }

    /** Splits {@code text[from, to)} into plain pieces and added tokens; empty plain pieces are skipped. */
    void split(char[] text, int from, int to, Sink sink) {
        if (isEmpty()) {
            if (from < to) {
                sink.piece(text, from, to, -1);
            }
            return;
        }
        int done = from; // end of the last emitted piece
        int i = from;
        while (i < to) {
            if (!startsBmp[text[i]]) {
                i++;
                continue;
            }
            int node = 0;
            int match = -1;
            int matchEnd = i;
            for (int j = i; j < to; j++) {
                node = child(node, text[j]);
                if (node < 0) {
                    break;
                }
                if (terminal[node] >= 0) {
                    match = terminal[node];
                    matchEnd = j + 1;
                }
            }
            if (match < 0) {
                i++;
                continue;
            }
            AddedToken token = tokens[match];
            if (token.singleWord() && (endsWithWordChar(text, from, i) || startsWithWordChar(text, matchEnd, to))) {
                i = matchEnd; // rejected matches are skipped whole, as in tokenizers
                continue;
            }
            int start = i;
            int end = matchEnd;
            if (token.lstrip()) {
                while (start > done && Gpt2PreTokenizer.isWhiteSpace(text[start - 1])) {
                    start--;
                }
            }
            if (token.rstrip()) {
                while (end < to && Gpt2PreTokenizer.isWhiteSpace(text[end])) {
                    end++;
                }
            }
            if (done < start) {
                sink.piece(text, done, start, -1);
            }
            sink.piece(text, start, end, token.id());
            done = end;
            i = end;
        }
        if (done < to) {
            sink.piece(text, done, to, -1);
        }
    }

    private static boolean endsWithWordChar(char[] s, int from, int end) {
        return end > from && isWordChar(Character.codePointBefore(s, end, from));
    }

    private static boolean startsWithWordChar(char[] s, int start, int to) {
        return start < to && isWordChar(Character.codePointAt(s, start, to));
    }

    /** Unicode {@code \w}: alphabetic, marks, decimal digits, connector punctuation, join controls. */
    private static boolean isWordChar(int cp) {
        if (Character.isAlphabetic(cp) || Character.isDigit(cp) || cp == 0x200C || cp == 0x200D) {
            return true;
        }
        int type = Character.getType(cp);
        return type == Character.NON_SPACING_MARK || type == Character.ENCLOSING_MARK
                || type == Character.COMBINING_SPACING_MARK || type == Character.CONNECTOR_PUNCTUATION;
    }
}
