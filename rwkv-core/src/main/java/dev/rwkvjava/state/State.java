package dev.rwkvjava.state;

import dev.rwkvjava.internal.Internals;

import java.util.Arrays;
import java.util.Objects;

/**
 * The recurrent state of one sequence. It belongs to the caller: a model reads and updates it in
 * {@code forward}, and it can be copied, reset, and read or written tensor by tensor in the reference
 * implementation's layout. Not thread-safe: use one state per sequence.
 */
public final class State {
    private final StateLayout layout;
    private final float[] data;
    private long tokens;

    /**
     * A zero state for the given layout.
     *
     * @param layout the tensors of the state
     */
    public State(StateLayout layout) {
        this.layout = Objects.requireNonNull(layout, "layout");
        this.data = new float[layout.size()];
        layout.reset(data);
    }

    private State(State other) {
        this.layout = other.layout;
        this.data = other.data.clone();
        this.tokens = other.tokens;
    }

    /** {@return the tensors of this state} */
    public StateLayout layout() {
        return layout;
    }

    static {
        Internals.register(State::data);
    }

    /** The packed floats, shared with the forward passes (which reach them through {@link Internals}). */
    private float[] data() {
        return data;
    }

    /** {@return the number of tokens this state has consumed since it was zero (or as set by {@link #setTokens})} */
    public long tokens() {
        return tokens;
    }

    /**
     * Sets the number of tokens this state has consumed.
     *
     * @param tokens the count, at least 0
     */
    public void setTokens(long tokens) {
        if (tokens < 0) {
            throw new IllegalArgumentException("tokens must be >= 0, got " + tokens);
        }
        this.tokens = tokens;
    }

    /**
     * Adds consumed tokens.
     *
     * @param n the number of tokens
     */
    public void advance(int n) {
        tokens += n;
    }

    /** {@return an independent copy} */
    public State copy() {
        return new State(this);
    }

    /**
     * Overwrites this state with another of the same layout.
     *
     * @param other the state to copy
     * @throws IllegalArgumentException when the other state has another layout
     */
    public void copyFrom(State other) {
        checkCompatible(other);
        System.arraycopy(other.data, 0, data, 0, data.length);
        tokens = other.tokens;
    }

    /** Back to the zero state. */
    public void reset() {
        layout.reset(data);
        tokens = 0;
    }

    /** {@return the number of tensors, e.g. 5 per layer for RWKV-4} */
    public int tensorCount() {
        return layout.parts().size();
    }

    /**
     * The shape of a tensor.
     *
     * @param i the tensor's index
     * @return its dimensions
     */
    public int[] tensorShape(int i) {
        return layout.part(checkIndex(i)).shape();
    }

    /**
     * A copy of a tensor, flattened row-major in the reference's layout.
     *
     * @param i the tensor's index
     * @return its values
     */
    public float[] tensor(int i) {
        StateLayout.Part p = layout.part(checkIndex(i));
        return Arrays.copyOfRange(data, p.offset(), p.offset() + p.size());
    }

    /**
     * Overwrites a tensor with values in the reference's layout.
     *
     * @param i      the tensor's index
     * @param values its new values, flattened row-major
     * @throws IllegalArgumentException when the number of values is not the tensor's
     */
    public void setTensor(int i, float[] values) {
        StateLayout.Part p = layout.part(checkIndex(i));
        Objects.requireNonNull(values, "values");
        if (values.length != p.size()) {
            throw new IllegalArgumentException("state tensor " + i + " (" + p.name() + ") has " + p.size()
                    + " values, got " + values.length);
        }
        System.arraycopy(values, 0, data, p.offset(), p.size());
    }

    /**
     * Throws unless the other state has this state's layout.
     *
     * @param other the state to check
     * @throws IllegalArgumentException when it has another layout
     */
    public void checkCompatible(State other) {
        Objects.requireNonNull(other, "state");
        if (!layout.compatibleWith(other.layout)) {
            throw new IllegalArgumentException("state of another model: " + other.layout + " vs " + layout);
        }
    }

    private int checkIndex(int i) {
        if (i < 0 || i >= layout.parts().size()) {
            throw new IndexOutOfBoundsException("state tensor " + i + " of " + layout.parts().size());
        }
        return i;
    }
}
