package dev.rwkvjava.serve;

import dev.rwkvjava.state.State;

import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * Recurrent states keyed by the token prefix that produced them from the zero state, so that a prompt extending a
 * cached prefix (every chat turn of a client that re-sends the whole conversation) is fed only its new tokens.
 * An RWKV state has a fixed size whatever the prefix's length, so an entry costs the same for 10 tokens or 10,000.
 *
 * <p>Bounded in bytes (state, logits and the key's tokens), least recently used out first. A lookup finds the
 * longest cached prefix of a prompt: prefix hashes of the prompt are computed once, then only the lengths present in
 * the cache are probed, longest first, and a hit is confirmed token by token (a hash collision is never a hit).
 * Lookups and puts hand out and keep copies; the cache is safe to share between threads.
 */
final class PrefixCache {
    private static final long HASH_MULTIPLIER = 0x9E3779B97F4A7C15L;
    private static final long ENTRY_OVERHEAD = 128;

    private record Key(int length, long hash) {
    }

    private static final class Entry {
        final int[] tokens;
        final State state;
        final float[] logits;
        final long bytes;

        Entry(int[] tokens, State state, float[] logits) {
            this.tokens = tokens;
            this.state = state;
            this.logits = logits;
            this.bytes = ENTRY_OVERHEAD + 4L * tokens.length + 4L * state.layout().size()
                    + (logits == null ? 0 : 4L * logits.length);
        }
    }

    /**
     * A cached prefix: its length, a copy of the state after it, and a copy of the logits after its last token
     * (null for states kept at a snapshot point, whose logits were not computed).
     */
    record Hit(int length, State state, float[] logits) {
    }

    private final long maxBytes;
    private final LinkedHashMap<Key, Entry> entries = new LinkedHashMap<>(64, 0.75f, true);
    /** How many entries have each prefix length: the lengths a lookup probes. */
    private final NavigableMap<Integer, Integer> lengths = new TreeMap<>();
    private long bytes;
    private long hits;
    private long misses;
    private long evictions;

    PrefixCache(long maxBytes) {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("cache size must be > 0, got " + maxBytes);
        }
        this.maxBytes = maxBytes;
    }

    /**
     * The longest cached prefix of {@code tokens}, or null. A prefix as long as the whole prompt counts only when it
     * has logits (there is nothing left to feed to get them); counts a hit or a miss.
     */
    synchronized Hit lookup(int[] tokens) {
        if (!lengths.isEmpty() && tokens.length > 0) {
            long[] prefixHash = prefixHashes(tokens, Math.min(tokens.length, lengths.lastKey()));
            for (int len : lengths.headMap(tokens.length, true).descendingKeySet()) {
                Entry e = entries.get(new Key(len, prefixHash[len]));
                if (e == null || !Arrays.equals(e.tokens, 0, len, tokens, 0, len)
                        || (len == tokens.length && e.logits == null)) {
                    continue;
                }
                hits++;
                return new Hit(len, e.state.copy(), e.logits == null ? null : e.logits.clone());
            }
        }
        misses++;
        return null;
    }

    /**
     * Keeps a copy of the state after {@code tokens[0 .. length)} (and of the logits after the last of them, or
     * null), evicting the least recently used entries to make room. An entry larger than the whole cache is not kept.
     */
    synchronized void put(int[] tokens, int length, State state, float[] logits) {
        if (length < 1) {
            return;
        }
        int[] key = Arrays.copyOf(tokens, length);
        Entry e = new Entry(key, state.copy(), logits == null ? null : logits.clone());
        if (e.bytes > maxBytes) {
            return;
        }
        Key k = new Key(length, prefixHashes(key, length)[length]);
        Entry old = entries.remove(k);
        if (old != null) {
            forget(old);
        }
        while (bytes + e.bytes > maxBytes && !entries.isEmpty()) {
            Iterator<Map.Entry<Key, Entry>> it = entries.entrySet().iterator();
            Entry lru = it.next().getValue();
            it.remove();
            forget(lru);
            evictions++;
        }
        entries.put(k, e);
        bytes += e.bytes;
        lengths.merge(length, 1, Integer::sum);
    }

    private void forget(Entry e) {
        bytes -= e.bytes;
        lengths.computeIfPresent(e.tokens.length, (len, n) -> n == 1 ? null : n - 1);
    }

    /** h[i] = hash of tokens[0 .. i), for i in [0, n]. */
    private static long[] prefixHashes(int[] tokens, int n) {
        long[] h = new long[n + 1];
        long acc = 0x2545F4914F6CDD1DL;
        for (int i = 0; i < n; i++) {
            acc = (acc ^ (tokens[i] + 1L)) * HASH_MULTIPLIER;
            acc ^= acc >>> 29;
            h[i + 1] = acc;
        }
        return h;
    }

    synchronized long hits() {
        return hits;
    }

    synchronized long misses() {
        return misses;
    }

    synchronized long evictions() {
        return evictions;
    }

    synchronized long bytes() {
        return bytes;
    }

    synchronized int entries() {
        return entries.size();
    }

    long maxBytes() {
        return maxBytes;
    }
}
