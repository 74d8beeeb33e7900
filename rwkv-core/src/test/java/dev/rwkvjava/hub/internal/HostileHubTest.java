package dev.rwkvjava.hub.internal;

import dev.rwkvjava.hub.HubException;

import dev.rwkvjava.hub.DownloadProgress;

import dev.rwkvjava.hub.HubConfig;




import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * The hub client against servers that misbehave on purpose, each a JDK HttpServer on 127.0.0.1 that the test
 * scripts; every test is bounded in time, so a client that waits forever fails instead of hanging the build.
 */
class HostileHubTest {
    private static final Duration LIMIT = Duration.ofSeconds(30);
    /** The bound in the tests that expect a timeout. */
    private static final Duration STALL = Duration.ofSeconds(1);
    /** The bound elsewhere: generous, so that a loaded machine's slow answers are not mistaken for silence. */
    private static final Duration PATIENT = Duration.ofSeconds(15);

    @TempDir
    Path dir;

    private HttpServer server;
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicInteger requests = new AtomicInteger();

    interface Handler {
        void handle(HttpExchange ex) throws Exception;
    }

    private HubClient client(Handler handler) throws IOException {
        return client(handler, PATIENT);
    }

    private HubClient client(Handler handler, Duration stall) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
        server.setExecutor(pool);
        server.createContext("/", ex -> {
            requests.incrementAndGet();
            try (ex) {
                handler.handle(ex);
            } catch (IOException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException(e);
            }
        });
        server.start();
        URI endpoint = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        return new HubClient(new HubConfig(endpoint, null, dir.resolve("cache"), false), stall);
    }

    @AfterEach
    void stop() {
        release.countDown();
        if (server != null) {
            server.stop(0);
        }
        pool.shutdownNow();
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            ex.getResponseBody().write(body);
        }
    }

    private static String listing(String siblings) {
        return "{\"sha\": \"0123456789abcdef0123456789abcdef01234567\", \"siblings\": [" + siblings + "]}";
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    @Test
    void aHubThatAcceptsAndNeverAnswersFailsTheListingInTime() throws IOException {
        HubClient c = client(ex -> release.await(), STALL);
        long t0 = System.nanoTime();
        assertTimeoutPreemptively(LIMIT, () -> assertThatThrownBy(() -> c.list("o/r", "main"))
                .isInstanceOf(IOException.class).hasMessageContaining("no answer within 1 s"));
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(15));
    }

    @Test
    void aListingThatStopsHalfwayFailsInTime() throws IOException {
        HubClient c = client(ex -> {
            ex.sendResponseHeaders(200, 0);
            ex.getResponseBody().write("{\"siblings\": [".getBytes(StandardCharsets.UTF_8));
            ex.getResponseBody().flush();
            release.await();
        }, STALL);
        assertTimeoutPreemptively(LIMIT, () -> assertThatThrownBy(() -> c.list("o/r", "main"))
                .isInstanceOf(HubException.class).hasMessageContaining("the listing of o/r: no data for 1 s"));
    }

    @Test
    void anOversizedListingIsRefusedWithoutBeingBuffered() throws IOException {
        AtomicLong written = new AtomicLong();
        HubClient c = client(ex -> {
            ex.sendResponseHeaders(200, 0); // chunked: the size shows only as the bytes come
            OutputStream out = ex.getResponseBody();
            byte[] chunk = new byte[1 << 16];
            java.util.Arrays.fill(chunk, (byte) ' ');
            for (int i = 0; i < 600 * 16; i++) { // 600 MB
                out.write(chunk);
                written.addAndGet(chunk.length);
            }
        });
        assertTimeoutPreemptively(LIMIT, () -> assertThatThrownBy(() -> c.list("o/r", "main"))
                .isInstanceOf(HubException.class).hasMessage("the listing of o/r is larger than 16 MiB; refusing to read it"));
        assertThat(written.get()).isLessThan(200L << 20);
    }

    @Test
    void aListingAnnouncedAsHugeIsRefusedAtOnce() throws IOException {
        HubClient c = client(ex -> {
            ex.sendResponseHeaders(200, 600L << 20);
            ex.getResponseBody().flush();
            release.await();
        });
        assertTimeoutPreemptively(LIMIT, () -> assertThatThrownBy(() -> c.list("o/r", "main"))
                .isInstanceOf(HubException.class).hasMessageContaining("larger than 16 MiB"));
    }

    @Test
    void aDownloadStopsAtTheListedSize() throws Exception {
        byte[] real = new byte[1000];
        String sha = sha256(real);
        AtomicLong written = new AtomicLong();
        HubClient c = client(ex -> {
            if (ex.getRequestURI().getPath().startsWith("/api/")) {
                send(ex, 200, listing("{\"rfilename\": \"w.bin\", \"size\": 1000, \"lfs\": {\"sha256\": \"" + sha
                        + "\", \"size\": 1000}}").getBytes(StandardCharsets.UTF_8));
                return;
            }
            ex.sendResponseHeaders(200, 300L << 20); // 300 MB for a file listed at 1000 bytes
            byte[] chunk = new byte[1 << 16];
            for (int i = 0; i < 300 * 16; i++) {
                ex.getResponseBody().write(chunk);
                written.addAndGet(chunk.length);
            }
        });
        Path target = dir.resolve("w.bin");
        assertTimeoutPreemptively(LIMIT, () -> {
            RepoListing l = c.list("o/r", "main");
            assertThatThrownBy(() -> c.download(l, l.file("w.bin"), target, DownloadProgress.none()))
                    .isInstanceOf(HubException.class)
                    .hasMessage("w.bin: the server sent more than the 1000 bytes the hub lists for the file; the "
                            + "download was discarded");
        });
        assertThat(target).doesNotExist();
        assertThat(dir.resolve("w.bin.part")).doesNotExist();
        assertThat(written.get()).as("bytes the server got rid of before the client hung up").isLessThan(200L << 20);
        assertThat(requests.get()).as("listing and one download: an oversized answer is not retried").isEqualTo(2);
    }

    @Test
    void aFileWithoutSizeOrChecksumIsRefused() throws Exception {
        HubClient c = client(ex -> {
            if (ex.getRequestURI().getPath().startsWith("/api/")) {
                send(ex, 200, listing("{\"rfilename\": \"nosize.bin\"}, {\"rfilename\": \"nosum.bin\", \"size\": 3}")
                        .getBytes(StandardCharsets.UTF_8));
                return;
            }
            if (ex.getRequestMethod().equals("HEAD")) {
                ex.sendResponseHeaders(200, -1); // neither a size nor a checksum
                return;
            }
            send(ex, 200, new byte[] {1, 2, 3});
        });
        assertTimeoutPreemptively(LIMIT, () -> {
            RepoListing l = c.list("o/r", "main");
            assertThatThrownBy(() -> c.download(l, l.file("nosize.bin"), dir.resolve("nosize.bin"),
                    DownloadProgress.none())).isInstanceOf(HubException.class)
                    .hasMessageContaining("nosize.bin: the hub gives no size");
            assertThatThrownBy(() -> c.download(l, l.file("nosum.bin"), dir.resolve("nosum.bin"),
                    DownloadProgress.none())).isInstanceOf(HubException.class)
                    .hasMessageContaining("nosum.bin: the hub gives no checksum");
        });
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString()).filter(n -> !n.equals("cache")).toList()).isEmpty();
        }
    }

    @Test
    void listedNamesWithControlCharactersOrOverlongPartsAreRefusedAndShownEscaped() throws IOException {
        String[] names = {"\\u001b]0;owned\\u0007model.safetensors", "a\\nb.json", "x".repeat(300) + ".json",
                "ok/\\u202egnp.exe", "./config.json"};
        for (String name : names) {
            HubClient c = client(ex -> send(ex, 200, listing("{\"rfilename\": \"" + name + "\", \"size\": 1}")
                    .getBytes(StandardCharsets.UTF_8)));
            assertTimeoutPreemptively(LIMIT, () -> assertThatThrownBy(() -> c.list("o/r", "main"))
                    .as(name)
                    .isInstanceOf(HubException.class)
                    .hasMessageContaining("refusing the listed file name")
                    .satisfies(e -> assertThat(e.getMessage().chars().noneMatch(ch -> ch < 0x20 || ch == 0x202E))
                            .as("printable message: " + e.getMessage()).isTrue()));
            server.stop(0);
        }
    }

    @Test
    void aRedirectLoopIsReportedOnceAndNotRetried() throws IOException {
        HubClient c = client(ex -> {
            if (ex.getRequestURI().getPath().startsWith("/api/")) {
                send(ex, 200, listing("{\"rfilename\": \"m.bin\", \"size\": 3, \"blobId\": \"00\"}")
                        .getBytes(StandardCharsets.UTF_8));
                return;
            }
            ex.getResponseHeaders().add("Location", ex.getRequestURI().getPath());
            ex.sendResponseHeaders(302, -1);
        });
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        assertTimeoutPreemptively(LIMIT, () -> {
            RepoListing l = c.list("o/r", "main");
            assertThatThrownBy(() -> c.download(l, l.file("m.bin"), dir.resolve("m.bin"),
                    new ProgressBar(new PrintStream(log, true, StandardCharsets.UTF_8), false)))
                    .isInstanceOf(HubException.class).hasMessageContaining("more than 10 redirects");
        });
        assertThat(requests.get()).isEqualTo(1 + 11);
        assertThat(log.toString(StandardCharsets.UTF_8)).doesNotContain("connection lost");
    }

    @Test
    void retryLinesNameTheFile() throws Exception {
        byte[] data = {1, 2, 3};
        AtomicInteger downloads = new AtomicInteger();
        HubClient c = client(ex -> {
            if (ex.getRequestURI().getPath().startsWith("/api/")) {
                send(ex, 200, listing("{\"rfilename\": \"m.bin\", \"size\": 3, \"lfs\": {\"sha256\": \""
                        + sha256(data) + "\"}}").getBytes(StandardCharsets.UTF_8));
                return;
            }
            if (downloads.incrementAndGet() <= 2) {
                // The client sees the connection drop (the HTTP client itself tries a GET once more).
                throw new IOException("closing before any answer");
            }
            send(ex, 200, data);
        });
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        assertTimeoutPreemptively(LIMIT, () -> {
            RepoListing l = c.list("o/r", "main");
            c.download(l, l.file("m.bin"), dir.resolve("m.bin"),
                    new ProgressBar(new PrintStream(log, true, StandardCharsets.UTF_8), false));
        });
        List<String> lines = log.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).anySatisfy(line -> assertThat(line).startsWith("m.bin: connection lost"));
        assertThat(lines).noneSatisfy(line -> assertThat(line).startsWith("null"));
        assertThat(Files.readAllBytes(dir.resolve("m.bin"))).isEqualTo(data);
    }

    @Test
    void revisionsThatNameNoBranchAreRefused() {
        for (String r : new String[] {".", "..", "./x", "a/./b", "a/../b", "a//b", "/a", "a/", ".hidden", "a\\b", ""}) {
            assertThatThrownBy(() -> HubConfig.checkRevision(r)).as(r).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("not a valid revision");
        }
        for (String r : new String[] {"main", "v1.0", "refs/pr/1", "0123456789abcdef0123456789abcdef01234567"}) {
            assertThat(HubConfig.checkRevision(r)).isEqualTo(r);
        }
        HubConfig config = new HubConfig(URI.create("http://127.0.0.1:1"), null, dir, false);
        assertThatThrownBy(() -> config.repoDir("o/r", ".")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aSlowButSteadyDownloadIsNotCutOff() throws Exception {
        // 6 s in all, never more than 0.2 s without data: the 2 s bound is on silence, not on the whole transfer.
        byte[] data = new byte[30 * 100];
        new java.util.Random(1).nextBytes(data);
        HubClient c = client(ex -> {
            if (ex.getRequestURI().getPath().startsWith("/api/")) {
                send(ex, 200, listing("{\"rfilename\": \"m.bin\", \"size\": " + data.length + ", \"lfs\": "
                        + "{\"sha256\": \"" + sha256(data) + "\"}}").getBytes(StandardCharsets.UTF_8));
                return;
            }
            ex.sendResponseHeaders(200, data.length);
            for (int i = 0; i < 30; i++) {
                ex.getResponseBody().write(data, i * 100, 100);
                ex.getResponseBody().flush();
                Thread.sleep(200);
            }
        }, Duration.ofSeconds(2));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        assertTimeoutPreemptively(LIMIT, () -> {
            RepoListing l = c.list("o/r", "main");
            c.download(l, l.file("m.bin"), dir.resolve("m.bin"),
                    new ProgressBar(new PrintStream(log, true, StandardCharsets.UTF_8), false));
        });
        assertThat(Files.readAllBytes(dir.resolve("m.bin"))).isEqualTo(data);
        assertThat(log.toString(StandardCharsets.UTF_8)).doesNotContain("connection lost");
    }
}
