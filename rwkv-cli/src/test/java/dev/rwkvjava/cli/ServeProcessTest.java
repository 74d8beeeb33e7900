package dev.rwkvjava.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.generate.GenerationConfig;
import dev.rwkvjava.generate.GenerationResult;
import dev.rwkvjava.generate.Session;
import dev.rwkvjava.tokenizer.Tokenizers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code rwkv serve} as separate processes on loopback: a conversation begun on one server continues on another from
 * the state the first returned, with the results of one session; SIGTERM lets a running stream finish, then the
 * process exits.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ServeProcessTest {
    private static final Pattern LISTENING = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)");
    private static final ObjectMapper JSON = new ObjectMapper();
    private final List<Process> processes = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @TempDir
    Path tmp;

    /** A server process; its stderr goes to a file (a pipe read while the process exits can lose the last lines). */
    private record Server(Process process, int port, Path errFile) {
        String err() throws IOException {
            return Files.readString(errFile);
        }
    }

    private Server start(Path model, String... extra) throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new ArrayList<>(List.of(java.toString(), "--add-modules=jdk.incubator.vector", "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "serve", "--model", model.toString(),
                "--port", "0", "--shutdown-grace", "60"));
        cmd.addAll(List.of(extra));
        Path errFile = tmp.resolve("serve-" + processes.size() + ".err");
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(errFile.toFile()).start();
        processes.add(p);
        long end = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < end && p.isAlive()) {
            Matcher m = LISTENING.matcher(Files.readString(errFile));
            if (m.find()) {
                return new Server(p, Integer.parseInt(m.group(1)), errFile);
            }
            Thread.sleep(50);
        }
        throw new AssertionError("serve did not start: " + Files.readString(errFile));
    }

    @AfterEach
    void stopAll() throws InterruptedException {
        for (Process p : processes) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private JsonNode complete(int port, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/v1/completions")).timeout(Duration.ofSeconds(120))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private static String q(String s) {
        return JSON.valueToTree(s).toString();
    }

    @Test
    void aConversationBegunOnOneServerContinuesOnAnother() throws Exception {
        Path model = CliTestData.file("models/tiny-rwkv-7v0-834K.f32.safetensors");
        String p1 = "User: Tell me a story.\n\nAssistant:";
        String p2 = "\n\nUser: And then?\n\nAssistant:";
        GenerationResult r1;
        GenerationResult r2;
        try (RwkvModel m = RwkvModel.load(model)) {
            Session s = new Session(m, Tokenizers.bytes());
            r1 = s.generate(p1, GenerationConfig.greedy(32), null);
            r2 = s.generate(p2, GenerationConfig.greedy(32), null);
        }
        Server a = start(model);
        Server b = start(model, "--state-cache-mb", "0");
        JsonNode first = complete(a.port(), "{\"prompt\":" + q(p1) + ",\"max_tokens\":32,\"temperature\":0,"
                + "\"rwkv\":{\"return_state\":true}}");
        assertThat(first.at("/choices/0/text").asText()).isEqualTo(r1.text());
        String state = first.at("/rwkv/state").asText();
        String next = "{\"prompt\":" + q(p2) + ",\"max_tokens\":32,\"temperature\":0,\"rwkv\":{\"state\":\"" + state
                + "\"}}";
        JsonNode onB = complete(b.port(), next);
        JsonNode onA = complete(a.port(), next);
        assertThat(onB.at("/choices/0/text").asText()).isEqualTo(r2.text()).isEqualTo(onA.at("/choices/0/text").asText());
    }

    @Test
    void sigtermLetsARunningStreamFinishThenExits() throws Exception {
        Server s = start(CliTestData.file("models/tiny-rwkv-4v0-660K.f32.safetensors"), "--max-tokens", "100000");
        CompletableFuture<HttpResponse<String>> running = http.sendAsync(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + s.port() + "/v1/completions")).timeout(Duration.ofSeconds(120))
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"Once\",\"max_tokens\":20000,\"stream\":true,"
                        + "\"ignore_eos\":true}")).build(), HttpResponse.BodyHandlers.ofString());
        // Once the stream has begun, SIGTERM.
        long end = System.nanoTime() + 60_000_000_000L;
        while (!metrics(s.port()).contains("rwkv_active_streams 1")) {
            assertThat(System.nanoTime()).isLessThan(end);
            Thread.sleep(20);
        }
        s.process().destroy();
        HttpResponse<String> r = running.get(120, TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(200);
        String[] events = r.body().split("\n\n");
        assertThat(events[events.length - 1]).isEqualTo("data: [DONE]");
        JsonNode last = JSON.readTree(events[events.length - 2].substring("data: ".length()));
        assertThat(last.at("/usage/completion_tokens").asInt()).isEqualTo(20000);
        assertThat(s.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(s.err()).contains("stopping").contains("stopped");
    }

    private String metrics(int port) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
