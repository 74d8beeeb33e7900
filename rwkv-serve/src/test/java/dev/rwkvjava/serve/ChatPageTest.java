package dev.rwkvjava.serve;

import dev.rwkvjava.RwkvModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The web chat's files over plain HTTP: the page and its assets are served without the API key (the API is not),
 * with their types, a content security policy that allows this origin only, and revalidation by ETag; everything
 * the page loads is one of its own assets, so it works offline.
 */
class ChatPageTest {
    static final String KEY = "page-test-key";
    static RwkvModel model;
    static RwkvServer server;

    @BeforeAll
    static void start() throws Exception {
        model = ServeTestData.tinyV4();
        server = RwkvServer.start(model, ServeTestData.bytes(), ServerConfig.defaults().withPort(0).withApiKey(KEY));
    }

    @AfterAll
    static void stop() {
        server.close();
        model.close();
    }

    @Test
    void thePageAndItsAssetsNeedNoKeyWhileTheApiDoes() {
        int port = server.port();
        Http.Response page = Http.get(port, "/");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(page.body()).contains("<textarea id=\"input\"", "role=\"log\"", "aria-live=\"polite\"");
        String policy = page.headers().firstValue("Content-Security-Policy").orElseThrow();
        assertThat(policy).contains("default-src 'none'", "script-src 'self'", "connect-src 'self'");
        assertThat(page.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(Http.get(port, "/chat/chat.js").headers().firstValue("Content-Type"))
                .hasValue("text/javascript; charset=utf-8");
        assertThat(Http.get(port, "/chat/chat.css").headers().firstValue("Content-Type"))
                .hasValue("text/css; charset=utf-8");
        assertThat(Http.get(port, "/v1/models").status()).isEqualTo(401);
        assertThat(Http.get(port, "/v1/models", "Authorization", "Bearer " + KEY).status()).isEqualTo(200);
    }

    @Test
    void everythingThePageLoadsIsItsOwn() {
        int port = server.port();
        String html = Http.get(port, "/").body();
        Matcher m = Pattern.compile("(?:src|href)=\"([^\"]*)\"").matcher(html);
        int assets = 0;
        while (m.find()) {
            String ref = m.group(1);
            if (ref.startsWith("data:")) {
                continue;
            }
            assertThat(ref).as("a reference of the page").startsWith(ChatPage.ASSET_PREFIX);
            assertThat(Http.get(port, ref).status()).as(ref).isEqualTo(200);
            assets++;
        }
        assertThat(assets).isEqualTo(2);
        for (String asset : new String[]{"/", "/chat/chat.js", "/chat/chat.css"}) {
            String body = Http.get(port, asset).body();
            assertThat(body).as(asset).doesNotContain("http://", "https://", "@import", "url(");
        }
    }

    @Test
    void unknownFilesWrongMethodsAndRevalidation() {
        int port = server.port();
        assertThat(Http.get(port, "/chat/missing.js").status()).isEqualTo(404);
        assertThat(Http.get(port, "/chat/").status()).isEqualTo(404);
        assertThat(Http.get(port, "/index.html", "Authorization", "Bearer " + KEY).status()).isEqualTo(404);
        Http.Response post = Http.post(port, "/", "{}");
        assertThat(post.status()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).hasValue("GET");
        String etag = Http.get(port, "/chat/chat.js").headers().firstValue("ETag").orElseThrow();
        assertThat(Http.get(port, "/chat/chat.js", "If-None-Match", etag).status()).isEqualTo(304);
        assertThat(Http.get(port, "/chat/chat.js", "If-None-Match", "\"other\"").status()).isEqualTo(200);
        assertThat(server.metricsText()).contains("rwkv_requests_total{endpoint=\"page\",status=\"200\"}");
    }
}
