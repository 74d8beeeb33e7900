package dev.rwkvjava.generate;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.sampling.PenaltyWeights;
import dev.rwkvjava.sampling.Sampler;
import dev.rwkvjava.sampling.SamplerConfig;
import dev.rwkvjava.state.State;
import dev.rwkvjava.state.StateFile;
import dev.rwkvjava.tokenizer.ByteTokenizer;
import dev.rwkvjava.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * One conversation or document with a model: the model, its tokenizer (optional) and a recurrent state that
 * always holds everything fed so far. {@link #append} feeds only new text; {@link #generate} continues from
 * there, and what it generates stays in the state, so a chat turn costs only its own tokens.
 *
 * <pre>{@code
 * Session s = new Session(model, tokenizer);
 * s.append("User: hi\n\nAssistant:");
 * GenerationResult r = s.generate(GenerationConfig.chat(200).withStopStrings(List.of("\n\n")),
 *         GenerationListener.text(System.out::print));
 * Session alt = s.fork();                 // an independent copy to explore another continuation
 * s.save(Path.of("chat.state"));          // and later: s.load(Path.of("chat.state"))
 * }</pre>
 *
 * The model is shared, not owned (close it yourself). A session is not thread-safe.
 */
public final class Session {
    private final RwkvModel model;
    private final Tokenizer tokenizer;
    private final int vocab;
    private final State state;
    /** Logits after the last token in the state; valid when {@link #logitsValid}. */
    private final float[] logits;
    private boolean logitsValid;
    /**
     * The last generated token, chosen but not yet fed: feeding it costs a forward pass that is only needed if
     * the session goes on, and then it can ride along with the next appended tokens.
     */
    private int pending = -1;
    private Sampler sampler;
    private float[] penaltyWeights;

    /**
     * A session from the zero state.
     *
     * @param model     the model
     * @param tokenizer the model's tokenizer, or null (then only token ids can be appended)
     */
    public Session(RwkvModel model, Tokenizer tokenizer) {
        this(model, tokenizer, model.newState());
    }

    /**
     * A session starting from a copy of {@code initial}.
     *
     * @param model     the model
     * @param tokenizer the model's tokenizer, or null (then only token ids can be appended)
     * @param initial   a state of this model; the session works on a copy
     */
    public Session(RwkvModel model, Tokenizer tokenizer, State initial) {
        this.model = Objects.requireNonNull(model, "model");
        this.tokenizer = tokenizer;
        this.vocab = model.vocabSize();
        if (tokenizer != null && tokenizer.vocabSize() > vocab) {
            throw new IllegalArgumentException("tokenizer (" + tokenizer + ") has " + tokenizer.vocabSize()
                    + " ids but the model " + model.info().path().getFileName() + " only " + vocab
                    + ": they do not belong together");
        }
        this.state = model.newState();
        this.state.copyFrom(initial);
        this.logits = new float[vocab];
    }

    private Session(Session other) {
        this.model = other.model;
        this.tokenizer = other.tokenizer;
        this.vocab = other.vocab;
        this.state = other.state.copy();
        this.logits = other.logits.clone();
        this.logitsValid = other.logitsValid;
        this.pending = other.pending;
        this.penaltyWeights = other.penaltyWeights;
    }

    /** {@return the model} */
    public RwkvModel model() {
        return model;
    }

    /** {@return the tokenizer, or null} */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * The end-of-text id that stops generation by default: 0 (World and GPT-NeoX-20B models, which use 0 for
     * {@code <|endoftext|>}), except for byte-level models, where 0 is the byte 0x00.
     *
     * @return the id, or empty for byte-level models
     */
    public OptionalInt endOfText() {
        boolean bytes = tokenizer instanceof ByteTokenizer || (tokenizer == null && vocab == ByteTokenizer.VOCAB_SIZE);
        return bytes ? OptionalInt.empty() : OptionalInt.of(0);
    }

    /** {@return the number of tokens the state has consumed (including a generated token not fed yet)} */
    public long tokenCount() {
        return state.tokens() + (pending >= 0 ? 1 : 0);
    }

    /** {@return whether there is anything to generate from (something was fed, or loaded with its logits)} */
    public boolean hasContext() {
        return logitsValid || pending >= 0;
    }

    /**
     * Encodes and feeds text.
     *
     * @param text the text
     * @return the number of new tokens
     */
    public int append(String text) {
        int[] ids = encode(text);
        append(ids);
        return ids.length;
    }

    /**
     * Feeds token ids (sequence mode, so a long text costs few passes).
     *
     * @param ids the token ids
     */
    public void append(int... ids) {
        Objects.requireNonNull(ids, "ids");
        if (ids.length == 0 && pending < 0) {
            return;
        }
        int[] feed = ids;
        if (pending >= 0) {
            feed = new int[ids.length + 1];
            feed[0] = pending;
            System.arraycopy(ids, 0, feed, 1, ids.length);
        }
        float[] out = model.forward(feed, state);
        System.arraycopy(out, 0, logits, 0, vocab);
        pending = -1;
        logitsValid = true;
    }

    /**
     * The tokens of a text (needs a tokenizer).
     *
     * @param text the text
     * @return its token ids
     */
    public int[] encode(String text) {
        if (tokenizer == null) {
            throw new IllegalStateException("this model has no tokenizer: give token ids instead of text");
        }
        return tokenizer.encode(text);
    }

    /**
     * Feeds the prompt, then generates (see {@link #generate(GenerationConfig, GenerationListener)}).
     *
     * @param prompt   the text to feed first
     * @param config   how to sample and when to stop
     * @param listener receives the tokens as they come
     * @return the generated text, its tokens and statistics
     */
    public GenerationResult generate(String prompt, GenerationConfig config, GenerationListener listener) {
        return generate(encode(prompt), config, listener);
    }

    /**
     * Feeds the prompt ids, then generates; the statistics include the prompt.
     *
     * @param promptIds the token ids to feed first
     * @param config    how to sample and when to stop
     * @param listener  receives the tokens as they come
     * @return the generated text, its tokens and statistics
     */
    public GenerationResult generate(int[] promptIds, GenerationConfig config, GenerationListener listener) {
        long t0 = System.nanoTime();
        append(promptIds);
        double prefill = (System.nanoTime() - t0) / 1e9;
        return run(promptIds.clone(), prefill, config, listener);
    }

    /**
     * Generates from the current state: the next token is sampled from the logits after everything fed so far.
     *
     * @param config   how to sample and when to stop
     * @param listener receives the tokens as they come
     * @return the generated text, its tokens and statistics
     */
    public GenerationResult generate(GenerationConfig config, GenerationListener listener) {
        return run(new int[0], 0, config, listener);
    }

    private GenerationResult run(int[] promptIds, double prefillSeconds, GenerationConfig config,
                                 GenerationListener listener) {
        Objects.requireNonNull(config, "config");
        GenerationListener out = listener != null ? listener : GenerationListener.none();
        ensureLogits();
        Sampler s = sampler(config.sampler());
        s.reset();
        boolean[] stop = stopTokens(config);
        TextStream text = tokenizer == null ? null
                : new TextStream(TokenBytes.of(tokenizer, vocab), config.stopStrings(), out);
        int[] generated = new int[config.maxNewTokens()];
        int n = 0;
        FinishReason reason = FinishReason.LENGTH;
        long t0 = System.nanoTime();
        while (n < generated.length) {
            if (out.stopRequested()) {
                reason = FinishReason.CANCELLED;
                break;
            }
            int token = s.sample(logits);
            if (stop[token]) {
                reason = FinishReason.STOP_TOKEN;
                break;
            }
            s.accept(token);
            generated[n++] = token;
            out.onToken(token);
            if (text != null && text.accept(token)) {
                reason = FinishReason.STOP_STRING;
                defer(token);
                break;
            }
            if (n < generated.length) {
                model.forward(token, state, logits);
            } else {
                defer(token);
            }
        }
        if (text != null) {
            text.finish();
        }
        double decode = (System.nanoTime() - t0) / 1e9;
        GenerationStats stats = new GenerationStats(promptIds.length, n, prefillSeconds, decode, reason, s.seed());
        return new GenerationResult(promptIds, Arrays.copyOf(generated, n), text == null ? null : text.text(), stats);
    }

    private void defer(int token) {
        pending = token;
        logitsValid = false;
    }

    private boolean[] stopTokens(GenerationConfig config) {
        boolean[] stop = new boolean[vocab];
        OptionalInt eos = endOfText();
        if (!config.ignoreEos() && eos.isPresent()) {
            stop[eos.getAsInt()] = true;
        }
        for (int id : config.stopTokens()) {
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("stop token id " + id + " is out of range: the vocabulary has "
                        + vocab + " ids (0.." + (vocab - 1) + ")");
            }
            stop[id] = true;
        }
        return stop;
    }

    /** The sampler for a configuration; kept while the configuration is the same, so its random stream goes on. */
    private Sampler sampler(SamplerConfig config) {
        if (sampler == null || !sampler.config().equals(config)) {
            if (penaltyWeights == null && tokenizer != null
                    && (config.presencePenalty() != 0 || config.frequencyPenalty() != 0)) {
                penaltyWeights = PenaltyWeights.chatRwkv(tokenizer, vocab);
            }
            sampler = new Sampler(config, vocab, penaltyWeights);
        }
        return sampler;
    }

    /** Feeds a deferred token so the logits and state are current. */
    private void ensureLogits() {
        if (pending >= 0) {
            model.forward(pending, state, logits);
            pending = -1;
            logitsValid = true;
        }
        if (!logitsValid) {
            throw new IllegalStateException("nothing to generate from: append a prompt first"
                    + (state.tokens() > 0 ? " (the state was loaded without logits)" : ""));
        }
    }

    /** {@return a copy of the logits after everything fed so far (feeds a deferred token first)} */
    public float[] logits() {
        ensureLogits();
        return logits.clone();
    }

    /** {@return a copy of the current state (feeds a deferred token first)} */
    public State state() {
        if (pending >= 0) {
            ensureLogits();
        }
        return state.copy();
    }

    /** {@return an independent session with a copy of this one's state} */
    public Session fork() {
        return new Session(this);
    }

    /** Back to the zero state. */
    public void reset() {
        state.reset();
        pending = -1;
        logitsValid = false;
    }

    /**
     * A saved point to go back to with {@link #restore}.
     *
     * @param state       a copy of the state
     * @param logits      a copy of the logits buffer (those after the last token when {@code logitsValid})
     * @param logitsValid whether {@code logits} are those after the last token in the state
     * @param pending     a generated token not fed to the state yet, or -1
     */
    public record Snapshot(State state, float[] logits, boolean logitsValid, int pending) {
    }

    /** {@return a saved point of this session, to go back to with {@link #restore}} */
    public Snapshot snapshot() {
        return new Snapshot(state.copy(), logits.clone(), logitsValid, pending);
    }

    /**
     * Goes back to a saved point.
     *
     * @param snap a snapshot of this session
     */
    public void restore(Snapshot snap) {
        state.copyFrom(snap.state());
        System.arraycopy(snap.logits(), 0, logits, 0, vocab);
        logitsValid = snap.logitsValid();
        pending = snap.pending();
    }

    /**
     * Saves the state (and the logits, when known) to a state file; see {@link StateFile}.
     *
     * @param file          the file to write
     * @param extraMetadata entries added to the file's metadata
     */
    public void save(Path file, Map<String, String> extraMetadata) {
        if (pending >= 0) {
            ensureLogits();
        }
        StateFile.save(file, model, state, logitsValid ? logits : null, extraMetadata);
    }

    /**
     * Saves the state (and the logits, when known) to a state file; see {@link StateFile}.
     *
     * @param file the file to write
     */
    public void save(Path file) {
        save(file, Map.of());
    }

    /**
     * Replaces the state with a state file's (a saved state, or a state-tuned initial state).
     *
     * @param file the file to read
     * @return the file's metadata
     */
    public Map<String, String> load(Path file) {
        StateFile.Loaded l = StateFile.load(file, model);
        state.copyFrom(l.state());
        pending = -1;
        logitsValid = l.logits() != null;
        if (logitsValid) {
            System.arraycopy(l.logits(), 0, logits, 0, vocab);
        }
        return l.metadata();
    }
}
