package dev.rwkvjava.eval;

/**
 * A model's prediction of one token of a scored sequence.
 *
 * @param index      the token's position in the sequence
 * @param token      its id
 * @param logProb    the natural logarithm of the probability the model gave it: the log-softmax of the logits that
 *                   came out after the tokens before it, at its id (computed in double precision)
 * @param argmax     the id of the largest of those logits, the greedy choice (the lowest such id on ties)
 * @param divergence how a base model's prediction at the same position differs, or null when there is no base
 */
public record TokenPrediction(int index, int token, double logProb, int argmax, Divergence divergence) {

    /** {@return whether greedy decoding would have produced this token} */
    public boolean greedy() {
        return argmax == token;
    }

    /**
     * A model's next-token distribution against a base model's, at one position.
     *
     * @param kl              the KL divergence of the model from the base, KL(base ‖ model) = Σᵢ pᵢ (ln pᵢ − ln qᵢ)
     *                        with p the base's softmax and q the model's, in nats (llama.cpp's direction: how much
     *                        information is lost by using the model in place of the base)
     * @param baseArgmax      the base's greedy choice
     * @param maxAbsLogitDiff the largest |model logit − base logit| over the vocabulary
     */
    public record Divergence(double kl, int baseArgmax, double maxAbsLogitDiff) {
    }
}
