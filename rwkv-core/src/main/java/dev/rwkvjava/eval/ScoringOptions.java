package dev.rwkvjava.eval;

/**
 * How {@link TokenScorer} walks a token sequence.
 *
 * <p>The sequence is cut into consecutive windows of {@code context} tokens (the last one may be shorter), and each
 * window is run from the zero state: at a window boundary the recurrent state is reset, so no token sees context
 * from an earlier window. Inside a window token {@code i + 1} is predicted from tokens {@code 0..i}. A window's
 * first token has nothing before it: without a start token it is context only (not scored); with one, the start
 * token is fed first and every token of the window is scored.
 *
 * @param context    tokens per window, or 0 for one window over the whole sequence (an RNN needs no window)
 * @param startToken a token id fed before every window (e.g. 0, end-of-text in the World and Pile vocabularies), or
 *                   {@link #NO_START_TOKEN}
 */
public record ScoringOptions(int context, int startToken) {

    /** No start token: each window's first token is context only. */
    public static final int NO_START_TOKEN = -1;

    /**
     * Options.
     *
     * @throws IllegalArgumentException when the context is negative, or 1 without a start token, or the start token
     *                                  is a negative id other than {@link #NO_START_TOKEN}
     */
    public ScoringOptions {
        if (context < 0) {
            throw new IllegalArgumentException("context must be >= 0 (0: the whole sequence), got " + context);
        }
        if (startToken < NO_START_TOKEN) {
            throw new IllegalArgumentException("start token must be a token id >= 0, got " + startToken);
        }
        if (context == 1 && startToken == NO_START_TOKEN) {
            throw new IllegalArgumentException("a context of 1 token predicts nothing without a start token: "
                    + "use at least 2");
        }
    }

    /** {@return one window over the whole sequence, no start token} */
    public static ScoringOptions defaults() {
        return new ScoringOptions(0, NO_START_TOKEN);
    }

    /**
     * These options with windows of n tokens.
     *
     * @param n tokens per window (0: one window)
     * @return the new options
     */
    public ScoringOptions withContext(int n) {
        return new ScoringOptions(n, startToken);
    }

    /**
     * These options with a start token.
     *
     * @param id the token fed before every window ({@link #NO_START_TOKEN}: none)
     * @return the new options
     */
    public ScoringOptions withStartToken(int id) {
        return new ScoringOptions(context, id);
    }

    /** {@return whether a start token is fed before every window} */
    public boolean hasStartToken() {
        return startToken != NO_START_TOKEN;
    }

    /**
     * How many windows a sequence is cut into.
     *
     * @param tokens the sequence's length
     * @return the number of windows
     */
    public long windows(int tokens) {
        if (tokens <= 0) {
            return 0;
        }
        return context == 0 ? 1 : (tokens + (long) context - 1) / context;
    }

    /**
     * How many tokens of a sequence are scored: all but each window's first, or all.
     *
     * @param tokens the sequence's length
     * @return the number of scored tokens
     */
    public long predictions(int tokens) {
        return hasStartToken() ? Math.max(0, tokens) : Math.max(0, tokens - windows(tokens));
    }
}
