package dev.rwkvjava.serve;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Reading request bodies and writing responses. */
final class HttpIo {
    /** Nesting deeper than any OpenAI request needs is refused while parsing (so is a number of 1000+ digits). */
    static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64)
                            .maxNumberLength(1000).build())
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS.mappedFeature())
            .build();

    private HttpIo() {
    }

    /** The body, at most {@code max} bytes (413 beyond, checked against Content-Length before reading). */
    static byte[] readBody(HttpExchange ex, int max) throws IOException {
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.trim()) > max) {
                    throw ApiException.tooLarge("the request body has " + length.trim() + " bytes; the limit is "
                            + max);
                }
            } catch (NumberFormatException e) {
                throw ApiException.invalid(null, "Content-Length is not a number");
            }
        }
        try (InputStream in = ex.getRequestBody()) {
            byte[] b = in.readNBytes(max + 1);
            if (b.length > max) {
                throw ApiException.tooLarge("the request body has more than " + max + " bytes, the limit");
            }
            return b;
        }
    }

    /** The body as a JSON object (400 for malformed JSON, invalid UTF-8 or anything but an object). */
    static ObjectNode parseObject(byte[] body) {
        JsonNode n;
        try {
            n = JSON.readTree(body);
        } catch (IOException e) {
            throw ApiException.invalid(null, "the request body is not valid JSON: " + firstLine(e.getMessage()));
        }
        if (n == null || !n.isObject()) {
            throw ApiException.invalid(null, "the request body must be a JSON object, got "
                    + (n == null ? "nothing" : Fields.kind(n)));
        }
        return (ObjectNode) n;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int nl = s.indexOf('\n');
        return Fields.abbreviate(nl < 0 ? s : s.substring(0, nl)).replace("\r", "");
    }

    static void sendJson(HttpExchange ex, int status, JsonNode body) throws IOException {
        send(ex, status, "application/json", JSON.writeValueAsBytes(body));
    }

    static void send(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    static ObjectNode errorBody(ApiException e) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode err = root.putObject("error");
        err.put("message", e.getMessage());
        err.put("type", e.type());
        if (e.param() == null) {
            err.putNull("param");
        } else {
            err.put("param", e.param());
        }
        if (e.code() == null) {
            err.putNull("code");
        } else {
            err.put("code", e.code());
        }
        return root;
    }

    static void sendError(HttpExchange ex, ApiException e) throws IOException {
        if (e.retryAfterSeconds() != null) {
            ex.getResponseHeaders().set("Retry-After", Integer.toString(e.retryAfterSeconds()));
        }
        sendJson(ex, e.status(), errorBody(e));
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
