package dev.rwkvjava.serve;

import dev.rwkvjava.sampling.SamplerConfig;
import dev.rwkvjava.state.State;

import java.util.List;
import java.util.Objects;

/**
 * One generation as the engine sees it, after the HTTP layer has checked and tokenized the request.
 *
 * @param prompt        tokens to feed (may be empty when {@code initialLogits} is given)
 * @param initialState  the state to start from (a passed state), or null for the zero state (then the prefix cache
 *                      may supply a prefix)
 * @param initialLogits the logits after the initial state's last token, or null
 * @param maxTokens     most tokens to generate (0: only feed the prompt)
 * @param stopStrings   texts that end the reply (not part of it)
 * @param topLogprobs   -1 for no log-probabilities, else the number of alternatives to report per token (0-20)
 * @param returnState   whether the state after the last generated token is wanted
 * @param receivedNanos when the request arrived ({@link System#nanoTime()}), for the time-to-first-token histogram
 */
record GenerationRequest(int[] prompt, State initialState, float[] initialLogits, SamplerConfig sampler,
                         int maxTokens, List<String> stopStrings, boolean ignoreEos, int topLogprobs,
                         boolean returnState, long receivedNanos) {
    GenerationRequest {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(sampler, "sampler");
        stopStrings = List.copyOf(stopStrings);
        if (prompt.length == 0 && initialLogits == null) {
            throw new IllegalArgumentException("an empty prompt needs a starting state with logits");
        }
    }
}
