package dev.rwkvjava.tokenizer.world;

import java.util.Arrays;

/**
 * A byte trie in a double array: state {@code s} has a child on byte {@code c} at {@code t = base[s] + c} exactly
 * when {@code check[t] == s}, so a step is an add and a compare, with no search among children and no objects.
 * {@code value[s]} is the id of the token ending at {@code s}, or -1.
 *
 * <p>The three arrays are interleaved ({@code check, base, value} per state) so that one step touches one
 * cache line. The World vocabulary (116k nodes) takes about 124k states, 1.5 MB.
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
     * Builds the trie of the keys {@code pool[starts[i], starts[i] + lengths[i])}, key {@code i} mapping to
     * {@code values[i]} (≥ 0).
     *
     * @throws DuplicateKey if two keys are equal
     */
    static ByteTrie build(byte[] pool, int[] starts, int[] lengths, int[] values) {
        return new Builder(pool, starts, lengths, values).build();
    }

    private static final class Builder {
        /** The keys' bytes (compact, so the build's many passes over them stay in cache). */
        private final byte[] pool;
        private final int[] keyStart;
        private final int[] keyLength;
        private final int[] values;
        /** Key indices; each node's keys are a contiguous run, bucketed by the next byte as the build descends. */
        private final int[] order;
        private final int[] scratch;
        private final int[] counts = new int[256];
        private int[] check;
        private int[] base;
        private int[] value;
        /** Slots in use, one bit each, so the search for free slots can skip full 64-slot words. */
        private long[] used;
        private int searchFrom = 1;
        private int maxSlot;

        Builder(byte[] pool, int[] starts, int[] lengths, int[] values) {
            this.pool = pool;
            this.keyStart = starts;
            this.keyLength = lengths;
            this.values = values;
            int n = starts.length;
            long total = 0;
            for (int len : lengths) {
                total += len;
            }
            order = new int[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            scratch = new int[n];
            // Tries of real vocabularies need about two slots per key; the arrays grow if not.
            int capacity = (int) Math.min(total, 2L * n) + 1024;
            capacity = (capacity + 63) & ~63;
            check = new int[capacity];
            base = new int[capacity];
            value = new int[capacity];
            used = new long[capacity / 64];
            Arrays.fill(check, -1);
            Arrays.fill(value, -1);
        }

        ByteTrie build() {
            markUsed(ROOT);
            check[ROOT] = -2; // never a child of anything
            addNodes();
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

        /** Pending nodes, four ints each ({@code state, lo, hi, depth}): see {@link #addNode}. */
        private int[] stack = new int[4 * 64];
        private int stackSize;

        /**
         * Places every node, depth first, from an explicit stack rather than by recursion: a key is as deep as
         * it is long, and a vocabulary may hold a token of many thousand bytes.
         */
        private void addNodes() {
            push(ROOT, 0, order.length, 0);
            while (stackSize > 0) {
                stackSize -= 4;
                addNode(stack[stackSize], stack[stackSize + 1], stack[stackSize + 2], stack[stackSize + 3]);
            }
        }

        private void push(int state, int lo, int hi, int depth) {
            if (stackSize + 4 > stack.length) {
                stack = Arrays.copyOf(stack, stack.length * 2);
            }
            stack[stackSize++] = state;
            stack[stackSize++] = lo;
            stack[stackSize++] = hi;
            stack[stackSize++] = depth;
        }

        /**
         * Places the children of {@code state}, whose keys are {@code order[lo, hi)}, all sharing their first
         * {@code depth} bytes: buckets them by byte {@code depth} (one step of an MSD radix sort), finds a base
         * for the child labels, then queues each bucket (last first, so that they are placed in the order found).
         */
        private void addNode(int state, int lo, int hi, int depth) {
            int ending = -1;
            int[] labels = new int[Math.min(256, hi - lo)];
            int groups = 0;
            for (int i = lo; i < hi; i++) {
                int k = order[i];
                if (keyLength[k] == depth) {
                    if (ending >= 0) {
                        throw new DuplicateKey(Math.min(ending, k), Math.max(ending, k));
                    }
                    ending = k;
                    continue;
                }
                int label = pool[keyStart[k] + depth] & 0xFF;
                if (counts[label]++ == 0) {
                    labels[groups++] = label;
                }
            }
            if (ending >= 0) {
                value[state] = values[ending];
            }
            if (groups == 0) {
                return; // a leaf: base stays 0, and since check[] never names a leaf every step from it fails
            }
            labels = Arrays.copyOf(labels, groups); // in first-seen order: any order gives a valid layout
            // Bucket the keys by label; the key ending here (if any) is dropped from the range.
            int[] starts = new int[groups + 1];
            int next = lo;
            for (int g = 0; g < groups; g++) {
                starts[g] = next;
                next += counts[labels[g]];
                counts[labels[g]] = starts[g]; // now the fill position of the bucket
            }
            starts[groups] = next;
            for (int i = lo; i < hi; i++) {
                int k = order[i];
                if (k != ending) {
                    scratch[counts[pool[keyStart[k] + depth] & 0xFF]++] = k;
                }
            }
            System.arraycopy(scratch, lo, order, lo, next - lo);
            for (int label : labels) {
                counts[label] = 0;
            }
            int b = findBase(labels);
            base[state] = b;
            for (int label : labels) {
                int t = b + label;
                check[t] = state;
                markUsed(t);
                maxSlot = Math.max(maxSlot, t);
            }
            for (int g = groups - 1; g >= 0; g--) {
                push(b + labels[g], starts[g], starts[g + 1], depth + 1);
            }
        }

        /**
         * A base ≥ 1 at which every child slot is free (so no child lands on the root), searched from
         * {@code searchFrom}. When the searched
         * stretch was nearly full, {@code searchFrom} jumps past it so later searches do not wade through the
         * same few holes again (after Darts): this keeps building near linear at a small cost in density.
         */
        private int findBase(int[] labels) {
            int first = labels[0];
            int start = Math.max(searchFrom, first + 1);
            int p = nextFree(start);
            int firstHole = p;
            int holesTried = 0;
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
                    break;
                }
                holesTried++;
                p = nextFree(p + 1);
            }
            // Skip the searched stretch when it was nearly full or cost many tries: a few more slots, in exchange
            // for a build many times faster.
            int span = p - start + 1;
            int full = span - holesTried - 1;
            searchFrom = full * 20 >= span * 19 || holesTried > 128 ? p : firstHole;
            return p - first;
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
