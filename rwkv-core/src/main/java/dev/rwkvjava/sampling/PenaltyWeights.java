package dev.rwkvjava.sampling;

import dev.rwkvjava.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * Per-token occurrence weights for the frequency penalty, as ChatRWKV's pipeline counts them: a token whose text
 * is made only of characters from {@code " \t0123456789"} (more exactly: a piece of that string) adds 0 to its
 * count, so spacing and numbers are never discouraged by frequency; every other token adds 1. (The presence
 * penalty still applies to them once seen, as in ChatRWKV.)
 */
public final class PenaltyWeights {
    private static final String NEUTRAL = " \t0123456789";

    private PenaltyWeights() {
    }

    /**
     * ChatRWKV's occurrence weights: spaces, tabs and digits count 0, every other token 1.
     *
     * @param tokenizer the model's tokenizer
     * @param vocabSize the model's number of ids
     * @return weights for ids [0, vocabSize); ids the tokenizer does not know count 1
     */
    public static float[] chatRwkv(Tokenizer tokenizer, int vocabSize) {
        float[] w = new float[vocabSize];
        for (int id = 0; id < vocabSize; id++) {
            w[id] = 1f;
            if (id >= tokenizer.vocabSize()) {
                continue;
            }
            byte[] b;
            try {
                b = tokenizer.tokenBytes(id);
            } catch (IllegalArgumentException unknown) {
                continue;
            }
            if (b.length <= NEUTRAL.length() && NEUTRAL.contains(new String(b, StandardCharsets.ISO_8859_1))) {
                w[id] = 0f;
            }
        }
        return w;
    }
}
