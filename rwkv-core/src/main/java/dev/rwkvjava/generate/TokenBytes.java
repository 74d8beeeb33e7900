package dev.rwkvjava.generate;

import dev.rwkvjava.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * The bytes of every token id of a model, copied out of the tokenizer once, so the decode loop can look a
 * token up without the fresh array {@link Tokenizer#tokenBytes} returns. Ids the tokenizer has no bytes for (World's
 * id 0, or model ids past the tokenizer's vocabulary) have no bytes: they produce no text.
 */
final class TokenBytes {
    private static final Map<Tokenizer, Map<Integer, TokenBytes>> CACHE =
            Collections.synchronizedMap(new WeakHashMap<>());

    private final byte[] pool;
    private final int[] offsets;
    private final int maxLength;

    private TokenBytes(byte[] pool, int[] offsets, int maxLength) {
        this.pool = pool;
        this.offsets = offsets;
        this.maxLength = maxLength;
    }

    /** The table for ids [0, vocabSize) of {@code tokenizer}, built once per tokenizer and size. */
    static TokenBytes of(Tokenizer tokenizer, int vocabSize) {
        Map<Integer, TokenBytes> bySize = CACHE.computeIfAbsent(tokenizer, t -> new java.util.concurrent.ConcurrentHashMap<>());
        return bySize.computeIfAbsent(vocabSize, v -> build(tokenizer, v));
    }

    private static TokenBytes build(Tokenizer tokenizer, int vocabSize) {
        int[] offsets = new int[vocabSize + 1];
        byte[] pool = new byte[Math.max(16, vocabSize * 4)];
        int size = 0;
        int max = 0;
        int known = Math.min(vocabSize, tokenizer.vocabSize());
        for (int id = 0; id < vocabSize; id++) {
            offsets[id] = size;
            if (id >= known) {
                continue;
            }
            byte[] b;
            try {
                b = tokenizer.tokenBytes(id);
            } catch (IllegalArgumentException noSuchToken) {
                continue;
            }
            if (size + b.length > pool.length) {
                pool = Arrays.copyOf(pool, Math.max(pool.length * 2, size + b.length));
            }
            System.arraycopy(b, 0, pool, size, b.length);
            size += b.length;
            max = Math.max(max, b.length);
        }
        offsets[vocabSize] = size;
        return new TokenBytes(Arrays.copyOf(pool, size), offsets, max);
    }

    int vocabSize() {
        return offsets.length - 1;
    }

    /** Length of the longest token, in bytes. */
    int maxLength() {
        return maxLength;
    }

    int start(int id) {
        return offsets[id];
    }

    int length(int id) {
        return offsets[id + 1] - offsets[id];
    }

    byte[] pool() {
        return pool;
    }
}
