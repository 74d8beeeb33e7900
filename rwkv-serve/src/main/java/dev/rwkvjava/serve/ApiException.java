package dev.rwkvjava.serve;

/**
 * A request the server refuses, with what the client is told: the HTTP status and an OpenAI-shaped error object
 * ({@code {"error": {"message", "type", "param", "code"}}}). {@code param} names the request field at fault.
 */
final class ApiException extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final String code;
    private final Integer retryAfterSeconds;

    ApiException(int status, String type, String param, String code, String message, Integer retryAfterSeconds) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 400: a field is missing, of the wrong type or out of range. */
    static ApiException invalid(String param, String message) {
        return new ApiException(400, "invalid_request_error", param, null, message, null);
    }

    /** 400 with an OpenAI error code (e.g. {@code context_length_exceeded}). */
    static ApiException invalid(String param, String code, String message) {
        return new ApiException(400, "invalid_request_error", param, code, message, null);
    }

    /** 429: no stream and no queue place is free, or the wait for one was too long. */
    static ApiException overloaded(String message, int retryAfterSeconds) {
        return new ApiException(429, "rate_limit_error", null, "rate_limit_exceeded", message, retryAfterSeconds);
    }

    /** 503: the server is shutting down. */
    static ApiException unavailable(String message) {
        return new ApiException(503, "server_error", null, "server_shutting_down", message, 5);
    }

    static ApiException unauthorized() {
        return new ApiException(401, "invalid_request_error", null, "invalid_api_key",
                "missing or incorrect API key: send the header 'Authorization: Bearer KEY'", null);
    }

    static ApiException notFound(String message) {
        return new ApiException(404, "invalid_request_error", null, "not_found", message, null);
    }

    static ApiException methodNotAllowed(String method, String path, String allowed) {
        return new ApiException(405, "invalid_request_error", null, "method_not_allowed",
                method + " is not allowed on " + path + "; use " + allowed, null);
    }

    static ApiException tooLarge(String message) {
        return new ApiException(413, "invalid_request_error", null, "request_too_large", message, null);
    }

    static ApiException internal(String message) {
        return new ApiException(500, "server_error", null, null, message, null);
    }

    int status() {
        return status;
    }

    String type() {
        return type;
    }

    String param() {
        return param;
    }

    String code() {
        return code;
    }

    /** Seconds for the {@code Retry-After} header, or null for none. */
    Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
