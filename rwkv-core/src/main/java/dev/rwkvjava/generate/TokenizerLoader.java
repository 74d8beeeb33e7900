package dev.rwkvjava.generate;

import dev.rwkvjava.tokenizer.ByteTokenizer;
import dev.rwkvjava.tokenizer.Tokenizer;
import dev.rwkvjava.tokenizer.bpe.BpeTokenizer;
import dev.rwkvjava.tokenizer.world.WorldTokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Picks and loads a model's tokenizer: a Hugging Face {@code tokenizer.json} (byte-level BPE, e.g. GPT-NeoX-20B of
 * the RWKV-4 Pile and Raven models), an RWKV World vocabulary ({@code rwkv_vocab_v20230424.txt}), or, for byte-level
 * models with a vocabulary of 256, the bytes tokenizer.
 */
public final class TokenizerLoader {
    private TokenizerLoader() {
    }

    /**
     * Loads a tokenizer given by the user: a file ({@code .json}: Hugging Face tokenizer; {@code .txt}: World
     * vocabulary) or the word {@code bytes}.
     */
    public static Tokenizer load(String spec) {
        if (spec.equalsIgnoreCase("bytes")) {
            return new ByteTokenizer();
        }
        return load(Path.of(spec));
    }

    public static Tokenizer load(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("tokenizer " + file + ": no such file");
        }
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        try {
            if (name.endsWith(".json")) {
                return BpeTokenizer.load(file);
            }
            if (name.endsWith(".txt")) {
                return WorldTokenizer.load(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("tokenizer " + file + ": " + e.getMessage(), e);
        }
        throw new IllegalArgumentException("tokenizer " + file + ": unknown kind; expected a Hugging Face "
                + "tokenizer.json, an RWKV World vocabulary (.txt) or 'bytes'");
    }

    /** The tokenizer for a model: its tokenizer file if it has one, bytes for a vocabulary of 256, else null. */
    public static Tokenizer forModel(Path tokenizerFile, int vocabSize) {
        if (tokenizerFile != null) {
            return load(tokenizerFile);
        }
        return vocabSize == ByteTokenizer.VOCAB_SIZE ? new ByteTokenizer() : null;
    }
}
