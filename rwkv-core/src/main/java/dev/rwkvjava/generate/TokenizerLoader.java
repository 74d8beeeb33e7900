package dev.rwkvjava.generate;

import dev.rwkvjava.tokenizer.Tokenizer;
import dev.rwkvjava.tokenizer.Tokenizers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A model's tokenizer, chosen by the tokenizer module's {@link Tokenizers} (an explicit file; else a tokenizer file
 * in the model's folder of the kind its vocabulary size calls for; else bytes for a vocabulary of 256). A model
 * without one is allowed (it can still take token ids): {@link Choice#problem()} then says what to supply.
 */
public final class TokenizerLoader {
    private TokenizerLoader() {
    }

    /**
     * The outcome.
     *
     * @param tokenizer the tokenizer, or null when none was found
     * @param problem   why there is none (naming the file to supply), or null
     */
    public record Choice(Tokenizer tokenizer, String problem) {
    }

    /**
     * Loads a tokenizer the user named: a file ({@code tokenizer.json} or an RWKV World vocabulary) or the word
     * {@code bytes}; it must fit a model of {@code vocabSize} ids.
     */
    public static Tokenizer load(String spec, int vocabSize) {
        if (spec.equalsIgnoreCase("bytes")) {
            return Tokenizers.bytes();
        }
        Path file = Path.of(spec);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("tokenizer " + file + ": no such file");
        }
        try {
            return Tokenizers.forModel(file, vocabSize, file);
        } catch (IOException e) {
            throw new UncheckedIOException("tokenizer " + file + ": " + e.getMessage(), e);
        }
    }

    /** The tokenizer found with a model ({@code modelPath} is its weights file or folder). */
    public static Choice forModel(Path modelPath, int vocabSize) {
        try {
            return new Choice(Tokenizers.forModel(modelPath, vocabSize), null);
        } catch (IOException e) {
            throw new UncheckedIOException("tokenizer for " + modelPath + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            // "None found" is not an error (ids still work); a tokenizer that was found but does not fit is.
            String m = String.valueOf(e.getMessage());
            if (m.startsWith("no tokenizer for a model")) {
                return new Choice(null, m);
            }
            throw e;
        }
    }
}
