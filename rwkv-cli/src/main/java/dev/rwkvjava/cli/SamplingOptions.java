package dev.rwkvjava.cli;

import dev.rwkvjava.sampling.SamplerConfig;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Sampling options; each command starts from its own defaults and these override them. */
final class SamplingOptions {

    @Option(names = "--temperature", paramLabel = "T", description = "0 = greedy (argmax); higher = more random.")
    Double temperature;

    @Option(names = "--top-p", paramLabel = "P", description = "Keep the likeliest tokens up to total probability P (1 = off).")
    Double topP;

    @Option(names = "--top-k", paramLabel = "K", description = "Keep at most K tokens (0 = off).")
    Integer topK;

    @Option(names = "--min-p", paramLabel = "P", description = "Keep tokens at least P times as likely as the likeliest (0 = off).")
    Double minP;

    @Option(names = "--presence-penalty", paramLabel = "X", description = "Subtracted from the logit of every token already generated.")
    Double presence;

    @Option(names = "--frequency-penalty", paramLabel = "X", description = "Subtracted per (decayed) occurrence of a generated token.")
    Double frequency;

    @Option(names = "--penalty-decay", paramLabel = "D", description = "Occurrence counts are multiplied by D after each token (default 0.996).")
    Double decay;

    @Option(names = "--seed", paramLabel = "N", description = "Random seed: the same seed, settings and input give the same output.")
    Long seed;

    @Option(names = "--ban", split = ",", paramLabel = "ID", description = "Token ids never to generate (comma-separated).")
    List<Integer> banned;

    @Option(names = "--logit-bias", split = ",", paramLabel = "ID=X", description = "Add X to the logit of token ID (comma-separated pairs).")
    List<String> bias;

    SamplerConfig apply(SamplerConfig base) {
        SamplerConfig c = base;
        if (temperature != null) {
            c = c.withTemperature(temperature);
        }
        if (topP != null) {
            c = c.withTopP(topP);
        }
        if (topK != null) {
            c = c.withTopK(topK);
        }
        if (minP != null) {
            c = c.withMinP(minP);
        }
        if (presence != null) {
            c = c.withPresencePenalty(presence);
        }
        if (frequency != null) {
            c = c.withFrequencyPenalty(frequency);
        }
        if (decay != null) {
            c = c.withPenaltyDecay(decay);
        }
        if (seed != null) {
            c = c.withSeed(seed);
        }
        if (banned != null) {
            c = c.withBannedTokens(new ArrayList<>(banned));
        }
        if (bias != null) {
            Map<Integer, Float> m = new LinkedHashMap<>();
            for (String pair : bias) {
                int eq = pair.indexOf('=');
                try {
                    m.put(Integer.parseInt(pair.substring(0, eq).trim()), Float.parseFloat(pair.substring(eq + 1).trim()));
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("--logit-bias '" + pair + "': expected ID=VALUE, e.g. 187=-2.5");
                }
            }
            c = c.withLogitBias(m);
        }
        return c;
    }
}
