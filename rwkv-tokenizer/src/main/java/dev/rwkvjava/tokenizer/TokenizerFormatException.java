package dev.rwkvjava.tokenizer;

/** A tokenizer file that cannot be read as what it claims to be; the message names the file and, where known, the line. */
public final class TokenizerFormatException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /**
     * A malformed tokenizer file.
     *
     * @param message what is wrong, naming the file
     */
    public TokenizerFormatException(String message) {
        super(message);
    }

    /**
     * A malformed tokenizer file, found through another exception.
     *
     * @param message what is wrong, naming the file
     * @param cause   the exception that revealed it
     */
    public TokenizerFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
