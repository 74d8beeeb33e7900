package dev.rwkvjava.tokenizer.world;

import java.util.Arrays;

/**
 * A byte trie in a double array: state {@code s} has a child on byte {@code c} at {@code t = base[s] + c} exactly
 * when {@code check[t] == s}. One array read and one compare per input byte, no objects, about 1.2 ints of
 * overhead per node. {@code value[s]} is the id of the token ending at {@code s}, or -1.
 *
 * <p>The three arrays are interleaved ({@code check, base, value} per state) so that one step touches one
 * cache line.
 */
final class ByteTrie {
    private static final int STRIDE = 3;
    private static final int CHECK = 0;
    private static final int BASE = 1;
    private static final int VALUE = 2;
    private static final int ROOT = 0;

    private final int[] units;

    private ByteTrie(int[] units) {
        this.units = units;
    }

    /** Thrown when two keys are equal; carries their positions in the input arrays. */
    static final class DuplicateKey extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int first;
        final int second;

        DuplicateKey(int first, int second) {
            super(null, null, false, false);
            this.first = first;
            this.second = second;
        }
    }

    /**
     * Greedy longest match over {@code in[from, to)}: from each position take the longest key that is a prefix
     * of the rest, emit its value, move past it. Walking on after the last key seen and falling back to it is
     * what makes 81 dashes come out as the 80-dash token and one dash.
     *
     * @throws IllegalArgumentException if no key starts at some position
     */
    int[] tokenize(byte[] in, int from, int to) {
        int[] units = this.units;
        int[] out = new int[Math.max(16, (to - from) / 3 + 16)];
        int n = 0;
        int pos = from;
        while (pos < to) {
            int s = ROOT;
            int best = -1;
            int bestEnd = pos;
            for (int i = pos; i < to; i++) {
                int t = units[s * STRIDE + BASE] + (in[i] & 0xFF);
                int u = t * STRIDE;
                if (units[u + CHECK] != s) {
                    break;
                }
                s = t;
                int v = units[u + VALUE];
                if (v >= 0) {
                    best = v;
                    bestEnd = i + 1;
                }
            }
            if (best < 0) {
                throw new IllegalArgumentException(String.format(
                        "byte 0x%02X at offset %d starts no token of the vocabulary", in[pos] & 0xFF, pos - from));
            }
            if (n == out.length) {
                out = Arrays.copyOf(out, n + (n >> 1) + 16);
            }
            out[n++] = best;
            pos = bestEnd;
        }
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    /** Number of array slots (for tests and diagnostics). */
    int slots() {
        return units.length / STRIDE;
    }

    /**
     * Builds the trie of {@code keys}, key {@code i} mapping to {@code values[i]} (≥ 0).
     *
     * @throws DuplicateKey if two keys are equal
     */
    static ByteTrie build(byte[][] keys, int[] values) {
        return new Builder(keys, values).build();
    }

    private static final class Builder {
        private final byte[][] keys;
        private final int[] values;
        private int[] check;
        private int[] base;
        private int[] value;
        /** Slots in use, one bit each, so the search for free slots can skip full 64-slot words. */
        private long[] used;
        private int firstFree = 1;
        private int maxSlot;

        Builder(byte[][] keys, int[] values) {
            this.keys = keys;
            this.values = values;
            int capacity = 1024;
            check = new int[capacity];
            base = new int[capacity];
            value = new int[capacity];
            used = new long[capacity / 64];
            Arrays.fill(check, -1);
            Arrays.fill(value, -1);
        }

        ByteTrie build() {
            Integer[] order = new Integer[keys.length];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> Arrays.compareUnsigned(keys[a], keys[b]));
            int[] sorted = new int[order.length];
            for (int i = 0; i < sorted.length; i++) {
                sorted[i] = order[i];
                if (i > 0 && Arrays.equals(keys[sorted[i - 1]], keys[sorted[i]])) {
                    throw new DuplicateKey(Math.min(sorted[i - 1], sorted[i]), Math.max(sorted[i - 1], sorted[i]));
                }
            }
            markUsed(ROOT);
            check[ROOT] = -2; // never a child of anything
            addNode(ROOT, sorted, 0, sorted.length, 0);
            int slots = maxSlot + 256 + 1; // room for base + any byte without bounds checks
            ensureCapacity(slots);
            int[] units = new int[slots * STRIDE];
            for (int s = 0; s < slots; s++) {
                units[s * STRIDE + CHECK] = check[s];
                units[s * STRIDE + BASE] = base[s];
                units[s * STRIDE + VALUE] = value[s];
            }
            return new ByteTrie(units);
        }

        /**
         * Places the children of {@code state}, whose keys are {@code sorted[lo, hi)} sharing their first
         * {@code depth} bytes.
         */
        private void addNode(int state, int[] sorted, int lo, int hi, int depth) {
            if (lo < hi && keys[sorted[lo]].length == depth) {
                value[state] = values[sorted[lo]];
                lo++; // sorting puts the key that ends here first
            }
            if (lo == hi) {
                return; // base stays 0: check[] never names a leaf, so every step from here fails
            }
            int groups = 0;
            for (int i = lo; i < hi; i++) {
                if (i == lo || keys[sorted[i]][depth] != keys[sorted[i - 1]][depth]) {
                    groups++;
                }
            }
            int[] labels = new int[groups];
            int[] starts = new int[groups + 1];
            int g = 0;
            for (int i = lo; i < hi; i++) {
                int label = keys[sorted[i]][depth] & 0xFF;
                if (g == 0 || label != labels[g - 1]) {
                    labels[g] = label;
                    starts[g] = i;
                    g++;
                }
            }
            starts[groups] = hi;
            int b = findBase(labels);
            base[state] = b;
            for (int label : labels) {
                int t = b + label;
                check[t] = state;
                markUsed(t);
                maxSlot = Math.max(maxSlot, t);
            }
            for (int k = 0; k < groups; k++) {
                addNode(b + labels[k], sorted, starts[k], starts[k + 1], depth + 1);
            }
        }

        /** Smallest base ≥ 1 at which every child slot is free. */
        private int findBase(int[] labels) {
            int first = labels[0];
            int p = nextFree(Math.max(firstFree, first + 1));
            while (true) {
                int b = p - first;
                ensureCapacity(b + 256 + 1);
                boolean fits = true;
                for (int k = 1; k < labels.length; k++) {
                    if (isUsed(b + labels[k])) {
                        fits = false;
                        break;
                    }
                }
                if (fits) {
                    return b;
                }
                p = nextFree(p + 1);
            }
        }

        private int nextFree(int from) {
            ensureCapacity(from + 1);
            int word = from >>> 6;
            long bits = ~used[word] & (-1L << (from & 63));
            while (bits == 0) {
                word++;
                if (word >= used.length) {
                    ensureCapacity(used.length * 128);
                }
                bits = ~used[word];
            }
            return (word << 6) + Long.numberOfTrailingZeros(bits);
        }

        private boolean isUsed(int slot) {
            return (used[slot >>> 6] & (1L << slot)) != 0;
        }

        private void markUsed(int slot) {
            used[slot >>> 6] |= 1L << slot;
            if (slot == firstFree) {
                firstFree = nextFree(slot + 1);
            }
        }

        private void ensureCapacity(int slots) {
            if (slots <= check.length) {
                return;
            }
            int capacity = Math.max(slots, check.length * 2);
            capacity = (capacity + 63) & ~63;
            int old = check.length;
            check = Arrays.copyOf(check, capacity);
            base = Arrays.copyOf(base, capacity);
            value = Arrays.copyOf(value, capacity);
            used = Arrays.copyOf(used, capacity / 64);
            Arrays.fill(check, old, capacity, -1);
            Arrays.fill(value, old, capacity, -1);
        }
    }
}
