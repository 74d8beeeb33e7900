package dev.rwkvjava.fuzz;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.generate.TokenizerLoader;
import dev.rwkvjava.LoadMode;
import dev.rwkvjava.ModelFileException;
import dev.rwkvjava.io.ModelFormat;
import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.io.TensorStore;
import dev.rwkvjava.state.State;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * What the model-file fuzzers share: the fuzzer's bytes become a file in a folder of this JVM's own, which is loaded
 * the way a user's model is ({@link RwkvModel#load}: format detection, parsing, naming, version detection, schema,
 * weights); a model that loads then runs a token, a short sequence and its tokenizer lookup. The only exception a
 * file may cause is a {@link ModelFileException} naming it: anything else escapes to the fuzzer as a finding.
 */
final class FuzzedModel {
    private static final Path DIR = newFolder();

    private FuzzedModel() {
    }

    private static Path newFolder() {
        try {
            Path d = Files.createTempDirectory("rwkv-fuzz");
            // deleteOnExit removes only an empty folder, and the fuzzers leave their last inputs in it.
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(d), "rwkv-fuzz-cleanup"));
            return d;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException e) {
            System.err.println("could not remove " + dir + ": " + e.getMessage());
        }
    }

    /** A file of this JVM's fuzz folder. */
    static Path file(String name) {
        return DIR.resolve(name);
    }

    /** Writes {@code bytes} as {@code fileName} and loads it; see {@link #load(Path)}. */
    static boolean load(byte[] bytes, String fileName) {
        Path file = file(fileName);
        try {
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return load(file);
    }

    /**
     * Loads a weights file or folder, one worker thread, read into memory; true when the model loaded (and then ran),
     * false when it was refused with a {@link ModelFileException} that names the file.
     */
    static boolean load(Path path) {
        readStore(path);
        RwkvModel model;
        try {
            model = RwkvModel.load(path, RwkvModel.Options.defaults().withThreads(1).withLoadMode(LoadMode.READ));
        } catch (ModelFileException e) {
            checkMessage(e, path);
            return false;
        }
        try (model) {
            State s = model.newState();
            float[] logits = model.forward(0, s);
            if (logits.length != model.vocabSize()) {
                throw new AssertionError(logits.length + " logits for a vocabulary of " + model.vocabSize());
            }
            model.forward(new int[] {model.vocabSize() - 1, 0, model.vocabSize() / 2}, s);
            try {
                TokenizerLoader.forModel(path, model.vocabSize());
            } catch (ModelFileException | IllegalArgumentException e) {
                // A tokenizer that is found but unusable is refused with a message: both are fine here.
                if (e.getMessage() == null || e.getMessage().isBlank()) {
                    throw new AssertionError("tokenizer refused without a message", e);
                }
            }
        }
        return true;
    }

    /**
     * Opens the file as a store of its format, whether or not it is a model, and reads every accessor and the first
     * and last byte of every tensor: what the parser accepts must be consistent.
     */
    static void readStore(Path path) {
        if (Files.isDirectory(path)) {
            return;
        }
        TensorStore store;
        try {
            store = ModelFormat.detect(path).open(path, LoadMode.READ);
        } catch (ModelFileException e) {
            checkMessage(e, path);
            return;
        }
        try (store) {
            store.metadata().forEach((k, v) -> {
                if (k == null || v == null) {
                    throw new AssertionError("null metadata entry " + k);
                }
            });
            for (TensorInfo t : store.tensors()) {
                MemorySegment d = store.data(t);
                if (d.byteSize() != t.byteSize()) {
                    throw new AssertionError(t.name() + ": " + d.byteSize() + " bytes of data for " + t.byteSize());
                }
                if (d.byteSize() > 0) {
                    d.get(ValueLayout.JAVA_BYTE, 0);
                    d.get(ValueLayout.JAVA_BYTE, d.byteSize() - 1);
                }
                if (store.find(t.name()) == null) {
                    throw new AssertionError(t.name() + " listed but not found");
                }
            }
        }
    }

    /** A refusal says which file and what is wrong with it. */
    static void checkMessage(ModelFileException e, Path path) {
        String m = e.getMessage();
        if (m == null || m.isBlank() || e.file() == null) {
            throw new AssertionError("refusal without a file or message", e);
        }
    }
}
