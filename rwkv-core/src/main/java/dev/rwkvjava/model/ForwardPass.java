package dev.rwkvjava.model;

import dev.rwkvjava.state.StateLayout;

/**
 * One RWKV version's forward pass over a chunk of tokens. A chunk of one token is token mode; a longer chunk is
 * sequence mode (every projection as a matrix × matrix product, only the recurrence token by token).
 * An instance holds the loaded weights (immutable, shared) and scratch buffers of its own, so one call runs at a time
 * per instance; {@link #newWorkspace()} gives another instance over the same weights for another thread.
 */
public interface ForwardPass extends AutoCloseable {

    ModelConfig config();

    StateLayout stateLayout();

    /** A pass over the same weights with scratch buffers of its own (the weights are not copied). */
    ForwardPass newWorkspace();

    /** Largest chunk {@link #forward} accepts. */
    int maxChunk();

    /**
     * Feeds {@code tokens[off .. off+n)} (1 ≤ n ≤ maxChunk, ids already validated) starting from {@code state},
     * which is updated. Writes logits into {@code logits} from {@code logitsOff}: only the last token's [V] when
     * {@code allRows} is false, else n rows [n, V]. {@code logits} may be null when no logits are wanted.
     */
    void forward(int[] tokens, int off, int n, float[] state, float[] logits, int logitsOff, boolean allRows);

    /**
     * A batch step: row t feeds {@code tokens[t]} to its own sequence, whose state {@code states[t]} is updated
     * (1 ≤ n ≤ maxChunk, ids already validated, the n states distinct arrays). Token shift and recurrence run per
     * row from that row's state; every projection is one matrix × matrix product over the n rows, so each weight is
     * read once per step for all the sequences. Writes the n rows of logits [n, V] from {@code logits[0]} (null: no
     * logits). Row t equals what {@link #forward} gives for that token alone on that state, up to rounding.
     */
    void forwardBatch(int[] tokens, int n, float[][] states, float[] logits);

    /** Wall time spent in matrix products since the pass was built (the rest is per-token vector work). */
    long matrixProductNanos();

    @Override
    void close();
}
