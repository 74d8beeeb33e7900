package dev.rwkvjava.state;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * How a model's recurrent state is laid out: an ordered list of float32 tensors (the reference implementation's
 * list, in its order and orientation) packed into one float array.
 */
public final class StateLayout {

    /**
     * One state tensor: its name, shape, offset in the packed array, and value in the zero state.
     *
     * @param name    the reference implementation's name of the tensor
     * @param shape   its dimensions
     * @param offset  its first float in the packed array
     * @param size    its number of floats
     * @param initial the value of its every element in the zero state
     */
    public record Part(String name, int[] shape, int offset, int size, float initial) {
        /** A part; the shape is copied. */
        public Part {
            shape = shape.clone();
        }

        /** {@return a copy of the dimensions} */
        @Override
        public int[] shape() {
            return shape.clone();
        }
    }

    private final String description;
    private final List<Part> parts;
    private final int size;

    private StateLayout(String description, List<Part> parts, int size) {
        this.description = description;
        this.parts = List.copyOf(parts);
        this.size = size;
    }

    /**
     * Builds a layout part by part.
     *
     * @param description what the layout is, for messages
     * @return an empty builder
     */
    public static Builder builder(String description) {
        return new Builder(description);
    }

    /** {@return what the layout is, for messages} */
    public String description() {
        return description;
    }

    /** {@return the tensors, in order} */
    public List<Part> parts() {
        return parts;
    }

    /**
     * One tensor of the layout.
     *
     * @param i its index
     * @return the tensor
     */
    public Part part(int i) {
        return parts.get(i);
    }

    /** {@return the total number of floats} */
    public int size() {
        return size;
    }

    /**
     * Fills an array with the zero state.
     *
     * @param data the packed floats, {@link #size()} of them
     */
    public void reset(float[] data) {
        for (Part p : parts) {
            Arrays.fill(data, p.offset(), p.offset() + p.size(), p.initial());
        }
    }

    /**
     * Whether two layouts describe the same tensors (same names, shapes and order).
     *
     * @param other the other layout
     * @return true when a state of one can be used with the other
     */
    public boolean compatibleWith(StateLayout other) {
        if (other == this) {
            return true;
        }
        if (other == null || other.parts.size() != parts.size()) {
            return false;
        }
        for (int i = 0; i < parts.size(); i++) {
            Part a = parts.get(i);
            Part b = other.parts.get(i);
            if (!a.name().equals(b.name()) || !Arrays.equals(a.shape, b.shape)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return description + " (" + parts.size() + " tensors, " + size + " floats)";
    }

    /** Collects parts in order. */
    public static final class Builder {
        private final String description;
        private final List<Part> parts = new ArrayList<>();
        private int size;

        private Builder(String description) {
            this.description = Objects.requireNonNull(description);
        }

        /**
         * Adds a tensor.
         *
         * @param name    its name
         * @param initial the value of its every element in the zero state
         * @param shape   its dimensions
         * @return its offset in the packed array
         */
        public int add(String name, float initial, int... shape) {
            int n = 1;
            for (int d : shape) {
                n = Math.multiplyExact(n, d);
            }
            int offset = size;
            parts.add(new Part(name, shape, offset, n, initial));
            size = Math.addExact(size, n);
            return offset;
        }

        /** {@return the layout of the parts added so far} */
        public StateLayout build() {
            return new StateLayout(description, parts, size);
        }
    }
}
