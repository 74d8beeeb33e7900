package dev.rwkvjava.tokenizer.bpe;

import java.util.Arrays;

/**
 * Token string to id, with all strings in one char array and an open-addressing table of entry numbers: no
 * object per token, and lookups by a range of chars (or two ranges, for a merge's result "left" + "right")
 * allocate nothing. Loading the 50k-entry NeoX vocabulary and its 50k merges leans on this.
 */
final class VocabIndex {
    private char[] pool = new char[1 << 16];
    private int poolLength;
    private int[] starts = new int[1024];
    private int[] lengths = new int[1024];
    private int[] ids = new int[1024];
    private int count;
    /** Entry number + 1 per slot, 0 when empty; at most half full. */
    private int[] table = new int[1 << 11];

    int size() {
        return count;
    }

    /** Adds a token; returns the id it already had, or -1 if it is new (then it is added). */
    int putIfAbsent(String token, int id) {
        int len = token.length();
        if (poolLength + len > pool.length) {
            pool = Arrays.copyOf(pool, Math.max(poolLength + len, pool.length * 2));
        }
        token.getChars(0, len, pool, poolLength);
        int hash = hash(pool, poolLength, len, pool, 0, 0);
        int slot = find(hash, pool, poolLength, len, pool, 0, 0);
        if (table[slot] != 0) {
            return ids[table[slot] - 1];
        }
        if (count == ids.length) {
            starts = Arrays.copyOf(starts, count * 2);
            lengths = Arrays.copyOf(lengths, count * 2);
            ids = Arrays.copyOf(ids, count * 2);
        }
        starts[count] = poolLength;
        lengths[count] = len;
        ids[count] = id;
        count++;
        poolLength += len;
        table[slot] = count;
        if (count * 2 > table.length) {
            rehash();
        }
        return -1;
    }

    int get(String token) {
        char[] c = token.toCharArray();
        return get(c, 0, c.length);
    }

    int get(char[] s, int off, int len) {
        return get2(s, off, len, s, 0, 0);
    }

    /** The id of the concatenation of two char ranges, or -1. */
    int get2(char[] a, int aOff, int aLen, char[] b, int bOff, int bLen) {
        int e = table[find(hash(a, aOff, aLen, b, bOff, bLen), a, aOff, aLen, b, bOff, bLen)];
        return e == 0 ? -1 : ids[e - 1];
    }

    /** Entry {@code i}'s token (for messages and for building the decode table). */
    String token(int i) {
        return new String(pool, starts[i], lengths[i]);
    }

    /** Entry {@code i}'s bytes as the ByteLevel decoder gives them, written to {@code out}; returns the length. */
    int decodeBytes(int i, byte[] out) {
        return ByteLevelAlphabet.decodeToken(pool, starts[i], lengths[i], out);
    }

    int maxLength() {
        int max = 0;
        for (int i = 0; i < count; i++) {
            max = Math.max(max, lengths[i]);
        }
        return max;
    }

    int id(int i) {
        return ids[i];
    }

    private int find(int hash, char[] a, int aOff, int aLen, char[] b, int bOff, int bLen) {
        int mask = table.length - 1;
        for (int slot = hash & mask; ; slot = (slot + 1) & mask) {
            int e = table[slot];
            if (e == 0 || equals(e - 1, a, aOff, aLen, b, bOff, bLen)) {
                return slot;
            }
        }
    }

    private boolean equals(int entry, char[] a, int aOff, int aLen, char[] b, int bOff, int bLen) {
        int start = starts[entry];
        return lengths[entry] == aLen + bLen
                && Arrays.equals(pool, start, start + aLen, a, aOff, aOff + aLen)
                && Arrays.equals(pool, start + aLen, start + aLen + bLen, b, bOff, bOff + bLen);
    }

    private static int hash(char[] a, int aOff, int aLen, char[] b, int bOff, int bLen) {
        int h = 1;
        for (int i = aOff; i < aOff + aLen; i++) {
            h = 31 * h + a[i];
        }
        for (int i = bOff; i < bOff + bLen; i++) {
            h = 31 * h + b[i];
        }
        h *= 0x9E3779B9;
        return h ^ (h >>> 16);
    }

    private void rehash() {
        table = new int[table.length * 2];
        int mask = table.length - 1;
        for (int e = 0; e < count; e++) {
            int slot = hash(pool, starts[e], lengths[e], pool, 0, 0) & mask;
            while (table[slot] != 0) {
                slot = (slot + 1) & mask;
            }
            table[slot] = e + 1;
        }
    }
}
