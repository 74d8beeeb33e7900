package dev.rwkvjava.convert;

import dev.rwkvjava.internal.Internals;
import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.LoadMode;
import dev.rwkvjava.io.ModelFiles;
import dev.rwkvjava.io.ModelFormat;
import dev.rwkvjava.io.TensorStore;
import dev.rwkvjava.io.gguf.GgufFile;
import dev.rwkvjava.io.gguf.GgufHeader;
import dev.rwkvjava.io.rwkvcpp.RwkvCppFile;
import dev.rwkvjava.model.ModelLoader;
import dev.rwkvjava.model.ModelTensors;
import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.WeightType;
import dev.rwkvjava.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * Converts a model from any format the engine reads into BlinkDL-named safetensors or llama.cpp's GGUF layout,
 * optionally rounding or quantizing its weights.
 *
 * <p>The output is written tensor by tensor (large tensors a slice at a time; the heap never holds the model) into a
 * temporary file beside the output, forced to the device, loaded back and checked against the input on a few tokens
 * ({@link LogitCheck}); only then is it moved to the output's name, in one atomic step. An interrupted or failed
 * conversion therefore never leaves a file under the output's name; a failure that the process survives also removes
 * the temporary file.
 */
public final class ModelConverter {
    /** Tokens fed through both models by the check. */
    static final int CHECK_TOKENS = 4;

    /** The output formats. */
    public enum Target {
        /** safetensors in BlinkDL's naming: F32, F16 or BF16. */
        SAFETENSORS("safetensors", ".safetensors"),
        /** GGUF in llama.cpp's {@code rwkv6} / {@code rwkv7} layout: any weight type. */
        GGUF("gguf", ".gguf"),
        /**
         * rwkv.cpp's {@code .bin} (file version 101): FP32, FP16 or a block type. Not implied by a file name, as
         * {@code .bin} is also PyTorch's.
         */
        RWKV_CPP("rwkvcpp", null);

        private final String label;
        private final String extension;

        Target(String label, String extension) {
            this.label = label;
            this.extension = extension;
        }

        public String label() {
            return label;
        }

        /**
         * The target of the given name ({@code safetensors}, {@code gguf}, {@code rwkvcpp}).
         *
         * @throws IllegalArgumentException naming the known targets
         */
        public static Target named(String name) {
            for (Target t : values()) {
                if (t.label.equalsIgnoreCase(name.trim())) {
                    return t;
                }
            }
            throw new IllegalArgumentException("unknown output format '" + name + "' (expected one of "
                    + java.util.Arrays.stream(values()).map(Target::label).toList() + ")");
        }

        /** The target a file name's extension implies, if any. */
        public static Optional<Target> forFile(Path file) {
            String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
            for (Target t : values()) {
                if (t.extension != null && n.endsWith(t.extension)) {
                    return Optional.of(t);
                }
            }
            return Optional.empty();
        }
    }

    /**
     * What to convert.
     *
     * @param source    the input's resolved files
     * @param tokenizer the input's tokenizer, or null; a World or byte vocabulary goes into a GGUF output's metadata
     * @param name      the model's name for the output's metadata ({@code general.name} in GGUF)
     * @param out       the output file
     * @param target    the output format
     * @param type      the weight type to write (llama.cpp's rules decide which tensors stay F32 in GGUF), or null
     *                  to keep each tensor's own type where the format holds it
     * @param replace   whether an existing output file may be replaced
     */
    public record Request(ModelFiles source, Tokenizer tokenizer, String name, Path out, Target target,
                          WeightType type, boolean replace) {
        public Request {
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(out, "out");
            Objects.requireNonNull(target, "target");
        }
    }

    /** Told how a conversion goes (each method is called from the converting thread). */
    public interface Listener {
        /** The output is about to be written: its size and number of tensors. */
        default void writing(Path out, long bytes, int tensors) {
        }

        /** Bytes written so far, and the tensor being written. */
        default void progress(long bytesWritten, String tensor) {
        }

        /** The file is written; the logits of a few tokens are being compared. */
        default void checking(int tokens) {
        }

        /** A listener that ignores everything. */
        static Listener none() {
            return new Listener() {
            };
        }
    }

    /**
     * What was written.
     *
     * @param layout           the output's layout: "BlinkDL names", or "llama.cpp rwkv7" and so on
     * @param tensorTypes      number of tensors per type
     * @param exact            whether every value was written unchanged
     * @param maxDifference    largest |logit difference| of the check
     * @param allowed          the bound the check held it to
     * @param notes            things the user should know (what was not carried over, fallbacks)
     */
    public record Result(Path out, Target target, String layout, String version, long bytes, int tensors,
                         Map<String, Integer> tensorTypes, boolean exact, double maxDifference, double allowed,
                         int checkedTokens, List<String> notes) {
    }

    /** The check failed: the output was not written. */
    public static final class CheckFailedException extends RuntimeException {
        CheckFailedException(String message) {
            super(message);
        }
    }

    private ModelConverter() {
    }

    /**
     * Converts, checks and moves the result into place.
     *
     * @throws IllegalArgumentException  when the request cannot be carried out (an output that exists without
     *                                   {@code replace}, or is an input file; a type the format cannot hold; a
     *                                   version llama.cpp has no architecture for)
     * @throws CheckFailedException      when the written model's logits differ from the input's beyond the bound
     * @throws UncheckedIOException      when writing fails
     * @throws dev.rwkvjava.ModelFileException when the input is not a model the engine reads
     */
    public static Result convert(Request r, Listener listener) {
        Path out = r.out().toAbsolutePath();
        checkOutput(r, out);
        List<String> notes = new ArrayList<>();
        Path tmp = out.resolveSibling("." + out.getFileName() + "."
                + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".part");
        try {
            FilePlan plan;
            String version;
            String layout;
            try (TensorStore store = r.source().open(LoadMode.MAP)) {
                SourceModel m = new SourceModel(new ModelTensors(store), r.source());
                version = m.config().version().label();
                layout = switch (r.target()) {
                    case SAFETENSORS -> "BlinkDL names";
                    case GGUF -> "llama.cpp " + LlamaCppLayout.architecture(m.config().version());
                    case RWKV_CPP -> "rwkv.cpp file version " + RwkvCppFile.VERSION_101;
                };
                plan = plan(r, m, store, notes);
                listener.writing(out, plan.size(), plan.tensors().size());
                plan.write(tmp, listener::progress);
            }
            Set<DType> changed = new LinkedHashSet<>();
            Map<String, Integer> types = new TreeMap<>();
            for (OutTensor t : plan.tensors()) {
                types.merge(t.dtype().name(), 1, Integer::sum);
                if (!t.exact()) {
                    changed.add(t.dtype());
                }
            }
            listener.checking(CHECK_TOKENS);
            LogitCheck.Outcome check = check(r.source(), tmp, LogitCheck.bound(changed));
            if (!check.passed()) {
                throw new CheckFailedException(String.format(Locale.ROOT, "the written model's logits differ from "
                        + "the input's by up to %.4g over %d tokens, more than the %.4g allowed%s; nothing was "
                        + "written to %s", check.maxDifference(), check.tokens().length, check.allowed(),
                        changed.isEmpty() ? "" : " for " + changed, out));
            }
            moveIntoPlace(tmp, out, r.replace());
            return new Result(out, r.target(), layout, version, plan.size(), plan.tensors().size(), Map.copyOf(types),
                    changed.isEmpty(), check.maxDifference(), check.allowed(), check.tokens().length,
                    List.copyOf(notes));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // left behind under a hidden temporary name, never under the output's
            }
        }
    }

    private static void checkOutput(Request r, Path out) {
        if (Files.isDirectory(out)) {
            throw new IllegalArgumentException(out + " is a directory; give the output file's name");
        }
        for (Path in : r.source().weightFiles()) {
            if (sameFile(in, out)) {
                throw new IllegalArgumentException(out + " is the input's weights file; write to another file");
            }
        }
        if (Files.exists(out) && !r.replace()) {
            throw new IllegalArgumentException(out + " already exists; choose another name or allow replacing it");
        }
        Path dir = out.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("the folder of " + out + " does not exist");
        }
        if (r.type() != null && r.target() == Target.SAFETENSORS && r.type().dtype().isBlockType()) {
            throw new IllegalArgumentException("safetensors holds F32, F16 or BF16 weights, not "
                    + r.type().dtype() + "; write GGUF for quantized weights");
        }
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.exists(b) && Files.isSameFile(a, b);
        } catch (IOException e) {
            return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
        }
    }

    private static FilePlan plan(Request r, SourceModel m, TensorStore store, List<String> notes) {
        DType type = r.type() == null ? null : r.type().dtype();
        return switch (r.target()) {
            case SAFETENSORS -> {
                requireDefaultEps(m, "a BlinkDL safetensors file");
                if (store.format() == ModelFormat.GGUF && r.tokenizer() != null
                        && r.tokenizer().vocabSize() > 256) {
                    notes.add("the GGUF file's vocabulary is not carried into safetensors: keep "
                            + "rwkv_vocab_v20230424.txt (or the model's tokenizer file) beside the output");
                }
                Map<String, String> meta = new LinkedHashMap<>();
                meta.put("format", "pt");
                meta.put("rwkv_version", m.config().version().label());
                meta.put("source", r.name());
                yield SafetensorsLayout.plan(m, type, meta);
            }
            case GGUF -> {
                Consumer<GgufHeader> vocabulary;
                if (store instanceof GgufFile g) {
                    vocabulary = GgufVocabulary.copiedFrom(g);
                } else if (r.tokenizer() == null) {
                    notes.add("the model has no tokenizer: the GGUF file has no vocabulary, which llama.cpp needs "
                            + "(give the tokenizer file)");
                    vocabulary = GgufVocabulary.none();
                } else {
                    vocabulary = GgufVocabulary.rwkv(r.tokenizer(), m.config().vocabSize()).orElseGet(() -> {
                        notes.add("the model's tokenizer (" + r.tokenizer() + ") is not an RWKV World vocabulary, "
                                + "the only kind llama.cpp's rwkv models take: the GGUF file has no vocabulary");
                        return GgufVocabulary.none();
                    });
                }
                FilePlan p = LlamaCppLayout.plan(m, type, r.name(), vocabulary);
                if (type != null && type.isBlockType()) {
                    long kept = p.tensors().stream().filter(t -> t.dtype() == DType.F16).count();
                    if (kept > 0) {
                        notes.add(kept + " matrices stay F16: their rows are not whole " + type + " blocks of "
                                + type.blockElements() + " values (as llama.cpp's converter does)");
                    }
                }
                yield p;
            }
            case RWKV_CPP -> {
                requireDefaultEps(m, "an rwkv.cpp file");
                if (r.tokenizer() != null && r.tokenizer().vocabSize() > 256) {
                    notes.add("rwkv.cpp files hold no vocabulary: keep the tokenizer file beside the output");
                }
                yield RwkvCppLayout.plan(m, type);
            }
        };
    }

    /** Formats without a place for the layer-norm epsilon take only models with the one every reader assumes. */
    private static void requireDefaultEps(SourceModel m, String format) {
        if (m.config().layerNormEps() != ModelLoader.DEFAULT_LAYER_NORM_EPS) {
            throw new IllegalArgumentException("the model's layer-norm epsilon is " + m.config().layerNormEps()
                    + ", which " + format + " cannot record (its readers assume " + ModelLoader.DEFAULT_LAYER_NORM_EPS
                    + "); write GGUF instead");
        }
    }

    private static LogitCheck.Outcome check(ModelFiles source, Path written, double bound) {
        RwkvModel.Options options = RwkvModel.Options.defaults().withMaxChunk(CHECK_TOKENS);
        try (RwkvModel a = Internals.load(source, options); RwkvModel b = Internals.load(ModelFiles.of(written),
                options)) {
            return LogitCheck.run(a, b, LogitCheck.tokens(a.vocabSize(), CHECK_TOKENS), bound);
        }
    }

    /** Gives the finished file the output's name in one step (a rename within the folder). */
    private static void moveIntoPlace(Path tmp, Path out, boolean replace) throws IOException {
        if (!replace && Files.exists(out)) {
            throw new FileAlreadyExistsException(out.toString(), null, "appeared while converting");
        }
        Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
