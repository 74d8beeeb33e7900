package dev.rwkvjava.tokenizer;

import dev.rwkvjava.tokenizer.bpe.BpeTokenizer;
import dev.rwkvjava.tokenizer.world.WorldTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Chooses and loads the tokenizer for a model:
 * <ol>
 * <li>an explicitly given file;</li>
 * <li>else a tokenizer file beside the model ({@code tokenizer.json}, {@code 20B_tokenizer.json},
 * {@code rwkv_vocab_*.txt}), of the kind the model's vocabulary size calls for when it is a known one;</li>
 * <li>else by vocabulary size alone: 256 is the bytes tokenizer; 50277 (RWKV-4 Pile, GPT-NeoX-20B BPE) and
 * 65536 (RWKV World) need their files, so the error says which file to supply.</li>
 * </ol>
 */
public final class Tokenizers {
    /** Vocabulary size of the RWKV World models. */
    public static final int WORLD_MODEL_VOCAB = 65536;
    /** Vocabulary size of the RWKV-4 Pile models (GPT-NeoX-20B tokenizer). */
    public static final int NEOX_MODEL_VOCAB = 50277;

    private static final String WORLD_FILE = "rwkv_vocab_v20230424.txt";
    private static final String NEOX_FILE = "20B_tokenizer.json";

    private enum Kind { WORLD, HF_JSON }

    private Tokenizers() {
    }

    /** {@return the tokenizer of vocabulary-256 models} */
    public static Tokenizer bytes() {
        return new ByteTokenizer();
    }

    /**
     * Loads a tokenizer file: a Hugging Face {@code tokenizer.json} or an RWKV World vocabulary
     * ({@code rwkv_vocab_*.txt}), told apart by name ({@code .json} / {@code .txt}) or else by content.
     *
     * @param file the tokenizer file
     * @return the tokenizer
     * @throws IOException when the file cannot be read
     */
    public static Tokenizer load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "tokenizer file not found");
        }
        return switch (kindOf(file)) {
            case WORLD -> WorldTokenizer.load(file);
            case HF_JSON -> BpeTokenizer.load(file);
        };
    }

    /**
     * {@link #forModel(Path, int, Path)} without an explicit tokenizer file.
     *
     * @param modelPath the model file, or the directory holding it
     * @param vocabSize the model's vocabulary size, or 0 if unknown
     * @return the tokenizer
     * @throws IOException when a tokenizer file cannot be read
     */
    public static Tokenizer forModel(Path modelPath, int vocabSize) throws IOException {
        return forModel(modelPath, vocabSize, null);
    }

    /**
     * The tokenizer for a model.
     *
     * @return the tokenizer
     * @throws IOException when a tokenizer file cannot be read
     * @param modelPath     the model file, or the directory holding it
     * @param vocabSize     the model's vocabulary size (rows of its embedding), or 0 if unknown
     * @param tokenizerFile an explicit tokenizer file, or null to search beside the model
     * @throws IllegalArgumentException if no tokenizer fits, naming the file to supply, or if the chosen
     *                                  tokenizer has more ids than the model
     */
    public static Tokenizer forModel(Path modelPath, int vocabSize, Path tokenizerFile) throws IOException {
        if (tokenizerFile != null) {
            return checkFits(load(tokenizerFile), tokenizerFile, vocabSize);
        }
        Path dir = Files.isDirectory(modelPath) ? modelPath : modelPath.toAbsolutePath().getParent();
        Kind wanted = switch (vocabSize) {
            case WORLD_MODEL_VOCAB -> Kind.WORLD;
            case NEOX_MODEL_VOCAB -> Kind.HF_JSON;
            default -> null;
        };
        for (Path candidate : candidatesIn(dir)) {
            if (wanted == null || kindOf(candidate) == wanted) {
                return checkFits(load(candidate), candidate, vocabSize);
            }
        }
        return switch (vocabSize) {
            case ByteTokenizer.VOCAB_SIZE -> bytes();
            case WORLD_MODEL_VOCAB -> throw missing(dir, vocabSize, "RWKV World", WORLD_FILE + " (or another rwkv_vocab_*.txt)");
            case NEOX_MODEL_VOCAB -> throw missing(dir, vocabSize, "RWKV-4 Pile, GPT-NeoX-20B BPE", NEOX_FILE + " (or tokenizer.json)");
            default -> throw missing(dir, vocabSize, "unknown kind",
                    "a tokenizer.json or rwkv_vocab_*.txt that matches the model");
        };
    }

    /** Tokenizer files in {@code dir}, most specific first; World vocabularies newest (by name) first. */
    private static List<Path> candidatesIn(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        if (dir == null || !Files.isDirectory(dir)) {
            return out;
        }
        for (String name : new String[] {"tokenizer.json", NEOX_FILE}) {
            if (Files.isRegularFile(dir.resolve(name))) {
                out.add(dir.resolve(name));
            }
        }
        List<Path> vocabs = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "rwkv_vocab_*.txt")) {
            for (Path p : ds) {
                if (Files.isRegularFile(p)) {
                    vocabs.add(p);
                }
            }
        }
        vocabs.sort(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed());
        out.addAll(vocabs);
        return out;
    }

    private static Kind kindOf(Path file) throws IOException {
        String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        if (name.endsWith(".json")) {
            return Kind.HF_JSON;
        }
        if (name.endsWith(".txt")) {
            return Kind.WORLD;
        }
        try (InputStream in = Files.newInputStream(file)) {
            int c;
            do {
                c = in.read();
            } while (c == ' ' || c == '\t' || c == '\r' || c == '\n');
            if (c == '{') {
                return Kind.HF_JSON;
            }
            if (c >= '0' && c <= '9') {
                return Kind.WORLD;
            }
        }
        throw new TokenizerFormatException(file + ": not a tokenizer file I know (expected a Hugging Face "
                + "tokenizer.json or an RWKV World vocabulary such as " + WORLD_FILE + ")");
    }

    private static Tokenizer checkFits(Tokenizer tokenizer, Path file, int vocabSize) {
        if (vocabSize > 0 && tokenizer.vocabSize() > vocabSize) {
            throw new IllegalArgumentException("tokenizer " + file + " has " + tokenizer.vocabSize()
                    + " ids but the model's vocabulary has only " + vocabSize + ": it belongs to another model");
        }
        return tokenizer;
    }

    private static IllegalArgumentException missing(Path dir, int vocabSize, String kind, String file) {
        return new IllegalArgumentException("no tokenizer for a model with vocabulary size " + vocabSize + " (" + kind
                + "): none found in " + (dir == null ? "the model's folder" : dir)
                + "; supply " + file + " as the tokenizer file (--tokenizer FILE)");
    }
}
