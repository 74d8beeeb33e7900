package dev.rwkvjava.generate;

import java.util.function.Consumer;

/**
 * Receives generated output as it is produced. Every method has a default, so implement only what you need, or use
 * {@link #text(Consumer)}: {@code session.generate(prompt, config, GenerationListener.text(System.out::print))}.
 *
 * <p>{@link #onToken} is called for every generated token (stop tokens excluded) as soon as it is chosen;
 * {@link #onText} with each piece of text once it is final: complete UTF-8 characters only, and never any part of
 * a stop string (text that could still turn out to begin one is held back until it cannot).
 */
public interface GenerationListener {

    /**
     * A token was generated.
     *
     * @param tokenId its id
     */
    default void onToken(int tokenId) {
    }

    /**
     * A piece of text is final.
     *
     * @param text the piece, never empty
     */
    default void onText(String text) {
    }

    /**
     * Polled once per token.
     *
     * @return true to end generation ({@link FinishReason#CANCELLED})
     */
    default boolean stopRequested() {
        return false;
    }

    /** {@return a listener that ignores everything} */
    static GenerationListener none() {
        return new GenerationListener() {
        };
    }

    /**
     * A listener that passes each text piece on.
     *
     * @param sink receives the text pieces
     * @return the listener
     */
    static GenerationListener text(Consumer<String> sink) {
        return new GenerationListener() {
            @Override
            public void onText(String text) {
                sink.accept(text);
            }
        };
    }
}
