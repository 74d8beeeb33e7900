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
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
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

    /**
     * Bytes of an oversized body read (and dropped) before the 413 is sent: a client that is still sending when the
     * connection closes sees a reset instead of the answer, so a body up to this much larger than the limit is
     * read to its end first.
     */
    private static final long DRAIN_BYTES = 8L << 20;

    /** The body, at most {@code max} bytes (413 beyond, checked against Content-Length before reading). */
    static byte[] readBody(HttpExchange ex, int max) throws IOException {
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        try (InputStream in = ex.getRequestBody()) {
            if (length != null) {
                long declared;
                try {
                    declared = Long.parseLong(length.trim());
                } catch (NumberFormatException e) {
                    throw ApiException.invalid(null, "Content-Length is not a number");
                }
                if (declared > max) {
                    if (declared - max <= DRAIN_BYTES) {
                        in.skipNBytes(declared);
                    }
                    ex.getResponseHeaders().set("Connection", "close");
                    throw ApiException.tooLarge("the request body has " + declared + " bytes; the limit is " + max);
                }
            }
            byte[] b = in.readNBytes(max + 1);
            if (b.length > max) {
                in.skip(DRAIN_BYTES);
                ex.getResponseHeaders().set("Connection", "close");
                throw ApiException.tooLarge("the request body has more than " + max + " bytes, the limit");
            }
            return b;
        }
    }

    /**
     * The body as a JSON object (400 for malformed JSON, invalid UTF-8 or anything but an object). The bytes are
     * decoded strictly first: the JSON parser lets overlong forms and encoded surrogates through.
     */
    static ObjectNode parseObject(byte[] body) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw ApiException.invalid(null, "the request body is not valid UTF-8");
        }
        JsonNode n;
        try {
            n = JSON.readTree(text);
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
