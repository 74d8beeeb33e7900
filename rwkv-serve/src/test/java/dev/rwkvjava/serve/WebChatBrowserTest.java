package dev.rwkvjava.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.generate.ChatTemplate;
import dev.rwkvjava.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The web chat in a real headless Chromium, against servers on loopback running the tiny byte-level RWKV-4 model.
 * Each answer the page streams is compared with the API's greedy answer to the same conversation, fetched over plain
 * HTTP; regenerate, new conversation, saving to a file and going on from it on a new server, the API key, a 429, stop
 * and a dropped connection are driven through the page as a person would (keys and clicks).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class WebChatBrowserTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    /** A finished answer, kept as a test artifact (the README shows a copy from docs/). */
    static final Path SCREENSHOT = Path.of("target", "webchat.png");

    @TempDir
    static Path tmp;
    static RwkvModel model;
    static final Tokenizer TOK = ServeTestData.bytes();
    static ChromeDriver driver;
    static Path downloads;

    @BeforeAll
    static void start() throws IOException {
        model = ServeTestData.tinyV4();
        downloads = Files.createDirectories(tmp.resolve("downloads"));
        driver = Browser.start(Files.createDirectories(tmp.resolve("profile")), downloads);
    }

    @AfterAll
    static void stop() {
        if (driver != null) {
            driver.quit();
        }
        if (model != null) {
            model.close();
        }
    }

    private static RwkvServer serve(ServerConfig c) throws IOException {
        return RwkvServer.start(model, TOK, c.withPort(0));
    }

    // ---- the page ----

    private static <T> T await(Function<WebDriver, T> condition) {
        try {
            return new WebDriverWait(driver, WAIT, Duration.ofMillis(20)).until(condition::apply);
        } catch (TimeoutException e) {
            throw new AssertionError("the page did not get there within " + WAIT.toSeconds() + " s; it shows:\n"
                    + js("return [...document.querySelectorAll('#log li')].map(e => e.className + ': '"
                    + " + e.textContent.slice(0, 300)).join('\\n')"), e);
        }
    }

    private static WebElement byId(String id) {
        return driver.findElement(By.id(id));
    }

    private static Object js(String script, Object... args) {
        return driver.executeScript(script, args);
    }

    /** Opens the page of {@code s} and waits until it has asked for the model. */
    private static void open(RwkvServer s) {
        driver.get("http://127.0.0.1:" + s.port() + "/");
        awaitReady();
    }

    private static void awaitReady() {
        await(d -> "true".equals(d.findElement(By.tagName("body")).getDomAttribute("data-ready")));
    }

    private static void setNumber(String id, String value) {
        WebElement e = byId(id);
        e.clear();
        e.sendKeys(value);
    }

    /**
     * Greedy decoding (temperature 0) with the page's default penalties (presence and frequency 0.5: without them the
     * tiny model repeats one word), at most {@code maxTokens} tokens per answer.
     */
    private static void greedy(int maxTokens) {
        setNumber("temperature", "0");
        setNumber("max-tokens", Integer.toString(maxTokens));
    }

    /** Answers ended so far on this page (finished, stopped or failed). */
    private static int finished() {
        String f = driver.findElement(By.tagName("body")).getDomAttribute("data-finished");
        return f == null ? 0 : Integer.parseInt(f);
    }

    private static void awaitFinished(int count) {
        await(d -> finished() >= count);
    }

    /** Types {@code text}, presses Enter and waits until the answer has ended; returns its text. */
    private static String say(String text) {
        int before = finished();
        WebElement input = byId("input");
        input.sendKeys(text);
        input.sendKeys(Keys.ENTER);
        awaitFinished(before + 1);
        return lastText("assistant");
    }

    /** The text of the entries of a kind (user, assistant, notice, error), exactly as in the document. */
    @SuppressWarnings("unchecked")
    private static List<String> texts(String kind) {
        return (List<String>) js("return [...document.querySelectorAll('#log li.' + arguments[0] + ' .text')]"
                + ".map(e => e.textContent);", kind);
    }

    private static String lastText(String kind) {
        List<String> t = texts(kind);
        return t.isEmpty() ? null : t.getLast();
    }

    /** The figures shown under the last answer. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> lastStats() {
        return (Map<String, Object>) js("const s = [...document.querySelectorAll('#log li.assistant .stats')].pop();"
                + "return Object.assign({text: s.textContent}, s.dataset);");
    }

    private static void click(String id) {
        await(d -> d.findElement(By.id(id)).isEnabled());
        byId(id).click();
    }

    // ---- the API, over plain HTTP ----

    /** The API's greedy answer (penalties as {@link #greedy}) to a conversation given as role, content, .... */
    private static JsonNode apiGreedy(RwkvServer s, int maxTokens, String[] auth, String... conversation) {
        ObjectNode body = Http.JSON.createObjectNode();
        ArrayNode messages = body.putArray("messages");
        for (int i = 0; i < conversation.length; i += 2) {
            messages.addObject().put("role", conversation[i]).put("content", conversation[i + 1]);
        }
        body.put("temperature", 0).put("top_p", 0.3).put("presence_penalty", 0.5).put("frequency_penalty", 0.5)
                .put("max_tokens", maxTokens);
        Http.Response r = Http.post(s.port(), "/v1/chat/completions", body.toString(), auth);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    private static String apiAnswer(RwkvServer s, int maxTokens, String... conversation) {
        return apiGreedy(s, maxTokens, new String[0], conversation).at("/choices/0/message/content").asText();
    }

    // ---- the tests ----

    @Test
    void streamedAnswersEqualTheApisGreedyAnswersAndRegenerateAndNewConversationWork() throws IOException {
        try (RwkvServer s = serve(ServerConfig.defaults())) {
            open(s);
            assertThat(byId("model-name").getText()).isEqualTo("rwkv");
            greedy(40);
            String q1 = "Hello! Who are you?";
            String a1 = say(q1);
            assertThat(a1).isNotBlank().isEqualTo(apiAnswer(s, 40, "user", q1));
            JsonNode usage1 = apiGreedy(s, 40, new String[0], "user", q1).get("usage");
            Map<String, Object> st1 = lastStats();
            assertThat(st1.get("completionTokens")).isEqualTo(usage1.get("completion_tokens").asText());
            assertThat(st1.get("promptTokens")).isEqualTo(usage1.get("prompt_tokens").asText());
            assertThat(st1.get("cachedTokens")).isEqualTo("0"); // the first request this server saw
            assertThat((String) st1.get("text")).contains("tokens/s", "cached");

            String q2 = "Tell me a story about a cat.";
            String a2 = say(q2);
            assertThat(a2).isNotBlank().isEqualTo(apiAnswer(s, 40, "user", q1, "assistant", a1, "user", q2));
            // The second turn found the first in the prefix cache.
            assertThat(Integer.parseInt((String) lastStats().get("cachedTokens"))).isPositive();
            assertThat(texts("user")).containsExactly(q1, q2);
            assertThat(js("return getComputedStyle(document.querySelector('#log li.assistant .text')).userSelect"))
                    .isEqualTo("text");
            // Every control has a name a screen reader can say.
            assertThat(js("return [...document.querySelectorAll('input, textarea, button')]"
                    + ".filter(e => !(e.labels && e.labels.length) && !e.textContent.trim()"
                    + " && !e.getAttribute('aria-label')).map(e => e.id)")).isEqualTo(List.of());
            Files.createDirectories(SCREENSHOT.getParent());
            Files.write(SCREENSHOT, driver.getScreenshotAs(OutputType.BYTES));

            // Regenerate asks again for the last answer (greedy: the same text) and replaces it.
            String okChats = "rwkv_requests_total{endpoint=\"chat_completions\",status=\"200\"}";
            double chats = Http.metric(s.port(), okChats);
            int before = finished();
            click("regenerate");
            awaitFinished(before + 1);
            assertThat(texts("assistant")).containsExactly(a1, a2);
            assertThat(Http.metric(s.port(), okChats)).isEqualTo(chats + 1);

            // A new conversation starts empty: the same question now has only itself as its prompt.
            click("new-chat");
            assertThat(texts("user")).isEmpty();
            assertThat(texts("assistant")).isEmpty();
            String alone = say(q2);
            JsonNode single = apiGreedy(s, 40, new String[0], "user", q2);
            assertThat(alone).isEqualTo(single.at("/choices/0/message/content").asText());
            assertThat(lastStats().get("promptTokens")).isEqualTo(single.at("/usage/prompt_tokens").asText());
        }
    }

    @Test
    void enterSendsAndShiftEnterStartsANewLine() throws IOException {
        try (RwkvServer s = serve(ServerConfig.defaults())) {
            open(s);
            greedy(16);
            WebElement input = byId("input");
            input.sendKeys("line one");
            input.sendKeys(Keys.chord(Keys.SHIFT, Keys.ENTER));
            input.sendKeys("line two");
            assertThat(input.getDomProperty("value")).isEqualTo("line one\nline two");
            assertThat(texts("user")).isEmpty();
            int before = finished();
            input.sendKeys(Keys.ENTER);
            awaitFinished(before + 1);
            assertThat(texts("user")).containsExactly("line one\nline two");
            assertThat(input.getDomProperty("value")).isEmpty();
            assertThat(lastText("assistant")).isEqualTo(apiAnswer(s, 16, "user", "line one\nline two"));
            assertThat(driver.switchTo().activeElement()).isEqualTo(input);
        }
    }

    @Test
    void aSavedConversationGoesOnFromItsStateOnANewServer() throws Exception {
        String q1 = "What is the capital of France?";
        String q2 = "And of Italy?";
        Path file;
        String onFirst;
        try (RwkvServer first = serve(ServerConfig.defaults())) {
            open(first);
            greedy(40);
            say(q1);
            click("save");
            file = awaitDownload();
            JsonNode saved = Http.JSON.readTree(file.toFile());
            assertThat(saved.get("format").asText()).isEqualTo("rwkv-java-chat");
            assertThat(saved.get("messages")).hasSize(2);
            assertThat(saved.get("state").asText()).isNotEmpty();
            assertThat(saved.get("fingerprint").asText()).isEqualTo(
                    Http.get(first.port(), "/v1/models").json().at("/data/0/fingerprint").asText());
            assertThat(lastText("notice")).contains("Saved 2 messages");
            onFirst = say(q2);
            assertThat(onFirst).isNotBlank();
        }
        // A restart: another server, which has never seen the conversation.
        try (RwkvServer second = serve(ServerConfig.defaults())) {
            open(second);
            greedy(40);
            byId("load").sendKeys(file.toAbsolutePath().toString());
            await(d -> texts("user").size() == 1);
            assertThat(lastText("notice")).contains("Loaded 2 messages");
            assertThat(byId("regenerate").isEnabled()).as("an answer inside the saved state").isFalse();
            String onSecond = say(q2);
            assertThat(onSecond).isEqualTo(onFirst);
            // Only the new message was sent as text: the rest came from the state.
            assertThat(lastStats().get("promptTokens")).isEqualTo(
                    Integer.toString(TOK.encode("User: " + q2 + "\n\nAssistant:").length));
            // Saving again from a loaded conversation keeps all its messages.
            click("save");
            Path again = awaitDownload();
            assertThat(Http.JSON.readTree(again.toFile()).get("messages")).hasSize(4);
            // Files that are not a saved conversation of this model are refused, and the conversation stays.
            Path notJson = Files.writeString(tmp.resolve("notes.json"), "some notes");
            byId("load").sendKeys(notJson.toString());
            await(d -> texts("error").size() == 1);
            assertThat(lastText("error")).contains("notes.json", "not JSON");
            ObjectNode other = (ObjectNode) Http.JSON.readTree(again.toFile());
            other.put("fingerprint", "0".repeat(64)).put("model", "another");
            Path otherModel = Files.writeString(tmp.resolve("other-model.json"), other.toString());
            byId("load").sendKeys(otherModel.toString());
            await(d -> texts("error").size() == 2);
            assertThat(lastText("error")).contains("saved with another model (another)");
            assertThat(texts("user")).hasSize(2);
        }
    }

    /** Waits for a new finished download, takes it out of the downloads folder and returns it. */
    private static Path awaitDownload() throws IOException {
        Path found = await(d -> {
            try (Stream<Path> files = Files.list(downloads)) {
                return files.filter(p -> p.getFileName().toString().endsWith(".json")).findFirst().orElse(null);
            } catch (IOException e) {
                return null;
            }
        });
        Path kept = Files.createTempFile(tmp, "saved-", ".json");
        Files.move(found, kept, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return kept;
    }

    @Test
    void anApiKeyIsAskedForAtA401AndKeptForTheTabOnly() throws IOException {
        String key = "web-chat-secret";
        try (RwkvServer s = serve(ServerConfig.defaults().withApiKey(key))) {
            assertThat(Http.get(s.port(), "/").status()).as("the page itself needs no key").isEqualTo(200);
            driver.get("http://127.0.0.1:" + s.port() + "/");
            // The page reads the model at once and gets a 401: it asks. Cancelled, the 401 shows.
            await(d -> d.findElement(By.id("key-dialog")).isDisplayed());
            assertThat(byId("key-reason").getText()).contains("needs an API key");
            click("key-cancel");
            awaitReady();
            assertThat(lastText("error")).contains("HTTP 401", "API key");
            assertThat(byId("model-name").getText()).isEqualTo("unknown");
            // The message box has its focus back, and takes typing.
            WebElement input = byId("input");
            input.sendKeys("Hi there");
            assertThat(input.getDomProperty("value")).isEqualTo("Hi there");
            greedy(24);
            int before = finished();
            input.sendKeys(Keys.ENTER);
            // Sending meets the 401 again: a wrong key is refused, the right one is used and the answer comes.
            await(d -> d.findElement(By.id("key-dialog")).isDisplayed());
            byId("key-input").sendKeys("not-the-key", Keys.ENTER);
            await(d -> d.findElement(By.id("key-reason")).getText().contains("refused"));
            byId("key-input").sendKeys(key, Keys.ENTER);
            awaitFinished(before + 1);
            assertThat(byId("key-dialog").isDisplayed()).isFalse();
            assertThat(lastText("assistant")).isEqualTo(apiGreedy(s, 24, new String[]{"Authorization", "Bearer " + key},
                    "user", "Hi there").at("/choices/0/message/content").asText());
            assertThat(texts("error")).hasSize(1);
            assertThat(js("return sessionStorage.getItem('rwkv-chat-api-key')")).isEqualTo(key);
            assertThat(js("return localStorage.length")).isEqualTo(0L);
            // The tab keeps it: a reload does not ask again.
            driver.navigate().refresh();
            awaitReady();
            assertThat(byId("key-dialog").isDisplayed()).isFalse();
            assertThat(byId("model-name").getText()).isEqualTo("rwkv");
        }
    }

    @Test
    void aBusyServersRefusalIsShownAndRegenerateThenAnswers() throws Exception {
        try (RwkvServer s = serve(ServerConfig.defaults().withMaxStreams(1).withQueue(0).withMaxTokens(1_000_000))) {
            open(s);
            greedy(24);
            // One long request holds the only stream.
            Socket hold = Http.open(s.port(), "/v1/completions",
                    "{\"prompt\":\"Once\",\"max_tokens\":1000000,\"ignore_eos\":true,\"stream\":true}");
            try {
                Http.awaitMetric(s.port(), "rwkv_active_streams", 1);
                say("Are you there?");
                assertThat(lastText("error")).contains("busy", "HTTP 429", "Try again in 1 s");
                assertThat(texts("assistant")).isEmpty();
                assertThat(byId("regenerate").isEnabled()).isTrue();
            } finally {
                hold.close();
            }
            Http.awaitMetric(s.port(), "rwkv_active_streams", 0);
            int before = finished();
            click("regenerate");
            awaitFinished(before + 1);
            assertThat(texts("error")).isEmpty();
            assertThat(lastText("assistant")).isEqualTo(apiAnswer(s, 24, "user", "Are you there?"));
        }
    }

    @Test
    void stopEndsTheAnswerAndADroppedConnectionIsShown() throws Exception {
        // No chat format: no stop string, and a byte-level model has no end-of-text, so answers go on until cut.
        RwkvServer s = serve(ServerConfig.defaults().withTemplate(ChatTemplate.NONE).withMaxTokens(1_000_000));
        try {
            open(s);
            greedy(1_000_000);
            int before = finished();
            byId("input").sendKeys("Once upon a time", Keys.ENTER);
            // A long answer: the conversation scrolls, and follows the answer to its end.
            String overflowing = "const l = document.getElementById('log');"
                    + "return l.scrollHeight > 1.25 * l.clientHeight"
                    + " && l.scrollHeight - l.scrollTop - l.clientHeight < 48;";
            await(d -> (Boolean) js(overflowing));
            click("stop");
            awaitFinished(before + 1);
            assertThat(lastText("notice")).isEqualTo("Stopped.");
            assertThat((String) lastStats().get("text")).contains("stopped");
            assertThat(lastText("assistant")).hasSizeGreaterThan(1000);
            assertThat(texts("error")).isEmpty();
            Http.awaitMetric(s.port(), "rwkv_active_streams", 0); // the server noticed and freed the stream
            assertThat(Http.metric(s.port(), "rwkv_cancelled_total")).isEqualTo(1);
            assertThat((Boolean) js(overflowing)).isTrue();
            assertThat(byId("send").isEnabled()).isTrue();

            // A new conversation in the middle of an answer cuts it, and nothing of it stays.
            byId("input").sendKeys("Once more", Keys.ENTER);
            await(d -> texts("assistant").size() == 2 && lastText("assistant").length() > 200);
            click("new-chat");
            awaitFinished(before + 2);
            assertThat(js("return document.querySelectorAll('#log li').length")).isEqualTo(0L);
            Http.awaitMetric(s.port(), "rwkv_active_streams", 0);

            // The server goes away in the middle of the next answer.
            byId("input").sendKeys("And then", Keys.ENTER);
            await(d -> texts("assistant").size() == 1 && lastText("assistant").length() > 200);
            s.close();
            awaitFinished(before + 3);
            assertThat(lastText("error")).contains("connection");
            assertThat(byId("send").isEnabled()).isTrue();
        } finally {
            s.close();
        }
    }

    @Test
    void answersInManyScriptsAreShownExactly() throws IOException {
        // A random model with the World vocabulary answers in many scripts, its characters often made of several
        // tokens (the vocabulary's byte tokens).
        try (RwkvModel world = RwkvModel.load(ServeTestData.worldModel(tmp));
             RwkvServer s = RwkvServer.start(world, ServeTestData.world(), ServerConfig.defaults().withPort(0))) {
            open(s);
            greedy(40);
            String q = "東京の天気は? 🦆";
            String answer = say(q);
            assertThat(texts("user")).containsExactly(q);
            assertThat(answer).isEqualTo(apiAnswer(s, 40, "user", q));
            assertThat(answer.codePoints().filter(c -> c > 0x7ff).count()).as(answer).isGreaterThan(3);
        }
    }

    @Test
    void textSplitAcrossNetworkReadsIsDecodedWhole() throws IOException {
        try (RwkvServer s = serve(ServerConfig.defaults())) {
            open(s);
        }
        // Events with a two-byte and a four-byte character, CRLF, CR and LF line ends and a comment, cut into reads
        // of one byte, of 1, 2, 3, 1, 2, 3... bytes, and of 5, 7, 5...: every character and line end is split
        // somewhere.
        String stream = "data: {\"t\":\"h\u00e9\"}\r\n\r\ndata: {\"t\":\"\ud83d\ude00!\"}\n\n: keep-alive\n\n"
                + "data: a\ndata: b\r\rdata: [DONE]\n\n";
        for (List<Integer> sizes : List.of(List.of(1), List.of(1, 2, 3), List.of(5, 7))) {
            Object out = driver.executeAsyncScript("""
                    const [text, sizes, done] = arguments;
                    const bytes = new TextEncoder().encode(text);
                    const body = new ReadableStream({start(c) {
                      for (let i = 0, k = 0; i < bytes.length; k++) {
                        const n = sizes[k % sizes.length];
                        c.enqueue(bytes.slice(i, i + n));
                        i += n;
                      }
                      c.close();
                    }});
                    const events = [];
                    rwkvChat.readEvents(body, (d) => events.push(d)).then(() => done(events),
                        (e) => done('failed: ' + e));
                    """, stream, sizes);
            assertThat(out).as("reads of %s bytes", sizes).isEqualTo(List.of("{\"t\":\"h\u00e9\"}",
                    "{\"t\":\"\ud83d\ude00!\"}", "a\nb", "[DONE]"));
        }
        // A piece that ends inside a surrogate pair keeps its first half for the next piece (compared as UTF-16 code
        // units: a lone surrogate would not survive the trip back from the browser as text).
        String units = "return rwkvChat.splitSurrogate(String.fromCharCode(...arguments[0]))"
                + ".map(p => [...Array(p.length).keys()].map(i => p.charCodeAt(i)));";
        assertThat(js(units, List.of(0x61, 0x62, 0xd83d))).isEqualTo(List.of(List.of(0x61L, 0x62L), List.of(0xd83dL)));
        assertThat(js(units, List.of(0xd83d, 0xde00))).isEqualTo(List.of(List.of(0xd83dL, 0xde00L), List.of()));
    }
}
