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
     *
     * @param spec      a tokenizer file, or {@code bytes}
     * @param vocabSize the model's number of ids
     * @return the tokenizer
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

    /**
     * The tokenizer found with a model.
     *
     * @param modelPath the model's weights file or folder
     * @param vocabSize the model's number of ids
     * @return the tokenizer, or why there is none
     */
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

    /**
     * The vocabulary a GGUF file embeds, when it is llama.cpp's RWKV one ({@code tokenizer.ggml.model} "rwkv":
     * the RWKV World trie tokenizer, each token written as Python writes a bytes literal, without the quotes).
     *
     * @param file the GGUF file
     * @return the tokenizer, or empty when the file has no RWKV vocabulary
     */
    public static java.util.Optional<Tokenizer> fromGguf(Path file) {
        try (dev.rwkvjava.io.gguf.GgufFile gguf = dev.rwkvjava.io.gguf.GgufFile.open(file)) {
            if (!gguf.keys().contains("tokenizer.ggml.model") || !gguf.keys().contains("tokenizer.ggml.tokens")
                    || !"rwkv".equals(gguf.string("tokenizer.ggml.model"))) {
                return java.util.Optional.empty();
            }
            java.util.List<String> tokens = gguf.strings("tokenizer.ggml.tokens");
            byte[][] bytes = new byte[tokens.size()][];
            for (int id = 1; id < bytes.length; id++) {
                bytes[id] = unescape(tokens.get(id), file, id);
            }
            return java.util.Optional.of(dev.rwkvjava.tokenizer.world.WorldTokenizer.fromTokens(bytes,
                    file + " (tokenizer.ggml.tokens)"));
        }
    }

    /** A token as llama.cpp's converter writes it: Python's bytes repr without b'...': \\, \t, \n, \r, \', \xNN. */
    static byte[] unescape(String token, Path file, int id) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(token.length());
        for (int i = 0; i < token.length(); i++) {
            char ch = token.charAt(i);
            if (ch != '\\') {
                byte[] utf8 = String.valueOf(ch).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                out.write(utf8, 0, utf8.length);
                continue;
            }
            if (i + 1 >= token.length()) {
                throw new dev.rwkvjava.ModelFileException(file, null, "token " + id + " ends with a lone backslash");
            }
            char e = token.charAt(++i);
            switch (e) {
                case 't' -> out.write('\t');
                case 'n' -> out.write('\n');
                case 'r' -> out.write('\r');
                case '\\', '\'', '"' -> out.write(e);
                case 'x' -> {
                    if (i + 2 >= token.length()) {
                        throw new dev.rwkvjava.ModelFileException(file, null, "token " + id + ": \\x without two hex digits");
                    }
                    int hi = Character.digit(token.charAt(i + 1), 16);
                    int lo = Character.digit(token.charAt(i + 2), 16);
                    if (hi < 0 || lo < 0) {
                        throw new dev.rwkvjava.ModelFileException(file, null, "token " + id + ": \\x without two hex digits");
                    }
                    out.write(hi << 4 | lo);
                    i += 2;
                }
                default -> throw new dev.rwkvjava.ModelFileException(file, null, "token " + id
                        + ": unknown escape \\" + e);
            }
        }
        return out.toByteArray();
    }
}
