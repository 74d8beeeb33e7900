package dev.rwkvjava.generate;

import dev.rwkvjava.internal.Internals;
import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.hub.DownloadProgress;
import dev.rwkvjava.hub.HubConfig;
import dev.rwkvjava.hub.internal.ModelResolver;
import dev.rwkvjava.hub.internal.ResolvedModel;
import dev.rwkvjava.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A model with its tokenizer, ready to generate: the one-line way in.
 *
 * <pre>{@code
 * try (TextGenerator g = TextGenerator.load("RWKV/rwkv-4-169m-pile")) {      // file, folder or hub id
 *     GenerationResult r = g.generate("The capital of France is", GenerationConfig.greedy(20));
 *     System.out.println(r.text());
 * }
 * }</pre>
 *
 * Each {@link #generate} call starts from the zero state; use {@link #newSession()} to keep context.
 */
public final class TextGenerator implements AutoCloseable {
    private final RwkvModel model;
    private final Tokenizer tokenizer;
    private final ResolvedModel source;
    private final String tokenizerProblem;

    private TextGenerator(RwkvModel model, Tokenizer tokenizer, ResolvedModel source, String tokenizerProblem) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.source = source;
        this.tokenizerProblem = tokenizerProblem;
    }

    /**
     * Loads a model (file, folder or hub id; downloads are logged, see {@link DownloadProgress#logged()}) and its
     * tokenizer.
     *
     * @param model a weights file, a model folder or a hub id
     * @return the generator
     */
    public static TextGenerator load(String model) {
        return load(model, null, HubConfig.fromEnvironment(), RwkvModel.Options.defaults(), DownloadProgress.logged());
    }

    /**
     * Loads a model and its tokenizer.
     *
     * @param model     a weights file, a model folder or a hub id
     * @param tokenizer a tokenizer file or "bytes" to use instead of the model's own, or null
     * @param hub       where hub ids are downloaded from and cached
     * @param options   the model's load options
     * @param progress  receives download progress, or null for none
     * @return the generator
     */
    public static TextGenerator load(String model, String tokenizer, HubConfig hub, RwkvModel.Options options,
                                     DownloadProgress progress) {
        ResolvedModel r = ModelResolver.resolve(model, hub, progress != null ? progress : DownloadProgress.none());
        RwkvModel m = Internals.load(r.files(), options);
        try {
            if (tokenizer != null) {
                return new TextGenerator(m, TokenizerLoader.load(tokenizer, m.vocabSize()), r, null);
            }
            if (r.files().format() == dev.rwkvjava.io.ModelFormat.GGUF) {
                // A GGUF file carries its own vocabulary: the model's, whatever lies beside the file.
                var embedded = TokenizerLoader.fromGguf(r.weights());
                if (embedded.isPresent() && embedded.get().vocabSize() <= m.vocabSize()) {
                    return new TextGenerator(m, embedded.get(), r, null);
                }
            }
            TokenizerLoader.Choice c = TokenizerLoader.forModel(r.files().tokenizerSearchPath(),
                    m.vocabSize());
            return new TextGenerator(m, c.tokenizer(), r, c.problem());
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /**
     * Wraps a loaded model and tokenizer (either may be shared; closing this closes the model).
     *
     * @param model     the model
     * @param tokenizer its tokenizer, or null
     * @return the generator
     */
    public static TextGenerator of(RwkvModel model, Tokenizer tokenizer) {
        Objects.requireNonNull(model, "model");
        return new TextGenerator(model, tokenizer, null, tokenizer == null ? "no tokenizer was given" : null);
    }

    /** {@return the model} */
    public RwkvModel model() {
        return model;
    }

    /** {@return the tokenizer, or null when the model has none (then give token ids)} */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** {@return why there is no tokenizer (naming the file to supply), or null when there is one} */
    public String tokenizerProblem() {
        return tokenizerProblem;
    }

    /**
     * The weights file the model was loaded from.
     *
     * @return the file (the first shard of a sharded checkpoint), or null for a generator made with {@link #of}
     */
    public Path weightsFile() {
        return source == null ? null : source.weights();
    }

    /**
     * The model folder the model was loaded from.
     *
     * @return the folder (a hub id's is in the download cache), or null for a weights file given directly and for
     *         a generator made with {@link #of}
     */
    public Path modelFolder() {
        return source == null ? null : source.directory();
    }

    /** {@return a new session from the zero state} */
    public Session newSession() {
        return new Session(model, tokenizer);
    }

    /**
     * Generates a continuation of {@code prompt} from the zero state.
     *
     * @param prompt the text to continue
     * @param config how to sample and when to stop
     * @return the generated text, its tokens and statistics
     */
    public GenerationResult generate(String prompt, GenerationConfig config) {
        return generate(prompt, config, GenerationListener.none());
    }

    /**
     * Generates a continuation of {@code prompt} from the zero state.
     *
     * @param prompt   the text to continue
     * @param config   how to sample and when to stop
     * @param listener receives the tokens as they come
     * @return the generated text, its tokens and statistics
     */
    public GenerationResult generate(String prompt, GenerationConfig config, GenerationListener listener) {
        return newSession().generate(prompt, config, listener);
    }

    /**
     * Generates a continuation of token ids from the zero state.
     *
     * @param promptIds the token ids to continue
     * @param config    how to sample and when to stop
     * @param listener  receives the tokens as they come
     * @return the generated text, its tokens and statistics
     */
    public GenerationResult generate(int[] promptIds, GenerationConfig config, GenerationListener listener) {
        return newSession().generate(promptIds, config, listener);
    }

    @Override
    public void close() {
        model.close();
    }
}
