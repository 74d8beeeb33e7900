package dev.rwkvjava.serve;

/** Log-probabilities of the model's distribution over the next token: log-softmax of the logits. */
final class Logprobs {
    private Logprobs() {
    }

    /** The chosen token's log-probability and the {@code top} most likely tokens (best first, ties by lower id). */
    static Generation.TokenLogprobs of(float[] logits, int vocab, int token, int top) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += Math.exp(logits[i] - max);
        }
        double logZ = max + Math.log(sum);
        int k = Math.min(top, vocab);
        int[] ids = new int[k];
        float[] lps = new float[k];
        int filled = 0;
        for (int i = 0; i < vocab && k > 0; i++) {
            float v = logits[i];
            if (filled < k || v > logits[ids[filled - 1]]) {
                int at = Math.min(filled, k - 1);
                while (at > 0 && v > logits[ids[at - 1]]) {
                    ids[at] = ids[at - 1];
                    at--;
                }
                ids[at] = i;
                filled = Math.min(filled + 1, k);
            }
        }
        for (int j = 0; j < k; j++) {
            lps[j] = (float) (logits[ids[j]] - logZ);
        }
        return new Generation.TokenLogprobs(token, (float) (logits[token] - logZ), ids, lps);
    }
}
