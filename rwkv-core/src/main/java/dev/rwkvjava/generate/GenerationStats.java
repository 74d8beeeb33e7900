package dev.rwkvjava.generate;

/**
 * Timings of one generation.
 *
 * @param finishReason    why generation ended
 * @param promptTokens    tokens fed before generating (0 when continuing from the current state)
 * @param generatedTokens tokens generated (stop tokens excluded)
 * @param prefillSeconds  time spent feeding the prompt
 * @param decodeSeconds   time from the first sample to the end (sampling and single-token forward passes)
 * @param seed            the sampler's seed (the configured one or the one picked at random)
 */
public record GenerationStats(int promptTokens, int generatedTokens, double prefillSeconds, double decodeSeconds,
                              FinishReason finishReason, long seed) {

    /** {@return prompt tokens per second of prefill, 0 when none were fed} */
    public double prefillTokensPerSecond() {
        return rate(promptTokens, prefillSeconds);
    }

    /** {@return generated tokens per second of decoding, 0 when none were generated} */
    public double decodeTokensPerSecond() {
        return rate(generatedTokens, decodeSeconds);
    }

    private static double rate(int n, double s) {
        return n == 0 || s <= 0 ? 0 : n / s;
    }
}
