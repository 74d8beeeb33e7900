package dev.rwkvjava.tokenizer.internal;

import it.unimi.dsi.fastutil.ints.Int2LongMap;
import it.unimi.dsi.fastutil.ints.Int2LongOpenHashMap;
import java.util.Arrays;

/**
 * The bytes of every token, packed into one array: decoding is a bounds check and a copy per token, with no
 * per-token objects. Ids without a token (gaps in the vocabulary) are rejected like out-of-range ids.
 */
public final class TokenTable {
    private final byte[] pool;
    /** Per id: {@code start << 32 | length} in {@link #pool}, or -1 if the id has no token. */
    private final long[] spans;

    private TokenTable(byte[] pool, long[] spans) {
        this.pool = pool;
        this.spans = spans;
    }

    /** Number of ids, {@code max id + 1}. */
    public int size() {
        return spans.length;
    }

    public boolean contains(int id) {
        return id >= 0 && id < spans.length && spans[id] >= 0;
    }

    public int length(int id) {
        return (int) span(id);
    }

    public byte[] bytes(int id) {
        long span = span(id);
        int start = (int) (span >>> 32);
        return Arrays.copyOfRange(pool, start, start + (int) span);
    }

    /** Concatenation of the tokens' bytes. */
    public byte[] decode(int[] ids) {
        long total = 0;
        for (int id : ids) {
            total += (int) span(id);
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("decoded output of " + total + " bytes is too large for one array");
        }
        byte[] out = new byte[(int) total];
        byte[] pool = this.pool;
        long[] spans = this.spans;
        int pos = 0;
        for (int id : ids) {
            long span = spans[id]; // checked above
            int start = (int) (span >>> 32);
            int len = (int) span;
            if (len <= 8) {
                // Most tokens are a few bytes: a plain loop beats arraycopy's call overhead.
                for (int k = 0; k < len; k++) {
                    out[pos + k] = pool[start + k];
                }
            } else {
                System.arraycopy(pool, start, out, pos, len);
            }
            pos += len;
        }
        return out;
    }

    private long span(int id) {
        long span;
        if (id < 0 || id >= spans.length || (span = spans[id]) < 0) {
            throw unknownId(id, spans.length);
        }
        return span;
    }

    /** The error for an id outside the vocabulary. */
    public static IllegalArgumentException unknownId(int id, int vocabSize) {
        return new IllegalArgumentException(
                "unknown token id " + id + ": not in the vocabulary (vocabulary size " + vocabSize
                        + ", ids 0.." + (vocabSize - 1) + ")");
    }

    /**
     * Collects tokens by id, in any order, appending their bytes to one growing array. Ids are held in a hash map
     * while collecting, so a file naming a huge id costs nothing until {@link #build()} refuses it: the table is an
     * array indexed by id, and ids far beyond the number of tokens would make it mostly holes.
     */
    public static final class Builder {
        /** How far the highest id may exceed the token count: real vocabularies have few gaps. */
        static final int MAX_HOLES = 1 << 16;

        private byte[] pool;
        private int poolLength;
        /** Id to {@code start << 32 | length} in {@link #pool}. */
        private final Int2LongOpenHashMap spans;
        private int maxId = -1;

        public Builder(int expectedTokens) {
            int n = Math.max(0, Math.min(expectedTokens, 1 << 20)); // a hint only: never trust it for a size
            spans = new Int2LongOpenHashMap(Math.max(n, 16));
            spans.defaultReturnValue(-1);
            pool = new byte[Math.max(n, 16) * 8];
        }

        /** Sets the bytes of {@code id}; returns false if the id already had bytes (the caller reports it). */
        public boolean put(int id, byte[] src, int off, int len) {
            if (id < 0) {
                throw new IllegalArgumentException("negative token id " + id);
            }
            if (spans.containsKey(id)) {
                return false;
            }
            if (len > Integer.MAX_VALUE - 8 - poolLength) {
                throw new IllegalArgumentException("the tokens' bytes add up to more than 2 GiB");
            }
            if (poolLength + len > pool.length) {
                long grown = Math.max((long) poolLength + len, 2L * pool.length);
                pool = Arrays.copyOf(pool, (int) Math.min(grown, Integer.MAX_VALUE - 8));
            }
            System.arraycopy(src, off, pool, poolLength, len);
            spans.put(id, ((long) poolLength << 32) | len);
            poolLength += len;
            maxId = Math.max(maxId, id);
            return true;
        }

        public boolean put(int id, byte[] bytes) {
            return put(id, bytes, 0, bytes.length);
        }

        public boolean has(int id) {
            return spans.containsKey(id);
        }

        /** Number of tokens collected so far. */
        public int count() {
            return spans.size();
        }

        /** The highest id the table may have for {@code tokens} tokens: their count plus a bounded number of holes. */
        public static long maxIdFor(int tokens) {
            return 2L * tokens + MAX_HOLES;
        }

        /** The highest id when it is beyond {@link #maxIdFor} the token count, else -1. */
        public int outlier() {
            return maxId > maxIdFor(spans.size()) ? maxId : -1;
        }

        /** The bytes collected so far (a live view: valid until the next {@link #put}). */
        public byte[] pool() {
            return pool;
        }

        /** Where the bytes of {@code id} start in {@link #pool()}. */
        public int start(int id) {
            return (int) (span(id) >>> 32);
        }

        public int length(int id) {
            return (int) span(id);
        }

        private long span(int id) {
            long s = spans.get(id);
            if (s < 0) {
                throw new IllegalArgumentException("no token with id " + id);
            }
            return s;
        }

        /**
         * The table.
         *
         * @throws IllegalArgumentException if the ids are too sparse for an array (see {@link #outlier()})
         */
        public TokenTable build() {
            if (outlier() >= 0) {
                throw new IllegalArgumentException("token id " + maxId + " is far beyond the " + spans.size()
                        + " tokens (ids may reach " + maxIdFor(spans.size()) + ")");
            }
            long[] dense = new long[maxId + 1];
            Arrays.fill(dense, -1);
            for (Int2LongMap.Entry e : spans.int2LongEntrySet()) {
                dense[e.getIntKey()] = e.getLongValue();
            }
            return new TokenTable(Arrays.copyOf(pool, poolLength), dense);
        }
    }
}
