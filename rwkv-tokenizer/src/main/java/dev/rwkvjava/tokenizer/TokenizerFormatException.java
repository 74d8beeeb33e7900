package dev.rwkvjava.tokenizer;

/** A tokenizer file that cannot be read as what it claims to be; the message names the file and, where known, the line. */
public final class TokenizerFormatException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public TokenizerFormatException(String message) {
        super(message);
    }

    public TokenizerFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
