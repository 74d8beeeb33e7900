package dev.rwkvjava.tokenizer.bpe;

/**
 * Per-word BPE results, looked up by a range of a char array so that a hit allocates nothing. Two-way set
 * associative with a fixed number of slots: a word may evict another, which bounds the memory and suits text,
 * where a few thousand words make up most of it. Entries are immutable, so threads may share the cache
 * without locks: a racing reader sees either the old entry or the new one, both complete.
 */
final class WordCache {
    private static final int SLOTS = 1 << 15; // 2^14 sets of two

    private record Entry(int hash, char[] word, int[] ids) {
    }

    private final Entry[] slots = new Entry[SLOTS];

    static int hash(char[] s, int start, int end) {
        int h = end - start;
        for (int i = start; i < end; i++) {
            h = 31 * h + s[i];
        }
        h *= 0x9E3779B9; // spread the bits: the set index comes from the low ones
        return h ^ (h >>> 16);
    }

    /** The ids cached for {@code s[start, end)}, or null. */
    int[] get(char[] s, int start, int end, int hash) {
        int set = hash & (SLOTS - 2);
        Entry e = slots[set];
        if (e != null && matches(e, s, start, end, hash)) {
            return e.ids;
        }
        e = slots[set + 1];
        return e != null && matches(e, s, start, end, hash) ? e.ids : null;
    }

    /** Caches {@code ids} (which must not be changed afterwards) for {@code s[start, end)}. */
    void put(char[] s, int start, int end, int hash, int[] ids) {
        int set = hash & (SLOTS - 2);
        char[] word = java.util.Arrays.copyOfRange(s, start, end);
        Entry e = new Entry(hash, word, ids);
        // Fill an empty way, else evict the older one: the first way is kept for the most recent word.
        if (slots[set] != null) {
            slots[set + 1] = slots[set];
        }
        slots[set] = e;
    }

    private static boolean matches(Entry e, char[] s, int start, int end, int hash) {
        return e.hash == hash && java.util.Arrays.equals(e.word, 0, e.word.length, s, start, end);
    }
}
