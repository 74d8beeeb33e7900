package dev.rwkvjava.hub;

import java.io.IOException;

/** A hub request that failed for a reason worth telling the user (not found, access denied, bad data). */
public class HubException extends IOException {
    private static final long serialVersionUID = 1L;
    /** The HTTP status that caused the failure, or 0. */
    private final int status;

    /**
     * A failure caused by an HTTP status.
     *
     * @param message what went wrong
     * @param status  the HTTP status
     */
    public HubException(String message, int status) {
        super(message);
        this.status = status;
    }

    /**
     * A failure not caused by an HTTP status.
     *
     * @param message what went wrong
     */
    public HubException(String message) {
        this(message, 0);
    }

    /** {@return the HTTP status that caused it, or 0} */
    public int status() {
        return status;
    }
}
