package dev.rwkvjava;

import dev.rwkvjava.internal.Internals;
import dev.rwkvjava.io.MappedFiles;
import dev.rwkvjava.io.ModelFiles;
import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.io.TensorStore;
import dev.rwkvjava.kernel.KernelProvider;
import dev.rwkvjava.kernel.KernelWarmup;
import dev.rwkvjava.kernel.Kernels;
import dev.rwkvjava.kernel.WorkerPool;
import dev.rwkvjava.model.ForwardPass;
import dev.rwkvjava.model.ModelConfig;
import dev.rwkvjava.model.ModelLoader;
import dev.rwkvjava.model.ModelTensors;
import dev.rwkvjava.model.Quantization;
import dev.rwkvjava.model.naming.CanonicalTensor;
import dev.rwkvjava.state.State;
import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.WeightType;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * An RWKV model loaded from a weights file, memory-mapped and read in place. The recurrent {@link State} belongs
 * to the caller: create it with {@link #newState()}, pass it to {@code forward}, copy or save it as you like.
 *
 * <pre>{@code
 * try (RwkvModel model = RwkvModel.load(Path.of("model.safetensors"))) {
 *     State state = model.newState();
 *     float[] logits = model.forward(new int[] {510, 4, 12}, state);   // a prompt, in sequence mode
 *     logits = model.forward(42, state);                               // then one token at a time
 * }
 * }</pre>
 *
 * The loaded weights are immutable and shared: any number of threads may call {@code forward} on one model at once,
 * each with its own {@link State}; each concurrent call gets scratch buffers of its own (created on first need and
 * reused), and the matrix products of concurrent calls take turns on the model's worker threads. Close the model,
 * once no call is running, to unmap the file and stop its threads.
 *
 * <p>A mapped weights file that another program truncates or rewrites in place while the model is loaded makes the
 * next call (and every one after it) fail with a {@link ModelFileException} that names the file; the process goes
 * on. A file replaced by a new one (renamed over it) or deleted does not affect the loaded model. Weights read into
 * memory ({@link LoadMode#READ}) are immune to both.
 */
public final class RwkvModel implements AutoCloseable {

    /**
     * Load options: immutable, built from {@link #defaults()} with the {@code with} methods.
     */
    public static final class Options {
        /** Workers allowed per available processor: more only slow the products down (and each is a thread). */
        private static final int THREADS_PER_PROCESSOR = 8;

        /** The system property that turns the kernel warm-up of {@link #defaults()} on when {@code true}. */
        public static final String WARMUP_PROPERTY = "rwkv.warmup";

        private final int threads;
        private final int maxChunk;
        private final LoadMode loadMode;
        private final Quantization quantization;
        private final boolean warmUp;

        /**
         * Options without quantization on load and without the kernel warm-up.
         *
         * @param threads  worker threads for the matrix products, between 1 and {@link #maxThreads()}
         * @param maxChunk tokens per sequence-mode step (at least 1); longer inputs are fed in chunks of this size
         * @param loadMode map the weights file or read it into memory the process owns
         * @throws IllegalArgumentException when threads or maxChunk is out of range
         */
        public Options(int threads, int maxChunk, LoadMode loadMode) {
            this(threads, maxChunk, loadMode, null, false);
        }

        private Options(int threads, int maxChunk, LoadMode loadMode, Quantization quantization, boolean warmUp) {
            Objects.requireNonNull(loadMode, "loadMode");
            if (threads < 1 || threads > maxThreads()) {
                throw new IllegalArgumentException("threads must be between 1 and " + maxThreads() + " ("
                        + THREADS_PER_PROCESSOR + " per processor), got " + threads);
            }
            if (maxChunk < 1) {
                throw new IllegalArgumentException("maxChunk must be >= 1, got " + maxChunk);
            }
            this.threads = threads;
            this.maxChunk = maxChunk;
            this.loadMode = loadMode;
            this.quantization = quantization;
            this.warmUp = warmUp;
        }

        /**
         * The most worker threads a model accepts on this machine.
         *
         * @return eight per available processor
         */
        public static int maxThreads() {
            return THREADS_PER_PROCESSOR * Runtime.getRuntime().availableProcessors();
        }

        /**
         * Default options: one worker thread per available processor, chunks of 64 tokens, the file mapped, weights
         * as stored, and no kernel warm-up unless {@code -Drwkv.warmup=true} ({@link #WARMUP_PROPERTY}).
         *
         * @return the default options
         */
        public static Options defaults() {
            return new Options(Runtime.getRuntime().availableProcessors(), 64, LoadMode.MAP, null,
                    "true".equalsIgnoreCase(System.getProperty(WARMUP_PROPERTY, "false").trim()));
        }

        /** {@return the number of worker threads for the matrix products} */
        public int threads() {
            return threads;
        }

        /** {@return the tokens per sequence-mode step; longer inputs are fed in chunks of this size} */
        public int maxChunk() {
            return maxChunk;
        }

        /** {@return whether the weights file is mapped or read into memory} */
        public LoadMode loadMode() {
            return loadMode;
        }

        /**
         * The weight type the matrices are converted to on load.
         *
         * @return its lower-case name, such as {@code q8_0}, or null when the weights are used as stored
         */
        public String quantize() {
            return quantization == null ? null : quantization.typeName();
        }

        /**
         * Whether the model runs its kernels on a few rows of its matrices in a background thread after loading, so
         * that the JIT compiles them sooner; results do not depend on it. Off by default: on two busy cores it
         * competed with the first prompt for the processors and the compiler and delayed the first token.
         *
         * @return true when the warm-up is on
         */
        public boolean warmUp() {
            return warmUp;
        }

        /**
         * These options with another number of worker threads.
         *
         * @param n worker threads, between 1 and {@link #maxThreads()}
         * @return the new options
         * @throws IllegalArgumentException when n is out of range
         */
        public Options withThreads(int n) {
            return new Options(n, maxChunk, loadMode, quantization, warmUp);
        }

        /**
         * These options with another sequence-mode chunk.
         *
         * @param n tokens per sequence-mode step, at least 1
         * @return the new options
         * @throws IllegalArgumentException when n is below 1
         */
        public Options withMaxChunk(int n) {
            return new Options(threads, n, loadMode, quantization, warmUp);
        }

        /**
         * These options with another way of bringing the weights into memory.
         *
         * @param mode map the file, or read it into memory the process owns
         * @return the new options
         */
        public Options withLoadMode(LoadMode mode) {
            return new Options(threads, maxChunk, mode, quantization, warmUp);
        }

        /**
         * These options with quantization on load: the projection matrices and the head are converted to
         * {@code type} (the head to Q6_K for the types below six bits); the embedding, the low-rank factors and the
         * vectors stay as stored. The file must hold F32, F16 or BF16 weights: loading a block-quantized file with
         * this option fails with a {@link ModelFileException}.
         *
         * @param type a weight type's name in any case: {@code f32}, {@code f16}, {@code bf16}, {@code q8_0},
         *             {@code q4_0}, {@code q4_1}, {@code q5_0}, {@code q5_1}, {@code q4_k}, {@code q5_k},
         *             {@code q6_k}; or null for the weights as stored
         * @return the new options
         * @throws IllegalArgumentException naming the known types when there is none of that name
         */
        public Options withQuantize(String type) {
            return withQuantization(type == null ? null : Quantization.of(WeightType.named(type)));
        }

        private Options withQuantization(Quantization q) {
            return new Options(threads, maxChunk, loadMode, q, warmUp);
        }

        /**
         * These options with or without the background kernel warm-up after loading (see {@link #warmUp()}).
         *
         * @param on true to warm the kernels up
         * @return the new options
         */
        public Options withWarmUp(boolean on) {
            return new Options(threads, maxChunk, loadMode, quantization, on);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Options other && threads == other.threads && maxChunk == other.maxChunk
                    && loadMode == other.loadMode && Objects.equals(quantization, other.quantization)
                    && warmUp == other.warmUp;
        }

        @Override
        public int hashCode() {
            return Objects.hash(threads, maxChunk, loadMode, quantization, warmUp);
        }

        @Override
        public String toString() {
            return "Options[threads=" + threads + ", maxChunk=" + maxChunk + ", loadMode=" + loadMode
                    + ", quantization=" + quantization + ", warmUp=" + warmUp + "]";
        }
    }

    static {
        Internals.register(new Internals.ModelAccess() {
            @Override
            public RwkvModel load(ModelFiles files, Options options) {
                return RwkvModel.load(files, options);
            }

            @Override
            public List<TensorInfo> tensors(RwkvModel model) {
                return model.tensors();
            }

            @Override
            public List<CanonicalTensor> canonicalTensors(RwkvModel model) {
                return model.canonical;
            }

            @Override
            public long matrixProductNanos(RwkvModel model) {
                return model.matrixProductNanos();
            }

            @Override
            public Quantization quantization(Options options) {
                return options.quantization;
            }

            @Override
            public Options withQuantization(Options options, Quantization quantization) {
                return options.withQuantization(quantization);
            }
        });
    }

    private final TensorStore store;
    /** The background kernel warm-up started at load, or null. */
    private volatile KernelWarmup warmup;
    private final MappedFiles mapped;
    private final WorkerPool pool;
    /** The first workspace; its config and layout describe every other. */
    private final ForwardPass pass;
    /** Workspaces not in use by a call, and every workspace made (for the product timer). */
    private final ConcurrentLinkedDeque<Workspace> idle = new ConcurrentLinkedDeque<>();
    private final List<Workspace> made = new CopyOnWriteArrayList<>();
    /** Calls hold the read side; closing takes the write side, so it waits for running calls. */
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private final ModelInfo info;
    private final List<CanonicalTensor> canonical;
    private final int vocab;
    private volatile boolean closed;

    /** A forward pass with scratch of its own, and token mode's one-element input (so decoding allocates nothing). */
    private static final class Workspace {
        final ForwardPass pass;
        final int[] oneToken = new int[1];

        Workspace(ForwardPass pass) {
            this.pass = pass;
        }
    }

    private RwkvModel(TensorStore store, MappedFiles mapped, WorkerPool pool, ForwardPass pass,
                      List<CanonicalTensor> canonical, ModelInfo info) {
        this.store = store;
        this.mapped = mapped;
        this.canonical = canonical;
        this.pool = pool;
        this.pass = pass;
        this.info = info;
        this.vocab = info.vocabSize();
        Workspace first = new Workspace(pass);
        made.add(first);
        idle.push(first);
    }

    /** An idle workspace, or a new one over the same weights. */
    private Workspace acquire() {
        Workspace w = idle.poll();
        if (w == null) {
            w = new Workspace(pass.newWorkspace());
            made.add(w);
        }
        return w;
    }

    private void release(Workspace w) {
        idle.push(w);
    }

    /**
     * Loads a model with default options: a weights file (safetensors, PyTorch {@code .pth} or
     * {@code pytorch_model.bin}, GGUF, rwkv.cpp {@code .bin}; the format is read from the content) or a model folder
     * (weights, {@code config.json} and tokenizer files of a Hugging Face or BlinkDL checkpoint).
     *
     * @param path a weights file or a model folder
     * @return the loaded model
     * @throws ModelFileException when the files cannot be read as a model
     */
    public static RwkvModel load(Path path) {
        return load(path, Options.defaults());
    }

    /**
     * Loads a weights file or a model folder (see {@link #load(Path)}).
     *
     * @param path    a weights file or a model folder
     * @param options threads, chunk size, load mode, quantization on load
     * @return the loaded model
     * @throws ModelFileException when the files cannot be read as a model
     */
    public static RwkvModel load(Path path, Options options) {
        Objects.requireNonNull(path, "path");
        return load(ModelFiles.of(path), options);
    }

    /** Loads a model whose files are already resolved. */
    static RwkvModel load(ModelFiles files, Options options) {
        Objects.requireNonNull(files, "files");
        Objects.requireNonNull(options, "options");
        MappedFiles mapped = options.loadMode() == LoadMode.MAP ? MappedFiles.of(files.weightFiles()) : MappedFiles.NONE;
        TensorStore store = files.open(options.loadMode());
        WorkerPool pool = null;
        try {
            Kernels kernels = KernelProvider.forTypes(weightTypes(store, options.quantization));
            pool = new WorkerPool(options.threads());
            ModelTensors tensors = new ModelTensors(store, options.quantization, pool);
            ForwardPass pass = ModelLoader.build(tensors, files, kernels, pool, options.maxChunk());
            RwkvModel model = new RwkvModel(store, mapped, pool, pass, List.copyOf(tensors.tensors()),
                    describe(files.weights(), store, tensors, pass.config(), kernels, options));
            if (options.warmUp()) {
                model.warmup = KernelWarmup.start(kernels, tensors.matrices());
            }
            return model;
        } catch (RuntimeException | Error e) {
            if (pool != null) {
                pool.close();
            }
            store.close();
            ModelFileException changed = e instanceof InternalError ie ? mapped.faulted(ie) : null;
            if (changed != null) {
                throw changed;
            }
            throw e;
        }
    }

    /**
     * The weight types of the matrices a model in {@code store} holds once loaded: the stored weight types, the
     * quantization's, and F32 (matrices computed at load, such as transposed parts, are float32).
     */
    static Set<WeightType> weightTypes(TensorStore store, Quantization quantization) {
        Set<WeightType> types = new LinkedHashSet<>();
        types.add(WeightType.of(DType.F32));
        for (TensorInfo t : store.tensors()) {
            if (WeightType.exists(t.dtype())) {
                types.add(WeightType.of(t.dtype()));
            }
        }
        if (quantization != null) {
            types.add(quantization.type());
            types.add(quantization.headType());
        }
        return types;
    }

    private static ModelInfo describe(Path file, TensorStore store, ModelTensors tensors, ModelConfig cfg,
                                      Kernels kernels, Options options) {
        long params = 0;
        for (TensorInfo t : store.tensors()) {
            params += t.elementCount();
        }
        Map<String, Integer> dtypes = tensors.loadedTypes();
        Quantization q = options.quantization;
        // The head's type as converted: the requested one, or Q8_0 where its rows are not whole blocks of it.
        DType head = tensors.convertedHead();
        return new ModelInfo(file, store.format().label(), cfg.version(), tensors.naming().label(), cfg.nEmbd(), cfg.nLayer(), cfg.heads(),
                cfg.headSize(), cfg.vocabSize(), cfg.ffnSize(), Collections.unmodifiableMap(dtypes), params, store.fileSize(),
                kernels.name(), options.threads(), q == null ? null : q.typeName(), q == null || head == null ? null : head.name().toLowerCase(Locale.ROOT), tensors.converted().size(), tensors.keptForShape().size(),
                tensors.streamedBytes());
    }

    /** {@return what the model is: version, dimensions, file, types, kernels} */
    public ModelInfo info() {
        return info;
    }

    /** {@return the number of logits per token} */
    public int vocabSize() {
        return vocab;
    }

    /** Names, types and shapes of the file's tensors, in file order (for tools). */
    List<TensorInfo> tensors() {
        return List.copyOf(store.tensors());
    }

    /** Wall time spent in matrix products since load; with a stopwatch around forward calls it tells how much
     * of the time goes to the weights and how much to the per-token vector work. */
    long matrixProductNanos() {
        long n = 0;
        for (Workspace w : made) {
            n += w.pass.matrixProductNanos();
        }
        return n;
    }

    /** {@return a fresh zero state for this model} */
    public State newState() {
        return new State(pass.stateLayout());
    }

    /**
     * Token mode: feeds one token and returns its logits.
     *
     * @param token the token id
     * @param state the sequence's state, updated in place
     * @return the logits [V] (a new array)
     */
    public float[] forward(int token, State state) {
        float[] logits = new float[vocab];
        forward(token, state, logits);
        return logits;
    }

    /**
     * Token mode without allocation: feeds one token and writes its logits into {@code logits}.
     *
     * @param token  the token id
     * @param state  the sequence's state, updated in place
     * @param logits receives the logits [V], or null when only the state is wanted
     */
    public void forward(int token, State state, float[] logits) {
        checkState(state);
        checkToken(token, 0);
        if (logits != null && logits.length < vocab) {
            throw new IllegalArgumentException("logits array has " + logits.length + " floats, needs " + vocab);
        }
        lifecycle.readLock().lock();
        try {
            checkOpen();
            Workspace w = acquire();
            try {
                w.oneToken[0] = token;
                w.pass.forward(w.oneToken, 0, 1, Internals.data(state), logits, 0, false);
            } catch (InternalError e) {
                throw fault(e);
            } finally {
                release(w);
            }
            state.advance(1);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /**
     * A batch step over independent sequences: feeds {@code tokens[i]} to the sequence whose state is
     * {@code states[i]} and writes its logits into row i of {@code logits} [n, V] (null: no logits). Every weight is
     * read once for all the rows (matrix × matrix products), so decoding many sequences together costs little more
     * than decoding one; row i equals {@link #forward(int, State, float[])} on that state, up to rounding. Batches
     * larger than the model's chunk size run as several steps.
     *
     * @param tokens one token per sequence
     * @param states the sequences' states, updated in place
     * @param logits receives the logits, one row per sequence [n, V], or null
     * @throws IllegalArgumentException when the arrays differ in length, a token is out of range, a state belongs
     *                                  to another model or the same state appears twice
     */
    public void forwardBatch(int[] tokens, State[] states, float[] logits) {
        Objects.requireNonNull(tokens, "tokens");
        Objects.requireNonNull(states, "states");
        int n = tokens.length;
        if (states.length != n) {
            throw new IllegalArgumentException(n + " tokens but " + states.length + " states: one state per token");
        }
        if (n == 0) {
            throw new IllegalArgumentException("tokens must not be empty");
        }
        if (logits != null && logits.length < (long) n * vocab) {
            throw new IllegalArgumentException("logits array has " + logits.length + " floats, needs " + n + " × "
                    + vocab);
        }
        Set<State> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < n; i++) {
            checkState(states[i]);
            checkToken(tokens[i], i);
            if (!seen.add(states[i])) {
                throw new IllegalArgumentException("state " + i + " appears twice in the batch: each row needs its own");
            }
        }
        lifecycle.readLock().lock();
        try {
            checkOpen();
            Workspace w = acquire();
            try {
                int chunk = pass.maxChunk();
                for (int off = 0; off < n; off += chunk) {
                    int m = Math.min(chunk, n - off);
                    int[] rowTokens = Arrays.copyOfRange(tokens, off, off + m);
                    float[][] rowStates = new float[m][];
                    for (int i = 0; i < m; i++) {
                        rowStates[i] = Internals.data(states[off + i]);
                    }
                    float[] rowLogits = logits == null ? null : off == 0 && m == n ? logits : new float[m * vocab];
                    w.pass.forwardBatch(rowTokens, m, rowStates, rowLogits);
                    if (rowLogits != null && rowLogits != logits) {
                        System.arraycopy(rowLogits, 0, logits, off * vocab, m * vocab);
                    }
                }
            } catch (InternalError e) {
                throw fault(e);
            } finally {
                release(w);
            }
            for (State s : states) {
                s.advance(1);
            }
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /** {@return the most rows one step of {@link #forwardBatch} runs at once (larger batches run as several steps)} */
    public int maxBatch() {
        return pass.maxChunk();
    }

    /**
     * Sequence mode: feeds all tokens (in chunks) and returns the logits of the last one.
     *
     * @param tokens the token ids, at least one
     * @param state  the sequence's state, updated in place
     * @return the logits after the last token [V]
     */
    public float[] forward(int[] tokens, State state) {
        float[] logits = new float[vocab];
        feed(tokens, state, logits, false);
        return logits;
    }

    /**
     * Sequence mode: feeds all tokens and returns the logits after every token.
     *
     * @param tokens the token ids, at least one
     * @param state  the sequence's state, updated in place
     * @return the logits, row-major [T, V]
     */
    public float[] forwardAll(int[] tokens, State state) {
        float[] logits = new float[Math.multiplyExact(tokens.length, vocab)];
        feed(tokens, state, logits, true);
        return logits;
    }

    /**
     * Sequence mode without logits (prefill only).
     *
     * @param tokens the token ids
     * @param state  the sequence's state, updated in place
     */
    public void prefill(int[] tokens, State state) {
        feed(tokens, state, null, false);
    }

    private void feed(int[] tokens, State state, float[] logits, boolean allRows) {
        Objects.requireNonNull(tokens, "tokens");
        checkState(state);
        if (tokens.length == 0) {
            throw new IllegalArgumentException("tokens must not be empty");
        }
        for (int i = 0; i < tokens.length; i++) {
            checkToken(tokens[i], i);
        }
        lifecycle.readLock().lock();
        try {
            checkOpen();
            Workspace w = acquire();
            try {
                int chunk = pass.maxChunk();
                for (int off = 0; off < tokens.length; off += chunk) {
                    int n = Math.min(chunk, tokens.length - off);
                    boolean last = off + n == tokens.length;
                    if (allRows) {
                        w.pass.forward(tokens, off, n, Internals.data(state), logits, off * vocab, true);
                    } else {
                        w.pass.forward(tokens, off, n, Internals.data(state), last ? logits : null, 0, false);
                    }
                    state.advance(n);
                }
            } catch (InternalError e) {
                throw fault(e);
            } finally {
                release(w);
            }
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    private void checkToken(int token, int index) {
        if (token < 0 || token >= vocab) {
            throw new IllegalArgumentException("token id " + token + (index > 0 ? " at position " + index : "")
                    + " is out of range: the vocabulary has " + vocab + " ids (0.." + (vocab - 1) + ")");
        }
    }

    private void checkState(State state) {
        Objects.requireNonNull(state, "state");
        if (!pass.stateLayout().compatibleWith(state.layout())) {
            throw new IllegalArgumentException("state does not belong to this model: " + state.layout()
                    + ", model needs " + pass.stateLayout());
        }
    }

    /** Fails when the model is closed, or its mapped weights file was changed under it. */
    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("model is closed");
        }
        mapped.check();
    }

    /** A read of the mapped weights that faulted becomes an error naming the file; any other InternalError stays. */
    private RuntimeException fault(InternalError e) {
        ModelFileException changed = mapped.faulted(e);
        if (changed == null) {
            throw e;
        }
        return changed;
    }

    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                if (warmup != null) {
                    warmup.close(); // before the weights it reads are unmapped
                }
                for (Workspace w : made) {
                    w.pass.close();
                }
                pool.close();
                store.close();
            }
        } finally {
            lifecycle.writeLock().unlock();
        }
    }
}
