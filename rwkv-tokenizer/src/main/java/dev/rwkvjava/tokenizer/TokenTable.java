package dev.rwkvjava.tokenizer;

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

    /** Collects tokens by id, in any order, appending their bytes to one growing array. */
    public static final class Builder {
        private byte[] pool;
        private int poolLength;
        private long[] spans;
        private int size;

        public Builder(int expectedTokens) {
            spans = new long[Math.max(expectedTokens, 16)];
            Arrays.fill(spans, -1);
            pool = new byte[Math.max(expectedTokens, 16) * 8];
        }

        /** Sets the bytes of {@code id}; returns false if the id already had bytes (the caller reports it). */
        public boolean put(int id, byte[] src, int off, int len) {
            if (id < 0) {
                throw new IllegalArgumentException("negative token id " + id);
            }
            if (id >= spans.length) {
                int old = spans.length;
                spans = Arrays.copyOf(spans, Math.max(id + 1, old * 2));
                Arrays.fill(spans, old, spans.length, -1);
            }
            if (spans[id] >= 0) {
                return false;
            }
            if (poolLength + len > pool.length) {
                pool = Arrays.copyOf(pool, Math.max(poolLength + len, pool.length * 2));
            }
            System.arraycopy(src, off, pool, poolLength, len);
            spans[id] = ((long) poolLength << 32) | len;
            poolLength += len;
            size = Math.max(size, id + 1);
            return true;
        }

        public boolean put(int id, byte[] bytes) {
            return put(id, bytes, 0, bytes.length);
        }

        public boolean has(int id) {
            return id >= 0 && id < size && spans[id] >= 0;
        }

        /** The bytes collected so far (a live view: valid until the next {@link #put}). */
        public byte[] pool() {
            return pool;
        }

        /** Where the bytes of {@code id} start in {@link #pool()}. */
        public int start(int id) {
            return (int) (spans[id] >>> 32);
        }

        public int length(int id) {
            return (int) spans[id];
        }

        public TokenTable build() {
            return new TokenTable(Arrays.copyOf(pool, poolLength), Arrays.copyOf(spans, size));
        }
    }
}
