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

    /** One state tensor: its name, shape, offset in the packed array, and value in the zero state. */
    public record Part(String name, int[] shape, int offset, int size, float initial) {
        public Part {
            shape = shape.clone();
        }

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

    /** Builds a layout part by part. */
    public static Builder builder(String description) {
        return new Builder(description);
    }

    public String description() {
        return description;
    }

    public List<Part> parts() {
        return parts;
    }

    public Part part(int i) {
        return parts.get(i);
    }

    /** Total number of floats. */
    public int size() {
        return size;
    }

    /** Fills {@code data} with the zero state. */
    public void reset(float[] data) {
        for (Part p : parts) {
            Arrays.fill(data, p.offset(), p.offset() + p.size(), p.initial());
        }
    }

    /** Whether two layouts describe the same tensors (same names, shapes and order). */
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

        /** Adds a tensor and returns its offset in the packed array. */
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

        public StateLayout build() {
            return new StateLayout(description, parts, size);
        }
    }
}
