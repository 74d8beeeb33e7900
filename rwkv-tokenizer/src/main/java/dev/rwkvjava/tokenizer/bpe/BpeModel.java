package dev.rwkvjava.tokenizer.bpe;

import it.unimi.dsi.fastutil.ints.IntArrayList;
import it.unimi.dsi.fastutil.longs.Long2IntOpenHashMap;
import java.util.Arrays;

/**
 * Byte-level BPE on one pre-tokenized word: start from one symbol per byte, then repeatedly merge the adjacent
 * pair with the lowest merge rank (leftmost first on ties) until no pair has a merge. This is the rule of the
 * reference implementation, not greedy longest match. Results are cached per word.
 */
final class BpeModel {
    private static final int MAX_CACHED_WORD = 256;

    /** Id of the one-byte token of each byte, or -1. */
    private final int[] byteIds = new int[256];
    /** (left id << 32 | right id) to merge rank. */
    private final Long2IntOpenHashMap ranks;
    /** Id of the token a merge produces, by rank. */
    private final int[] mergedIds;
    private final VocabIndex vocab;
    private final int unkId;
    private final boolean fuseUnk;
    private final boolean ignoreMerges;
    private final WordCache cache = new WordCache();

    BpeModel(VocabIndex vocab, Long2IntOpenHashMap ranks, int[] mergedIds, int unkId, boolean fuseUnk,
            boolean ignoreMerges) {
        this.vocab = vocab;
        this.ranks = ranks;
        this.mergedIds = mergedIds;
        this.unkId = unkId;
        this.fuseUnk = fuseUnk;
        this.ignoreMerges = ignoreMerges;
        for (int b = 0; b < 256; b++) {
            byteIds[b] = vocab.get(String.valueOf(ByteLevelAlphabet.charOf(b)));
        }
    }

    /** Appends the ids of {@code text[start, end)}, one pre-tokenized word. */
    void encodeWord(char[] text, int start, int end, IntArrayList out) {
        int length = end - start;
        if (length == 1 && text[start] < 0x80 && byteIds[text[start]] >= 0) {
            out.add(byteIds[text[start]]); // most punctuation and digits: no lookup needed
            return;
        }
        if (length > MAX_CACHED_WORD) {
            out.addElements(out.size(), merge(text, start, end));
            return;
        }
        int hash = WordCache.hash(text, start, end);
        int[] ids = cache.get(text, start, end, hash);
        if (ids == null) {
            ids = merge(text, start, end);
            cache.put(text, start, end, hash, ids);
        }
        out.addElements(out.size(), ids);
    }

    private int[] merge(char[] text, int start, int end) {
        byte[] bytes = Utf8.encode(text, start, end);
        if (ignoreMerges) {
            int whole = vocab.get(ByteLevelAlphabet.encode(bytes));
            if (whole >= 0) {
                return new int[] {whole};
            }
        }
        int[] sym = initialSymbols(bytes);
        return mergeAll(sym);
    }

    /** One symbol per byte; bytes without a token become the unknown token (if any) or are dropped, as in tokenizers. */
    private int[] initialSymbols(byte[] bytes) {
        int[] sym = new int[bytes.length];
        int n = 0;
        boolean lastWasUnk = false;
        for (byte b : bytes) {
            int id = byteIds[b & 0xFF];
            if (id >= 0) {
                sym[n++] = id;
                lastWasUnk = false;
            } else if (unkId >= 0) {
                if (!(fuseUnk && lastWasUnk)) {
                    sym[n++] = unkId;
                }
                lastWasUnk = true;
            }
        }
        return n == sym.length ? sym : Arrays.copyOf(sym, n);
    }

    /**
     * Merges with a min-heap of (rank, position) candidates; a popped candidate is skipped when its symbols
     * have changed since it was pushed. Popping the lowest (rank, position) each time is exactly "lowest rank
     * first, leftmost on ties".
     */
    int[] mergeAll(int[] sym) {
        int n = sym.length;
        if (n < 2) {
            return sym;
        }
        int[] next = new int[n];
        int[] prev = new int[n];
        boolean[] gone = new boolean[n];
        long[] heap = new long[n];
        int heapSize = 0;
        for (int i = 0; i < n; i++) {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        for (int i = 0; i + 1 < n; i++) {
            int rank = rank(sym[i], sym[i + 1]);
            if (rank >= 0) {
                heap = push(heap, heapSize++, candidate(rank, i));
            }
        }
        int alive = n;
        while (heapSize > 0) {
            long top = heap[0];
            heapSize = pop(heap, heapSize);
            int rank = (int) (top >>> 32);
            int p = (int) top;
            int q = next[p];
            if (gone[p] || q < 0 || rank(sym[p], sym[q]) != rank) {
                continue; // stale: one of the two symbols was merged away or changed
            }
            sym[p] = mergedIds[rank];
            gone[q] = true;
            alive--;
            next[p] = next[q];
            if (next[q] >= 0) {
                prev[next[q]] = p;
            }
            if (prev[p] >= 0) {
                int r = rank(sym[prev[p]], sym[p]);
                if (r >= 0) {
                    heap = push(heap, heapSize++, candidate(r, prev[p]));
                }
            }
            if (next[p] >= 0) {
                int r = rank(sym[p], sym[next[p]]);
                if (r >= 0) {
                    heap = push(heap, heapSize++, candidate(r, p));
                }
            }
        }
        int[] out = new int[alive];
        int k = 0;
        for (int i = 0; i >= 0; i = next[i]) {
            out[k++] = sym[i];
        }
        return out;
    }

    private int rank(int left, int right) {
        return ranks.get(((long) left << 32) | (right & 0xFFFFFFFFL));
    }

    private static long candidate(int rank, int pos) {
        return ((long) rank << 32) | pos;
    }

    private static long[] push(long[] heap, int size, long v) {
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2 + 4);
        }
        int i = size;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heap[parent] <= v) {
                break;
            }
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = v;
        return heap;
    }

    /** Removes the minimum; returns the new size. */
    private static int pop(long[] heap, int size) {
        long last = heap[--size];
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && heap[child + 1] < heap[child]) {
                child++;
            }
            if (last <= heap[child]) {
                break;
            }
            heap[i] = heap[child];
            i = child;
        }
        if (size > 0) {
            heap[i] = last;
        }
        return size;
    }
}
