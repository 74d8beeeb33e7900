package dev.rwkvjava.generate;

import dev.rwkvjava.sampling.SamplerConfig;

import java.util.List;
import java.util.Objects;

/**
 * What to generate: how many tokens at most, how to sample, and when to stop. Immutable.
 *
 * @param maxNewTokens upper bound on generated tokens (0 only feeds the prompt)
 * @param sampler      how tokens are picked
 * @param stopTokens   extra ids that end generation when sampled (not part of the output)
 * @param stopStrings  texts that end generation when they appear (removed from the text; the tokens that produced
 *                     them are in the state and among the generated ids)
 * @param ignoreEos    do not stop at the model's end-of-text id (see {@link Session#endOfText()})
 */
public record GenerationConfig(int maxNewTokens, SamplerConfig sampler, List<Integer> stopTokens,
                               List<String> stopStrings, boolean ignoreEos) {

    /**
     * A configuration; the lists are copied.
     *
     * @throws IllegalArgumentException when maxNewTokens is negative
     */
    public GenerationConfig {
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("the number of tokens to generate must be >= 0, got " + maxNewTokens);
        }
        Objects.requireNonNull(sampler, "sampler");
        stopTokens = List.copyOf(stopTokens);
        stopStrings = List.copyOf(stopStrings);
        for (String s : stopStrings) {
            if (s.isEmpty()) {
                throw new IllegalArgumentException("stop strings must not be empty");
            }
        }
    }

    /**
     * Greedy decoding of up to n tokens, stopping at end-of-text.
     *
     * @param n the most tokens to generate
     * @return the configuration
     */
    public static GenerationConfig greedy(int n) {
        return new GenerationConfig(n, SamplerConfig.greedy(), List.of(), List.of(), false);
    }

    /**
     * ChatRWKV's chat sampling ({@link SamplerConfig#chat()}) for up to n tokens.
     *
     * @param n the most tokens to generate
     * @return the configuration
     */
    public static GenerationConfig chat(int n) {
        return new GenerationConfig(n, SamplerConfig.chat(), List.of(), List.of(), false);
    }

    /**
     * This configuration with another token limit.
     *
     * @param n the most tokens to generate
     * @return the new configuration
     */
    public GenerationConfig withMaxNewTokens(int n) {
        return new GenerationConfig(n, sampler, stopTokens, stopStrings, ignoreEos);
    }

    /**
     * This configuration with another sampler.
     *
     * @param s how tokens are picked
     * @return the new configuration
     */
    public GenerationConfig withSampler(SamplerConfig s) {
        return new GenerationConfig(maxNewTokens, s, stopTokens, stopStrings, ignoreEos);
    }

    /**
     * This configuration with other extra stop tokens.
     *
     * @param ids ids that end generation when sampled
     * @return the new configuration
     */
    public GenerationConfig withStopTokens(List<Integer> ids) {
        return new GenerationConfig(maxNewTokens, sampler, ids, stopStrings, ignoreEos);
    }

    /**
     * This configuration with other stop strings.
     *
     * @param s texts that end generation when they appear
     * @return the new configuration
     */
    public GenerationConfig withStopStrings(List<String> s) {
        return new GenerationConfig(maxNewTokens, sampler, stopTokens, s, ignoreEos);
    }

    /**
     * This configuration stopping at the model's end-of-text id or not.
     *
     * @param ignore true to go on past end-of-text
     * @return the new configuration
     */
    public GenerationConfig withIgnoreEos(boolean ignore) {
        return new GenerationConfig(maxNewTokens, sampler, stopTokens, stopStrings, ignore);
    }
}
