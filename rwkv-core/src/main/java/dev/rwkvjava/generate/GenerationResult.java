package dev.rwkvjava.generate;

/**
 * The outcome of one generation.
 *
 * @param stats        token counts, timings and why generation ended
 * @param promptIds    the tokens fed before generating (empty when continuing from the current state)
 * @param generatedIds the generated tokens, stop tokens excluded (the tokens of a stop string included)
 * @param text         the generated text as streamed (stop string and anything after it removed), or null without
 *                     a tokenizer
 */
public record GenerationResult(int[] promptIds, int[] generatedIds, String text, GenerationStats stats) {

    /** {@return why generation ended} */
    public FinishReason finishReason() {
        return stats.finishReason();
    }
}
