package dev.rwkvjava.tokenizer;

import java.util.Arrays;

/**
 * The bytes of every token, packed into one array: decoding is a bounds check and a copy per token, with no
 * per-token objects. Ids without a token (gaps in the vocabulary) are rejected like out-of-range ids.
 */
public final class TokenTable {
    private final byte[] pool;
    /** Token {@code id} is {@code pool[offsets[id] .. offsets[id + 1])}. */
    private final int[] offsets;
    private final boolean[] present;

    private TokenTable(byte[] pool, int[] offsets, boolean[] present) {
        this.pool = pool;
        this.offsets = offsets;
        this.present = present;
    }

    /** Number of ids, {@code max id + 1}. */
    public int size() {
        return present.length;
    }

    public boolean contains(int id) {
        return id >= 0 && id < present.length && present[id];
    }

    public int length(int id) {
        check(id);
        return offsets[id + 1] - offsets[id];
    }

    public byte[] bytes(int id) {
        check(id);
        return Arrays.copyOfRange(pool, offsets[id], offsets[id + 1]);
    }

    /** Concatenation of the tokens' bytes. */
    public byte[] decode(int[] ids) {
        int[] offsets = this.offsets;
        long total = 0;
        for (int id : ids) {
            check(id);
            total += offsets[id + 1] - offsets[id];
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("decoded output of " + total + " bytes is too large for one array");
        }
        byte[] out = new byte[(int) total];
        byte[] pool = this.pool;
        int pos = 0;
        for (int id : ids) {
            int start = offsets[id];
            int len = offsets[id + 1] - start;
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

    private void check(int id) {
        if (id < 0 || id >= present.length || !present[id]) {
            throw unknownId(id, present.length);
        }
    }

    /** The error for an id outside the vocabulary. */
    public static IllegalArgumentException unknownId(int id, int vocabSize) {
        return new IllegalArgumentException(
                "unknown token id " + id + ": not in the vocabulary (vocabulary size " + vocabSize
                        + ", ids 0.." + (vocabSize - 1) + ")");
    }

    /** Collects tokens by id, in any order. */
    public static final class Builder {
        private byte[][] tokens;
        private int size;

        public Builder(int expectedSize) {
            tokens = new byte[Math.max(expectedSize, 16)][];
        }

        /** Sets the bytes of {@code id}; returns false if the id already had bytes (the caller reports it). */
        public boolean put(int id, byte[] bytes) {
            if (id < 0) {
                throw new IllegalArgumentException("negative token id " + id);
            }
            if (id >= tokens.length) {
                tokens = Arrays.copyOf(tokens, Math.max(id + 1, tokens.length * 2));
            }
            if (tokens[id] != null) {
                return false;
            }
            tokens[id] = bytes;
            size = Math.max(size, id + 1);
            return true;
        }

        public boolean has(int id) {
            return id >= 0 && id < size && tokens[id] != null;
        }

        public TokenTable build() {
            int[] offsets = new int[size + 1];
            boolean[] present = new boolean[size];
            long total = 0;
            for (int id = 0; id < size; id++) {
                offsets[id] = (int) total;
                if (tokens[id] != null) {
                    present[id] = true;
                    total += tokens[id].length;
                }
            }
            if (total > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("vocabulary of " + total + " bytes is too large");
            }
            offsets[size] = (int) total;
            byte[] pool = new byte[(int) total];
            for (int id = 0; id < size; id++) {
                if (tokens[id] != null) {
                    System.arraycopy(tokens[id], 0, pool, offsets[id], tokens[id].length);
                }
            }
            return new TokenTable(pool, offsets, present);
        }
    }
}
