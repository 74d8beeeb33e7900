package dev.rwkvjava.serve;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.generate.FinishReason;
import dev.rwkvjava.generate.GenerationListener;
import dev.rwkvjava.generate.Session;
import dev.rwkvjava.generate.TextStream;
import dev.rwkvjava.sampling.PenaltyWeights;
import dev.rwkvjava.sampling.Sampler;
import dev.rwkvjava.sampling.SamplerConfig;
import dev.rwkvjava.state.State;
import dev.rwkvjava.tokenizer.Tokenizer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Continuous batching on one thread. Requests wait in a bounded queue for one of {@code maxStreams} streams; each
 * turn of the loop admits waiting requests into free streams, feeds one chunk of one prompt (prompts take turns),
 * then advances every stream that is generating by one token in a single batched step
 * ({@link RwkvModel#forwardBatch}: each weight read once for all of them). A new prompt therefore never stalls the
 * running streams for more than one chunk, and a finished stream's place is taken at the next turn.
 *
 * <p>Prompts are fed in chunks aligned to multiples of the chunk size from the sequence's start, and when the
 * {@link PrefixCache} is on, the state is kept at every multiple of the snapshot interval, at the prompt's end and
 * after the reply's last token (keyed by the prompt and generated tokens), so the next turn of a conversation
 * starts there.
 */
final class Engine implements AutoCloseable {
    private final RwkvModel model;
    private final Tokenizer tokenizer;
    private final int vocab;
    private final PrefixCache cache;
    private final Metrics metrics;
    private final int maxStreams;
    private final int maxQueue;
    private final int chunk;
    private final int snapshotInterval;
    private final OptionalInt endOfText;
    private final float[] penaltyWeights;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final ArrayDeque<Generation> waiting = new ArrayDeque<>();
    private final List<Generation> active = new ArrayList<>();
    private final AtomicInteger activeCount = new AtomicInteger();
    private boolean accepting = true;
    private boolean closed;
    private int nextPrefill;
    private final Thread thread;
    private float[] batchLogits = new float[0];

    Engine(RwkvModel model, Tokenizer tokenizer, PrefixCache cache, Metrics metrics, int maxStreams, int maxQueue,
           int snapshotInterval) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.vocab = model.vocabSize();
        this.cache = cache;
        this.metrics = metrics;
        this.maxStreams = maxStreams;
        this.maxQueue = maxQueue;
        this.chunk = model.maxBatch();
        this.snapshotInterval = Math.max(chunk, snapshotInterval / chunk * chunk);
        this.endOfText = new Session(model, tokenizer).endOfText();
        this.penaltyWeights = PenaltyWeights.chatRwkv(tokenizer, vocab);
        metrics.gauges(this::queueDepth, activeCount::get, cache);
        this.thread = Thread.ofPlatform().name("rwkv-engine").daemon(true).start(this::loop);
    }

    /** Queues a request; throws a 429 when every stream is busy and the queue is full, a 503 when stopping. */
    Generation submit(GenerationRequest request) {
        Generation g = new Generation(request);
        lock.lock();
        try {
            if (!accepting) {
                throw ApiException.unavailable("the server is shutting down");
            }
            int busy = active.size() + waiting.size();
            if (busy >= maxStreams + maxQueue) {
                throw ApiException.overloaded("all " + maxStreams + " streams are busy and " + maxQueue
                        + " requests are waiting; try again later", 1);
            }
            g.queuedNanos = System.nanoTime();
            waiting.addLast(g);
            work.signal();
        } finally {
            lock.unlock();
        }
        return g;
    }

    /** Takes a request off the queue if it is still waiting (its wait was too long); false once it has a stream. */
    boolean withdraw(Generation g) {
        lock.lock();
        try {
            return waiting.remove(g);
        } finally {
            lock.unlock();
        }
    }

    /** Stops admitting: requests still waiting get a 503, new ones too; running streams go on. */
    void stopAccepting() {
        List<Generation> dropped;
        lock.lock();
        try {
            accepting = false;
            dropped = new ArrayList<>(waiting);
            waiting.clear();
        } finally {
            lock.unlock();
        }
        for (Generation g : dropped) {
            g.emit(new Generation.Failed(ApiException.unavailable("the server is shutting down")));
        }
    }

    /** Whether any request is running or waiting. */
    boolean busy() {
        lock.lock();
        try {
            return !active.isEmpty() || !waiting.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    long queueDepth() {
        lock.lock();
        try {
            return waiting.size();
        } finally {
            lock.unlock();
        }
    }

    int maxStreams() {
        return maxStreams;
    }

    private void loop() {
        try {
            while (true) {
                lock.lock();
                try {
                    while (!closed && active.isEmpty() && waiting.isEmpty()) {
                        work.await(1, TimeUnit.SECONDS);
                    }
                    if (closed) {
                        break;
                    }
                    while (active.size() < maxStreams && !waiting.isEmpty()) {
                        Generation g = waiting.pollFirst();
                        active.add(g);
                        activeCount.set(active.size());
                    }
                } finally {
                    lock.unlock();
                }
                try {
                    step();
                } catch (RuntimeException | Error e) {
                    // A fault outside any one request's handling: every running request gets a 500, the loop goes on.
                    System.err.println("rwkv serve: engine step failed: " + e);
                    for (Generation g : List.copyOf(active)) {
                        fail(g, e instanceof RuntimeException r ? r : new IllegalStateException(e));
                    }
                    if (e instanceof Error err && !(e instanceof StackOverflowError)) {
                        throw err;
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            failAll("the server stopped");
        }
    }

    /** One turn: start the newly admitted, one prompt chunk, one decode step. */
    private void step() {
        List<Generation> prefilling = new ArrayList<>();
        for (Generation g : List.copyOf(active)) {
            try {
                if (g.cancelled()) {
                    metrics.cancelled.increment();
                    finish(g, FinishReason.CANCELLED);
                } else if (g.phase == Generation.Phase.WAITING) {
                    start(g);
                }
                if (g.phase == Generation.Phase.PREFILL) {
                    prefilling.add(g);
                }
            } catch (RuntimeException e) {
                fail(g, e);
            }
        }
        if (!prefilling.isEmpty()) {
            Generation g = prefilling.get(Math.floorMod(nextPrefill++, prefilling.size()));
            try {
                prefillChunk(g);
            } catch (RuntimeException e) {
                fail(g, e);
            }
        }
        decode();
    }

    /** Sets a request's starting state: a passed state, the longest cached prefix, or the zero state. */
    private void start(Generation g) {
        GenerationRequest r = g.request;
        g.state = model.newState();
        if (r.initialState() != null) {
            g.state.copyFrom(r.initialState());
            g.logits = r.initialLogits() == null ? null : r.initialLogits().clone();
        } else if (cache != null) {
            PrefixCache.Hit hit = cache.lookup(r.prompt());
            if (hit != null) {
                g.state.copyFrom(hit.state());
                g.logits = hit.logits();
                g.position = hit.length();
                g.cachedTokens = hit.length();
            }
        }
        g.sampler = new Sampler(r.sampler(), vocab, needsWeights(r.sampler()) ? penaltyWeights : null);
        g.text = TextStream.create(tokenizer, vocab, r.stopStrings(), new GenerationListener() {
            @Override
            public void onText(String text) {
                g.released.append(text);
            }
        });
        g.generated = new int[Math.min(r.maxTokens(), 256)];
        metrics.promptTokens.add(r.prompt().length);
        g.phase = g.position < r.prompt().length ? Generation.Phase.PREFILL : Generation.Phase.DECODE;
        g.emit(new Generation.Started(r.prompt().length, g.cachedTokens));
    }

    private static boolean needsWeights(SamplerConfig s) {
        return s.presencePenalty() != 0 || s.frequencyPenalty() != 0;
    }

    /** Feeds the next chunk of a prompt, ending at a chunk boundary; keeps the state at snapshot points. */
    private void prefillChunk(Generation g) {
        int[] prompt = g.request.prompt();
        boolean fromZero = g.request.initialState() == null;
        int from = g.position;
        int end = Math.min(prompt.length, (from / chunk + 1) * chunk);
        int[] piece = Arrays.copyOfRange(prompt, from, end);
        boolean last = end == prompt.length;
        if (last) {
            g.logits = model.forward(piece, g.state);
        } else {
            model.prefill(piece, g.state);
        }
        metrics.promptTokensProcessed.add(piece.length);
        g.position = end;
        if (cache != null && fromZero && (last || end % snapshotInterval == 0)) {
            cache.put(prompt, end, g.state, last ? g.logits : null);
        }
        if (last) {
            g.phase = Generation.Phase.DECODE;
        }
    }

    /** Samples one token for every generating stream, then feeds them all in one batched step. */
    private void decode() {
        List<Generation> rows = new ArrayList<>();
        for (Generation g : List.copyOf(active)) {
            if (g.phase != Generation.Phase.DECODE) {
                continue;
            }
            try {
                if (sample(g)) {
                    rows.add(g);
                }
            } catch (RuntimeException e) {
                fail(g, e);
            }
        }
        if (rows.isEmpty()) {
            return;
        }
        int n = rows.size();
        int[] tokens = new int[n];
        State[] states = new State[n];
        for (int i = 0; i < n; i++) {
            Generation g = rows.get(i);
            tokens[i] = g.generated[g.count - 1];
            states[i] = g.state;
        }
        if (batchLogits.length < n * vocab) {
            batchLogits = new float[n * vocab];
        }
        try {
            model.forwardBatch(tokens, states, batchLogits);
        } catch (RuntimeException e) {
            for (Generation g : rows) {
                fail(g, e);
            }
            return;
        }
        metrics.batchSize.observe(n);
        for (int i = 0; i < n; i++) {
            Generation g = rows.get(i);
            System.arraycopy(batchLogits, i * vocab, g.logits, 0, vocab);
            g.fed = g.count;
            if (g.finish != null) {
                finish(g, g.finish);
            }
        }
    }

    /**
     * Picks a stream's next token and hands its text to the request. Returns whether the token must be fed: when
     * the stream goes on, or when it ends but its final state is wanted (returned, or cached).
     */
    private boolean sample(Generation g) {
        GenerationRequest r = g.request;
        if (g.count == r.maxTokens()) {
            finish(g, FinishReason.LENGTH); // max_tokens 0: the prompt alone
            return false;
        }
        if (g.logits == null) {
            throw new IllegalStateException("no logits to sample from");
        }
        int token = g.sampler.sample(g.logits);
        if (isStopToken(token, r)) {
            finish(g, FinishReason.STOP_TOKEN);
            return false;
        }
        Generation.TokenLogprobs lp = r.topLogprobs() >= 0 ? Logprobs.of(g.logits, vocab, token, r.topLogprobs()) : null;
        g.sampler.accept(token);
        if (g.count == g.generated.length) {
            g.generated = Arrays.copyOf(g.generated, Math.min(r.maxTokens(), 2 * g.count + 1));
        }
        g.generated[g.count++] = token;
        metrics.generatedTokens.increment();
        long now = System.nanoTime();
        if (g.count == 1) {
            metrics.timeToFirstToken.observe((now - r.receivedNanos()) / 1e9);
        } else {
            metrics.tokenLatency.observe((now - g.lastTokenNanos) / 1e9);
        }
        g.lastTokenNanos = now;
        boolean stopString = g.text.accept(token);
        g.emit(new Generation.Piece(token, take(g), lp));
        if (stopString) {
            g.finish = FinishReason.STOP_STRING;
        } else if (g.count == r.maxTokens()) {
            g.finish = FinishReason.LENGTH;
        }
        if (g.finish != null && !wantsFinalState(g)) {
            finish(g, g.finish);
            return false;
        }
        return true;
    }

    private boolean isStopToken(int token, GenerationRequest r) {
        return !r.ignoreEos() && endOfText.isPresent() && token == endOfText.getAsInt();
    }

    private boolean wantsFinalState(Generation g) {
        return g.request.returnState() || (cache != null && g.request.initialState() == null);
    }

    private static String take(Generation g) {
        String s = g.released.toString();
        g.released.setLength(0);
        return s;
    }

    /** Ends a stream: the held-back text, the cache entry for the reply, the Done event; frees the stream. */
    private void finish(Generation g, FinishReason reason) {
        if (g.phase == Generation.Phase.DONE) {
            return;
        }
        boolean stateCurrent = reason != FinishReason.CANCELLED && g.phase == Generation.Phase.DECODE
                && g.fed == g.count;
        g.phase = Generation.Phase.DONE;
        if (g.text != null) {
            g.text.finish();
            String rest = take(g);
            if (!rest.isEmpty()) {
                g.emit(new Generation.Piece(-1, rest, null));
            }
        }
        int[] prompt = g.request.prompt();
        if (stateCurrent && cache != null && g.request.initialState() == null && g.count > 0) {
            int[] all = Arrays.copyOf(prompt, prompt.length + g.count);
            System.arraycopy(g.generated, 0, all, prompt.length, g.count);
            cache.put(all, all.length, g.state, g.logits);
        }
        boolean giveState = stateCurrent && g.request.returnState();
        g.emit(new Generation.Done(reason, prompt.length, g.cachedTokens, g.count,
                giveState ? g.state.copy() : null, giveState ? g.logits.clone() : null));
        release(g);
    }

    private void fail(Generation g, RuntimeException e) {
        if (g.phase == Generation.Phase.DONE) {
            return;
        }
        g.phase = Generation.Phase.DONE;
        if (!(e instanceof ApiException)) {
            System.err.println("rwkv serve: a generation failed: " + e);
            e.printStackTrace();
        }
        g.emit(new Generation.Failed(e instanceof ApiException a ? a
                : ApiException.internal("generation failed: " + (e.getMessage() != null ? e.getMessage() : e))));
        release(g);
    }

    private void release(Generation g) {
        lock.lock();
        try {
            active.remove(g);
            activeCount.set(active.size());
        } finally {
            lock.unlock();
        }
    }

    private void failAll(String why) {
        List<Generation> all;
        lock.lock();
        try {
            all = new ArrayList<>(active);
            all.addAll(waiting);
            waiting.clear();
        } finally {
            lock.unlock();
        }
        for (Generation g : all) {
            fail(g, ApiException.unavailable(why));
        }
    }

    /** Stops the loop; whatever still runs or waits gets a 503. Does not close the model. */
    @Override
    public void close() {
        lock.lock();
        try {
            accepting = false;
            closed = true;
            work.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
