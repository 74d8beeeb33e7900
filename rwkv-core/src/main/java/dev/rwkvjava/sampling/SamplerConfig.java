package dev.rwkvjava.sampling;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * How the next token is picked from the logits. Immutable; change one setting with the {@code with...} methods.
 *
 * <p>The order follows ChatRWKV's pipeline: logit bias and the ban list, then the repetition penalties
 * (presence + count × frequency, counts decayed by {@code penaltyDecay} every step), then the cut-offs (top-p,
 * top-k and min-p, all measured on the untempered distribution, as ChatRWKV and llama.cpp do), and the temperature
 * last, on the surviving tokens only. A temperature of 0 is greedy: the highest logit after penalties, the lowest
 * id on a tie.
 *
 * @param temperature      0 for greedy, otherwise the divisor of the logits (1 = unchanged)
 * @param topP             keep the most likely tokens up to this total probability (1 = off)
 * @param topK             keep at most this many tokens (0 = off)
 * @param minP             keep tokens with probability at least minP × the top probability (0 = off)
 * @param presencePenalty  subtracted once from the logit of every token generated so far
 * @param frequencyPenalty subtracted per (decayed) occurrence of a token generated so far
 * @param penaltyDecay     factor applied to every occurrence count after each step (1 = no decay)
 * @param bannedTokens     ids that are never generated
 * @param logitBias        added to the logits of the given ids before anything else
 * @param seed             random seed; null picks one at random (see {@link Sampler#seed()})
 */
public record SamplerConfig(double temperature, double topP, int topK, double minP,
                            double presencePenalty, double frequencyPenalty, double penaltyDecay,
                            List<Integer> bannedTokens, Map<Integer, Float> logitBias, Long seed) {

    /** ChatRWKV's occurrence decay per generated token. */
    public static final double DEFAULT_PENALTY_DECAY = 0.996;

    /**
     * A configuration; the list and map are copied.
     *
     * @throws IllegalArgumentException when a value is out of its range
     */
    public SamplerConfig {
        check(temperature >= 0 && Double.isFinite(temperature), "temperature", temperature, "a finite number >= 0");
        check(topP >= 0 && topP <= 1, "top-p", topP, "between 0 and 1");
        if (topK < 0) {
            throw new IllegalArgumentException("top-k must be >= 0 (0 = off), got " + topK);
        }
        check(minP >= 0 && minP <= 1, "min-p", minP, "between 0 and 1");
        check(Double.isFinite(presencePenalty), "presence penalty", presencePenalty, "a finite number");
        check(Double.isFinite(frequencyPenalty), "frequency penalty", frequencyPenalty, "a finite number");
        check(penaltyDecay >= 0 && penaltyDecay <= 1, "penalty decay", penaltyDecay, "between 0 and 1");
        bannedTokens = List.copyOf(bannedTokens);
        for (Integer id : bannedTokens) {
            if (id < 0) {
                throw new IllegalArgumentException("banned token id must be >= 0, got " + id);
            }
        }
        // A sorted copy: equal configurations compare equal, and the bias is applied in a fixed order.
        TreeMap<Integer, Float> bias = new TreeMap<>(logitBias);
        bias.forEach((id, v) -> {
            if (id < 0 || !Float.isFinite(v)) {
                throw new IllegalArgumentException("logit bias needs an id >= 0 and a finite value, got " + id + "=" + v);
            }
        });
        logitBias = java.util.Collections.unmodifiableMap(bias);
    }

    private static void check(boolean ok, String what, double value, String expected) {
        if (!ok) {
            throw new IllegalArgumentException(what + " must be " + expected + ", got " + value);
        }
    }

    /** {@return argmax with no penalties: what {@code generate} does unless told otherwise} */
    public static SamplerConfig greedy() {
        return new SamplerConfig(0, 1, 0, 0, 0, 0, DEFAULT_PENALTY_DECAY, List.of(), Map.of(), null);
    }

    /**
     * {@return the chat defaults of ChatRWKV's {@code API_DEMO_CHAT.py}: temperature 1.0, top-p 0.3, presence 0.5,
     * frequency 0.5, decay 0.996}
     */
    public static SamplerConfig chat() {
        return new SamplerConfig(1.0, 0.3, 0, 0, 0.5, 0.5, DEFAULT_PENALTY_DECAY, List.of(), Map.of(), null);
    }

    /** {@return plain sampling from the model's distribution: temperature 1, no cut-offs, no penalties} */
    public static SamplerConfig unmodified() {
        return new SamplerConfig(1.0, 1, 0, 0, 0, 0, DEFAULT_PENALTY_DECAY, List.of(), Map.of(), null);
    }

    /** {@return whether sampling is greedy (temperature 0)} */
    public boolean isGreedy() {
        return temperature == 0;
    }

    /**
     * This configuration with another temperature.
     *
     * @param v 0 for greedy, otherwise the divisor of the logits
     * @return the new configuration
     */
    public SamplerConfig withTemperature(double v) {
        return new SamplerConfig(v, topP, topK, minP, presencePenalty, frequencyPenalty, penaltyDecay, bannedTokens, logitBias, seed);
    }

    /**
     * This configuration with another top-p.
     *
     * @param v the total probability kept (1 = off)
     * @return the new configuration
     */
    public SamplerConfig withTopP(double v) {
        return new SamplerConfig(temperature, v, topK, minP, presencePenalty, frequencyPenalty, penaltyDecay, bannedTokens, logitBias, seed);
    }

    /**
     * This configuration with another top-k.
     *
     * @param v the most tokens kept (0 = off)
     * @return the new configuration
     */
    public SamplerConfig withTopK(int v) {
        return new SamplerConfig(temperature, topP, v, minP, presencePenalty, frequencyPenalty, penaltyDecay, bannedTokens, logitBias, seed);
    }

    /**
     * This configuration with another min-p.
     *
     * @param v the least probability kept, relative to the top one (0 = off)
     * @return the new configuration
     */
    public SamplerConfig withMinP(double v) {
        return new SamplerConfig(temperature, topP, topK, v, presencePenalty, frequencyPenalty, penaltyDecay, bannedTokens, logitBias, seed);
    }

    /**
     * This configuration with another presence penalty.
     *
     * @param v subtracted once from the logit of every token generated so far
     * @return the new configuration
     */
    public SamplerConfig withPresencePenalty(double v) {
        return new SamplerConfig(temperature, topP, topK, minP, v, frequencyPenalty, penaltyDecay, bannedTokens, logitBias, seed);
    }

    /**
     * This configuration with another frequency penalty.
     *
     * @param v subtracted per (decayed) occurrence of a token generated so far
     * @return the new configuration
     */
    public SamplerConfig withFrequencyPenalty(double v) {
        return new SamplerConfig(temperature, topP, topK, minP, presencePenalty, v, penaltyDecay, bannedTokens, logitBias, seed);
    }

    /**
     * This configuration with another penalty decay.
     *
     * @param v factor applied to every occurrence count after each step (1 = no decay)
     * @return the new configuration
     */
    public SamplerConfig withPenaltyDecay(double v) {
        return new SamplerConfig(temperature, topP, topK, minP, presencePenalty, frequencyPenalty, v, bannedTokens, logitBias, seed);
    }

    /**
     * This configuration with other banned tokens.
     *
     * @param ids ids that are never generated
     * @return the new configuration
     */
    public SamplerConfig withBannedTokens(List<Integer> ids) {
        return new SamplerConfig(temperature, topP, topK, minP, presencePenalty, frequencyPenalty, penaltyDecay, ids, logitBias, seed);
    }

    /**
     * This configuration with another logit bias.
     *
     * @param bias added to the logits of the given ids before anything else
     * @return the new configuration
     */
    public SamplerConfig withLogitBias(Map<Integer, Float> bias) {
        return new SamplerConfig(temperature, topP, topK, minP, presencePenalty, frequencyPenalty, penaltyDecay, bannedTokens, bias, seed);
    }

    /**
     * This configuration with another seed.
     *
     * @param v the random seed; null picks one at random
     * @return the new configuration
     */
    public SamplerConfig withSeed(Long v) {
        return new SamplerConfig(temperature, topP, topK, minP, presencePenalty, frequencyPenalty, penaltyDecay, bannedTokens, logitBias, v);
    }

    @Override
    public String toString() {
        if (isGreedy() && presencePenalty == 0 && frequencyPenalty == 0 && bannedTokens.isEmpty() && logitBias.isEmpty()) {
            return "greedy";
        }
        return String.format(java.util.Locale.ROOT,
                "temperature %.3g, top-p %.3g, top-k %d, min-p %.3g, presence %.3g, frequency %.3g, decay %.4g%s%s%s",
                temperature, topP, topK, minP, presencePenalty, frequencyPenalty, penaltyDecay,
                bannedTokens.isEmpty() ? "" : ", banned " + bannedTokens,
                logitBias.isEmpty() ? "" : ", bias " + logitBias,
                seed == null ? "" : ", seed " + seed);
    }

    static int checkedId(int id, int vocab, String what) {
        if (id >= vocab) {
            throw new IllegalArgumentException(what + " token id " + id + " is out of range: the vocabulary has "
                    + vocab + " ids (0.." + (vocab - 1) + ")");
        }
        return Objects.checkIndex(id, vocab);
    }
}
