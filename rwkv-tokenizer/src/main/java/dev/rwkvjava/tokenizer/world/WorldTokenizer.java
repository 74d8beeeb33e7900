package dev.rwkvjava.tokenizer.world;

import dev.rwkvjava.tokenizer.internal.TokenTable;
import dev.rwkvjava.tokenizer.Tokenizer;
import dev.rwkvjava.tokenizer.TokenizerFiles;
import dev.rwkvjava.tokenizer.TokenizerFormatException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The RWKV World tokenizer ({@code rwkv_vocab_v20230424.txt}): greedy longest match over the input bytes, no
 * normalization, no pre-splitting, no special tokens. Every single byte is a token, so any byte string encodes.
 * Id 0 is end-of-text: it is not in the file, the encoder never produces it, and it decodes to no bytes.
 */
public final class WorldTokenizer implements Tokenizer {
    /** The id World models use as end-of-text / document separator. */
    public static final int END_OF_TEXT = 0;

    private final ByteTrie trie;
    private final TokenTable table;
    private final String source;

    private WorldTokenizer(ByteTrie trie, TokenTable table, String source) {
        this.trie = trie;
        this.table = table;
        this.source = source;
    }

    /**
     * Loads a vocabulary file such as {@code rwkv_vocab_v20230424.txt}.
     *
     * @param file the file
     * @return the tokenizer
     * @throws IOException when the file cannot be read
     */
    public static WorldTokenizer load(Path file) throws IOException {
        return parse(TokenizerFiles.readAll(file), file.toString());
    }

    /**
     * Parses vocabulary text; {@code source} names it in error messages.
     *
     * @param data   the file's bytes
     * @param source names the content in error messages
     * @return the tokenizer
     * @throws TokenizerFormatException naming the source and line of the first bad entry
     */
    public static WorldTokenizer parse(byte[] data, String source) {
        WorldVocabParser.Entries entries = WorldVocabParser.parse(data, source);
        TokenTable.Builder table = entries.table();
        int[] ids = entries.ids();
        int[] lines = entries.lines();
        int outlier = table.outlier();
        if (outlier >= 0) {
            int at = 0;
            while (ids[at] != outlier) {
                at++;
            }
            throw WorldVocabParser.error(source, lines[at], "id " + outlier + " is far beyond the " + ids.length
                    + " tokens of the file (ids may reach " + TokenTable.Builder.maxIdFor(ids.length) + ")");
        }
        int[] starts = new int[ids.length];
        int[] lengths = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            starts[i] = table.start(ids[i]);
            lengths[i] = table.length(ids[i]);
        }
        ByteTrie trie;
        try {
            trie = ByteTrie.build(table.pool(), starts, lengths, ids);
        } catch (ByteTrie.DuplicateKey e) {
            throw WorldVocabParser.error(source, lines[e.second], "id " + ids[e.second]
                    + " has the same bytes as id " + ids[e.first] + " (line " + lines[e.first] + ")");
        }
        table.put(END_OF_TEXT, new byte[0]);
        return new WorldTokenizer(trie, table.build(), source);
    }

    /**
     * A vocabulary given as the bytes of each token, indexed by id ({@code tokens[0]}, end of text, is ignored), as
     * model files that embed their vocabulary carry it.
     *
     * @param tokens the bytes of each token, indexed by id
     * @param source names the vocabulary in error messages
     * @return the tokenizer
     * @throws TokenizerFormatException naming {@code source} when two ids have the same bytes or a token is empty
     */
    public static WorldTokenizer fromTokens(byte[][] tokens, String source) {
        TokenTable.Builder table = new TokenTable.Builder(tokens.length);
        int[] ids = new int[Math.max(0, tokens.length - 1)];
        for (int id = 1; id < tokens.length; id++) {
            if (tokens[id] == null || tokens[id].length == 0) {
                throw new TokenizerFormatException(source + ": token " + id + " is empty");
            }
            table.put(id, tokens[id]);
            ids[id - 1] = id;
        }
        int[] starts = new int[ids.length];
        int[] lengths = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            starts[i] = table.start(ids[i]);
            lengths[i] = table.length(ids[i]);
        }
        ByteTrie trie;
        try {
            trie = ByteTrie.build(table.pool(), starts, lengths, ids);
        } catch (ByteTrie.DuplicateKey e) {
            throw new TokenizerFormatException(source + ": token " + ids[e.second] + " has the same bytes as token "
                    + ids[e.first]);
        }
        table.put(END_OF_TEXT, new byte[0]);
        return new WorldTokenizer(trie, table.build(), source);
    }

    @Override
    public int vocabSize() {
        return table.size();
    }

    @Override
    public int[] encode(String text) {
        return encode(text.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public int[] encode(byte[] input) {
        return trie.tokenize(input, 0, input.length);
    }

    /**
     * Encodes part of a byte array.
     *
     * @param input the bytes
     * @param from  the first byte to encode
     * @param to    the end of the range (exclusive)
     * @return the token ids
     */
    public int[] encode(byte[] input, int from, int to) {
        java.util.Objects.checkFromToIndex(from, to, input.length);
        return trie.tokenize(input, from, to);
    }

    @Override
    public byte[] decode(int[] ids) {
        return table.decode(ids);
    }

    @Override
    public byte[] tokenBytes(int id) {
        return table.bytes(id);
    }

    @Override
    public String toString() {
        return "RWKV World tokenizer (" + source + ", vocabulary " + vocabSize() + ")";
    }
}
