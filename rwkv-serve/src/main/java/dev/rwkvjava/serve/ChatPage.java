package dev.rwkvjava.serve;

import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * The web chat: one static page at {@code /} and its two assets under {@code /chat/}, read once from the jar. The page
 * talks to this server's own {@code /v1/chat/completions}; it is served without the API key (it holds nothing secret
 * and asks for the key when the API answers 401).
 *
 * <p>The content security policy allows only this origin's own script, style and API calls, so the page works
 * offline and nothing injected into it (a model's answer is always inserted as text) could run or call elsewhere.
 */
final class ChatPage {
    /** Where the assets live in the jar. */
    private static final String RESOURCES = "/dev/rwkvjava/serve/chat/";
    static final String ASSET_PREFIX = "/chat/";

    private static final String POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
            + "connect-src 'self'; img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

    private record Asset(byte[] body, String type, String etag) {
    }

    private static final Map<String, Asset> ASSETS = Map.of(
            "/", load("index.html", "text/html; charset=utf-8"),
            ASSET_PREFIX + "chat.js", load("chat.js", "text/javascript; charset=utf-8"),
            ASSET_PREFIX + "chat.css", load("chat.css", "text/css; charset=utf-8"));

    private ChatPage() {
    }

    /** Whether {@code path} is the page or under the assets' path (an unknown asset is then a 404 from here). */
    static boolean owns(String path) {
        return path.equals("/") || path.startsWith(ASSET_PREFIX);
    }

    /** Sends the page or asset at {@code path} (a 304 when the client's copy is current). */
    static void send(HttpExchange ex, String path) throws IOException {
        Asset a = ASSETS.get(path);
        if (a == null) {
            throw ApiException.notFound("no file " + Fields.abbreviate(path));
        }
        var h = ex.getResponseHeaders();
        h.set("ETag", a.etag());
        h.set("Cache-Control", "no-cache");
        h.set("X-Content-Type-Options", "nosniff");
        h.set("Referrer-Policy", "no-referrer");
        h.set("Content-Security-Policy", POLICY);
        if (a.etag().equals(ex.getRequestHeaders().getFirst("If-None-Match"))) {
            ex.sendResponseHeaders(304, -1);
            return;
        }
        HttpIo.send(ex, 200, a.type(), a.body());
    }

    private static Asset load(String name, String type) {
        try (InputStream in = ChatPage.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) {
                throw new IllegalStateException("the web chat's " + name + " is missing from the jar");
            }
            byte[] body = in.readAllBytes();
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(body);
            return new Asset(body, type, "\"" + HexFormat.of().formatHex(digest, 0, 12) + "\"");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the web chat's " + name, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from this JVM", e);
        }
    }
}
