package dev.rwkvjava.serve;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.synthetic.SyntheticModels;
import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tokenizer.Tokenizer;
import dev.rwkvjava.tokenizer.Tokenizers;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The shared reference data (skipped when absent, except on CI) and the models the server tests run. */
final class ServeTestData {
    private ServeTestData() {
    }

    static Path file(String relative) {
        String prop = System.getProperty("rwkv.testdata");
        String env = System.getenv("RWKV_TESTDATA");
        Path root = prop != null && !prop.isBlank() ? Path.of(prop)
                : env != null && !env.isBlank() ? Path.of(env) : Path.of("../../shared/testdata");
        if (!Files.isDirectory(root)) {
            String msg = "reference data not found at " + root.toAbsolutePath() + "; set -Drwkv.testdata=DIR";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                throw new AssertionError(msg + " (required on CI)");
            }
            Assumptions.abort(msg);
        }
        Path p = root.resolve(relative);
        if (!Files.exists(p)) {
            throw new AssertionError("reference file missing: " + p);
        }
        return p;
    }

    /** The byte-level tiny RWKV-4 model (trained; vocabulary 256, the bytes tokenizer). */
    static RwkvModel tinyV4() {
        return RwkvModel.load(file("models/tiny-rwkv-4v0-660K.f32.safetensors"));
    }

    static RwkvModel tinyV7() {
        return RwkvModel.load(file("models/tiny-rwkv-7v0-834K.f32.safetensors"));
    }

    static Tokenizer bytes() {
        return Tokenizers.bytes();
    }

    /** The RWKV World tokenizer (65536 ids). */
    static Tokenizer world() {
        try {
            Path vocab = file("tokenizer/rwkv_vocab_v20230424.txt");
            return Tokenizers.forModel(vocab, 65536, vocab);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A small random RWKV-4 model with the World vocabulary (F32 weights), written into {@code dir}. */
    static Path worldModel(Path dir) {
        Path f = dir.resolve("world-small.safetensors");
        if (!Files.exists(f)) {
            SyntheticModels.write(new SyntheticModels.Spec("world-small", "4", 32, 2, 65536, 64, 0, 0, 0, 0, 0),
                    DType.F32, 3, f);
        }
        return f;
    }
}
