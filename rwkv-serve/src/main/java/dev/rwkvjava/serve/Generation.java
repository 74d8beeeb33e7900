package dev.rwkvjava.serve;

import dev.rwkvjava.generate.FinishReason;
import dev.rwkvjava.generate.TextStream;
import dev.rwkvjava.sampling.Sampler;
import dev.rwkvjava.state.State;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A request inside the engine, and the line between the engine's thread and the request's own: the engine puts
 * {@link Event}s on a queue the request's thread takes them from (never blocking the engine on a slow client), and
 * the request's thread asks to stop through {@link #cancel()}.
 */
final class Generation {

    /** What the engine tells a request's thread, in order: Started, then Pieces, then Done or Failed. */
    sealed interface Event permits Started, Piece, Done, Failed {
    }

    /** Admitted to a stream; {@code cachedTokens} of the prompt came from the prefix cache. */
    record Started(int promptTokens, int cachedTokens) implements Event {
    }

    /**
     * A generated token (id -1: the text held back until the end) and the text it made final (possibly empty),
     * with its log-probabilities when asked for.
     */
    record Piece(int token, String text, TokenLogprobs logprobs) implements Event {
    }

    /** The end. {@code state} and {@code logits} are set when the request asked for the final state. */
    record Done(FinishReason reason, int promptTokens, int cachedTokens, int completionTokens, State state,
                float[] logits) implements Event {
    }

    record Failed(ApiException error) implements Event {
    }

    /**
     * The log-probability of a chosen token under the model (log-softmax of its logits, before sampling settings)
     * and the most likely alternatives, best first.
     */
    record TokenLogprobs(int token, float logprob, int[] topTokens, float[] topLogprobs) {
    }

    enum Phase { WAITING, PREFILL, DECODE, DONE }

    final GenerationRequest request;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private volatile boolean cancelled;

    // Owned by the engine's thread.
    Phase phase = Phase.WAITING;
    long queuedNanos;
    State state;
    float[] logits;
    int position;
    int cachedTokens;
    Sampler sampler;
    TextStream text;
    final StringBuilder released = new StringBuilder();
    int[] generated;
    int count;
    /** Generated tokens already fed to the state (the last one is fed only if the stream goes on or its state is wanted). */
    int fed;
    FinishReason finish;
    long lastTokenNanos;

    Generation(GenerationRequest request) {
        this.request = request;
    }

    /** Asks the engine to stop this generation (the client went away); it frees its stream at the next step. */
    void cancel() {
        cancelled = true;
    }

    boolean cancelled() {
        return cancelled;
    }

    void emit(Event e) {
        events.add(e);
    }

    /** The next event, or null after the timeout. */
    Event next(long timeout, TimeUnit unit) throws InterruptedException {
        return events.poll(timeout, unit);
    }
}
