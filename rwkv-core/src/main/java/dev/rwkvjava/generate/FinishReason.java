package dev.rwkvjava.generate;

/** Why generation ended. {@link #label()} is the stable name used in JSON output. */
public enum FinishReason {
    /** The token limit was reached. */
    LENGTH("length"),
    /** A stop token (end-of-text, or one of the configured ids) was sampled; it is not part of the output. */
    STOP_TOKEN("stop_token"),
    /** A stop string appeared in the text; the text ends just before it. */
    STOP_STRING("stop_string"),
    /** The listener asked to stop. */
    CANCELLED("cancelled");

    private final String label;

    FinishReason(String label) {
        this.label = label;
    }

    /** {@return the stable lower-case name used in JSON output} */
    public String label() {
        return label;
    }

    @Override
    public String toString() {
        return label;
    }
}
