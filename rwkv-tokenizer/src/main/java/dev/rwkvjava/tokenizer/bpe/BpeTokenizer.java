package dev.rwkvjava.tokenizer.bpe;

import dev.rwkvjava.tokenizer.internal.TokenTable;
import dev.rwkvjava.tokenizer.Tokenizer;
import it.unimi.dsi.fastutil.ints.IntArrayList;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * A Hugging Face {@code tokenizer.json} byte-level BPE tokenizer (GPT-NeoX-20B for the RWKV-4 Pile models, and
 * others of the same kind). Encoding follows the {@code tokenizers} pipeline:
 * <ol>
 * <li>added tokens that are not {@code normalized} (the special tokens) are cut out of the raw text;</li>
 * <li>each remaining piece is normalized (NFC for the 20B file);</li>
 * <li>{@code normalized} added tokens (the 20B file's runs of spaces) are cut out of the normalized piece;</li>
 * <li>the rest is split by the GPT-2 pattern (ByteLevel pre-tokenizer) and each word goes through BPE.</li>
 * </ol>
 * No BOS/EOS ids are added (the post-processor is not applied). Decoding is the ByteLevel decoder: alphabet
 * characters back to bytes, tokens with other characters as their own UTF-8.
 */
public final class BpeTokenizer implements Tokenizer {
    private final String source;
    private final TextNormalizer normalizer;
    private final AddedTokenMatcher rawMatcher;
    private final AddedTokenMatcher rawMatcherNoSpecial;
    private final AddedTokenMatcher normalizedMatcher;
    private final AddedTokenMatcher normalizedMatcherNoSpecial;
    private final boolean addPrefixSpace;
    private final boolean useRegex;
    private final BpeModel model;
    private final TokenTable table;

    BpeTokenizer(String source, TextNormalizer normalizer, List<AddedToken> addedTokens,
            boolean addPrefixSpace, boolean useRegex, BpeModel model, TokenTable table) {
        this.source = source;
        this.normalizer = normalizer;
        this.addPrefixSpace = addPrefixSpace;
        this.useRegex = useRegex;
        this.model = model;
        this.table = table;
        var raw = addedTokens.stream().filter(t -> !t.normalized()).toList();
        var normalized = addedTokens.stream().filter(AddedToken::normalized).toList();
        this.rawMatcher = new AddedTokenMatcher(raw, s -> s);
        this.rawMatcherNoSpecial = new AddedTokenMatcher(raw.stream().filter(t -> !t.special()).toList(), s -> s);
        // Normalized tokens are matched in their normalized form, as the text they are looked for in.
        this.normalizedMatcher = new AddedTokenMatcher(normalized, normalizer::apply);
        this.normalizedMatcherNoSpecial = new AddedTokenMatcher(
                normalized.stream().filter(t -> !t.special()).toList(), normalizer::apply);
    }

    /**
     * Loads a {@code tokenizer.json} file.
     *
     * @param file the file
     * @return the tokenizer
     * @throws IOException when the file cannot be read
     */
    public static BpeTokenizer load(Path file) throws IOException {
        return TokenizerJsonLoader.load(file);
    }

    /**
     * Parses {@code tokenizer.json} content.
     *
     * @param json   the file's bytes
     * @param source names the content in error messages
     * @return the tokenizer
     */
    public static BpeTokenizer parse(byte[] json, String source) {
        return TokenizerJsonLoader.parse(json, source);
    }

    @Override
    public int vocabSize() {
        return table.size();
    }

    @Override
    public int[] encode(String text) {
        return encode(text, false);
    }

    /**
     * Encodes {@code text}; with {@code specialTokensAsText} the special added tokens (such as
     * {@code <|endoftext|>}) are not recognized and are encoded as the characters they are made of
     * ({@code split_special_tokens=True} in {@code transformers}).
     *
     * @param text                the text
     * @param specialTokensAsText true to encode special tokens as plain text
     * @return the token ids
     */
    public int[] encode(String text, boolean specialTokensAsText) {
        IntArrayList out = new IntArrayList(Math.max(16, text.length() / 3));
        AddedTokenMatcher raw = specialTokensAsText ? rawMatcherNoSpecial : rawMatcher;
        AddedTokenMatcher normalized = specialTokensAsText ? normalizedMatcherNoSpecial : normalizedMatcher;
        // Everything below works on char arrays: no per-word strings, no coder checks of String.charAt.
        char[] chars = text.toCharArray();
        raw.split(chars, 0, chars.length, (c, start, end, id) -> {
            if (id >= 0) {
                out.add(id);
            } else {
                char[] n = normalizer.apply(c, start, end);
                if (n == null) {
                    normalized.split(c, start, end, (p, a, b, nid) -> emit(p, a, b, nid, out));
                } else {
                    normalized.split(n, 0, n.length, (p, a, b, nid) -> emit(p, a, b, nid, out));
                }
            }
        });
        return out.toIntArray();
    }

    private void emit(char[] text, int start, int end, int addedId, IntArrayList out) {
        if (addedId >= 0) {
            out.add(addedId);
        } else {
            encodePiece(text, start, end, out);
        }
    }

    /**
     * Encodes UTF-8 bytes, which must be valid: this tokenizer works on text.
     *
     * @throws IllegalArgumentException if {@code input} is not valid UTF-8
     */
    @Override
    public int[] encode(byte[] input) {
        try {
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(input)).toString();
            return encode(text);
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("input is not valid UTF-8 (" + e.getMessage()
                    + "); the BPE tokenizer " + source + " encodes text only", e);
        }
    }

    /** Pre-tokenizes one piece of normalized text and runs BPE on each word. */
    private void encodePiece(char[] text, int start, int end, IntArrayList out) {
        if (addPrefixSpace && text[start] != ' ') {
            char[] spaced = new char[end - start + 1];
            spaced[0] = ' ';
            System.arraycopy(text, start, spaced, 1, end - start);
            text = spaced;
            start = 0;
            end = spaced.length;
        }
        if (!useRegex) {
            model.encodeWord(text, start, end, out);
            return;
        }
        int pos = start;
        while (pos < end) {
            int wordEnd = Gpt2PreTokenizer.next(text, pos, end);
            model.encodeWord(text, pos, wordEnd, out);
            pos = wordEnd;
        }
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
        return "byte-level BPE tokenizer (" + source + ", vocabulary " + vocabSize() + ", normalizer " + normalizer + ")";
    }
}
