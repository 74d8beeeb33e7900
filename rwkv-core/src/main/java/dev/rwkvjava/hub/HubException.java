package dev.rwkvjava.hub;

import java.io.IOException;

/** A hub request that failed for a reason worth telling the user (not found, access denied, bad data). */
public class HubException extends IOException {
    private static final long serialVersionUID = 1L;
    private final int status;

    public HubException(String message, int status) {
        super(message);
        this.status = status;
    }

    public HubException(String message) {
        this(message, 0);
    }

    /** The HTTP status that caused it, or 0. */
    public int status() {
        return status;
    }
}
