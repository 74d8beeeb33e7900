package dev.rwkvjava.cli;

import dev.rwkvjava.generate.GenerationConfig;
import dev.rwkvjava.generate.TextGenerator;
import dev.rwkvjava.hub.internal.HubCache;
import dev.rwkvjava.hub.HubConfig;
import dev.rwkvjava.hub.internal.ModelResolver;
import dev.rwkvjava.hub.internal.ResolvedModel;
import dev.rwkvjava.RwkvModel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static dev.rwkvjava.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code pull} and hub ids in {@code --model}, against a local fake hub on 127.0.0.1. */
class HubTest {
    static final String REPO = "test-org/tiny-rwkv";
    static final String CONFIG = "{\"model_type\": \"rwkv\", \"vocab_size\": 256, \"hidden_size\": 128, "
            + "\"num_hidden_layers\": 4, \"layer_norm_epsilon\": 1e-05}";

    @TempDir
    Path tmp;
    Path cache;
    FakeHub hub;
    byte[] weights;

    @BeforeEach
    void start() throws IOException {
        weights = Files.readAllBytes(CliTestData.file("models/tiny-rwkv-4v0-660K.f32.safetensors"));
        hub = new FakeHub(REPO, Map.of("model.safetensors", weights, "config.json",
                CONFIG.getBytes(StandardCharsets.UTF_8), "README.md", "# tiny".getBytes(StandardCharsets.UTF_8),
                "pytorch_model.bin", new byte[] {1, 2, 3}), Set.of("model.safetensors", "pytorch_model.bin"));
        cache = tmp.resolve("cache");
        System.setProperty("rwkv.hub.endpoint", hub.endpoint().toString());
    }

    @AfterEach
    void stop() {
        System.clearProperty("rwkv.hub.endpoint");
        System.clearProperty("rwkv.hub.token");
        if (hub != null) {  // null when start() was skipped for want of the reference data
            hub.close();
        }
    }

    Path repoDir() {
        return cache.resolve("test-org/tiny-rwkv/main");
    }

    @Test
    void pullThenGenerateByRepoId() throws IOException {
        CliTest.Result r = run("pull", REPO, "--cache-dir", cache.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().strip()).isEqualTo(repoDir().toAbsolutePath().normalize().toString());
        assertThat(Files.readAllBytes(repoDir().resolve("model.safetensors"))).isEqualTo(weights);
        assertThat(repoDir().resolve("config.json")).exists();
        // Only what a model needs: safetensors preferred over the .bin, no README.
        assertThat(repoDir().resolve("pytorch_model.bin")).doesNotExist();
        assertThat(repoDir().resolve("README.md")).doesNotExist();
        assertThat(repoDir().resolve(HubCache.MANIFEST)).exists();
        assertNoPartFiles();
        assertThat(r.err()).contains("model.safetensors");

        r = run("generate", "--model", REPO, "--cache-dir", cache.toString(), "-p", "The ", "-n", "8");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("the the \n");

        // A second pull finds everything in place and downloads nothing.
        int before = hub.requestsFor("model.safetensors").size();
        assertThat(run("pull", REPO, "--cache-dir", cache.toString()).code()).isZero();
        assertThat(hub.requestsFor("model.safetensors")).hasSize(before);

        // Offline, the cached copy still resolves.
        hub.close();
        r = run("generate", "--model", REPO, "--cache-dir", cache.toString(), "--offline", "-p", "The ", "-n", "4");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("the \n");
    }

    @Test
    void generateDownloadsOnFirstUse() {
        CliTest.Result r = run("generate", "--model", REPO, "--cache-dir", cache.toString(), "-p", "The ", "-n", "4",
                "--json");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("\"text\":\"the \"");
        assertThat(repoDir().resolve("model.safetensors")).exists();
    }

    @Test
    void theLibraryResolvesHubIdsToo() {
        HubConfig cfg = HubConfig.fromEnvironment().withCacheDir(cache);
        ResolvedModel m = ModelResolver.resolve(REPO, cfg, dev.rwkvjava.hub.DownloadProgress.none());
        assertThat(m.repoId()).isEqualTo(REPO);
        assertThat(m.weights().getFileName().toString()).isEqualTo("model.safetensors");
        try (TextGenerator g = TextGenerator.load(REPO, null, cfg, RwkvModel.Options.defaults().withThreads(1), null)) {
            assertThat(g.generate("The ", GenerationConfig.greedy(4)).text()).isEqualTo("the ");
        }
    }

    @Test
    void aDroppedConnectionResumesWithARangeRequest() throws IOException {
        hub.dropOnce.put("model.safetensors", 1_000_000);
        CliTest.Result r = run("pull", REPO, "--cache-dir", cache.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(Files.readAllBytes(repoDir().resolve("model.safetensors"))).isEqualTo(weights);
        // The bytes that arrived before the drop are kept: the retry asks only for the rest.
        java.util.List<Long> offsets = hub.requestsFor("model.safetensors").stream().map(FakeHub.Request::range)
                .filter(java.util.Objects::nonNull).map(x -> Long.parseLong(x.substring(6, x.length() - 1))).toList();
        assertThat(offsets).isNotEmpty().allSatisfy(o -> assertThat(o).isBetween(1L, 1_000_000L));
        assertThat(r.err()).contains("resuming at");
        assertNoPartFiles();
    }

    @Test
    void aStalledConnectionIsDroppedAndResumed() throws IOException {
        hub.stallOnce.put("model.safetensors", 500_000);
        System.setProperty("rwkv.hub.stallTimeoutSeconds", "1");
        long t0 = System.nanoTime();
        CliTest.Result r;
        try {
            r = run("pull", REPO, "--cache-dir", cache.toString());
        } finally {
            System.clearProperty("rwkv.hub.stallTimeoutSeconds");
        }
        assertThat(r.code()).as(r.err()).isZero();
        assertThat((System.nanoTime() - t0) / 1e6).as(r.err()).isLessThan(FakeHub.STALL_MS);
        assertThat(r.err()).contains("resuming at");
        assertThat(Files.readAllBytes(repoDir().resolve("model.safetensors"))).isEqualTo(weights);
    }

    @Test
    void aPartialFileFromAnEarlierRunIsResumed() throws IOException {
        Files.createDirectories(repoDir());
        Files.write(repoDir().resolve("model.safetensors.part"), java.util.Arrays.copyOf(weights, 12345));
        CliTest.Result r = run("pull", REPO, "--cache-dir", cache.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(hub.requestsFor("model.safetensors").stream().map(FakeHub.Request::range))
                .containsExactly("bytes=12345-", "bytes=12345-"); // the hub (which redirects), then the CDN
        assertThat(Files.readAllBytes(repoDir().resolve("model.safetensors"))).isEqualTo(weights);
    }

    @Test
    void aWrongSizeIsRejectedAndLeavesNoCompleteLookingFile() {
        hub.listedSize.put("model.safetensors", (long) weights.length + 10);
        CliTest.Result r = run("pull", REPO, "--cache-dir", cache.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("model.safetensors").contains(Integer.toString(weights.length))
                .contains(Long.toString(weights.length + 10L)).doesNotContain("Exception");
        assertThat(repoDir().resolve("model.safetensors")).doesNotExist();
        assertThat(repoDir().resolve(HubCache.MANIFEST)).doesNotExist();
        assertNoPartFiles();
        // Nothing usable is in the cache, so offline use fails and says how to get the model.
        r = run("generate", "--model", REPO, "--cache-dir", cache.toString(), "--offline", "-p", "x");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("not in the cache").contains("rwkv pull " + REPO);
    }

    @Test
    void sizesMissingFromTheListingAreAskedForWithHead() throws IOException {
        hub.omitSizes = true;
        CliTest.Result r = run("pull", REPO, "--cache-dir", cache.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(hub.requestsFor("model.safetensors").stream().map(FakeHub.Request::method)).contains("HEAD");
        assertThat(Files.readAllBytes(repoDir().resolve("model.safetensors"))).isEqualTo(weights);
        // The size the hub gives in its HEAD answer is enforced as well.
        hub.listedSize.put("model.safetensors", 99L);
        Path other = tmp.resolve("other-cache");
        r = run("pull", REPO, "--cache-dir", other.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("model.safetensors").contains("99");
        assertThat(other.resolve("test-org/tiny-rwkv/main/model.safetensors")).doesNotExist();
    }

    @Test
    void aCorruptDownloadIsRejected() {
        hub.listedSha.put("model.safetensors", "0".repeat(64));
        CliTest.Result r = run("pull", REPO, "--cache-dir", cache.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("model.safetensors").contains("corrupt").contains("SHA-256");
        assertThat(repoDir().resolve("model.safetensors")).doesNotExist();
        assertNoPartFiles();
    }

    @Test
    void theTokenGoesToTheHubButNotToTheCdn() {
        System.setProperty("rwkv.hub.token", "secret-token");
        assertThat(run("pull", REPO, "--cache-dir", cache.toString()).code()).isZero();
        for (FakeHub.Request q : hub.requests) {
            boolean cdn = q.path().startsWith("/blobs/");
            assertThat(q.authorization()).as(q.path()).isEqualTo(cdn ? null : "Bearer secret-token");
        }
    }

    @Test
    void clearErrorsForMissingRepositoriesAndBadIds() {
        CliTest.Result r = run("pull", "test-org/missing", "--cache-dir", cache.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("test-org/missing").contains("not found").contains("404");
        r = run("pull", "../etc", "--cache-dir", cache.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("not a hub repository id");
        r = run("generate", "--model", "no/such/thing", "-p", "x");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("no/such/thing").contains("no such file");
        r = run("pull", REPO, "--revision", "v1.0", "--cache-dir", cache.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(hub.requests.stream().map(FakeHub.Request::path)).contains("/api/models/" + REPO + "/revision/v1.0");
        assertThat(cache.resolve("test-org/tiny-rwkv/v1.0/model.safetensors")).exists();
        r = run("pull", REPO, "--file", "nope.safetensors", "--cache-dir", cache.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("has no file 'nope.safetensors'");
    }

    @Test
    void aModelFolderInHuggingFaceLayoutPicksItsTokenizer() throws IOException {
        Path dir = tmp.resolve("hf-model");
        Files.createDirectories(dir);
        Files.write(dir.resolve("model.safetensors"), weights);
        Files.writeString(dir.resolve("config.json"), CONFIG);
        CliTest.Result r = run("generate", "--model", dir.toString(), "-p", "The ", "-n", "4");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("the \n");
        // A tokenizer.json in the folder is used, and one that does not fit the model is refused.
        Files.copy(CliTestData.file("tokenizer/20B_tokenizer.json"), dir.resolve("tokenizer.json"));
        r = run("generate", "--model", dir.toString(), "-p", "The ", "-n", "4");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("tokenizer.json").contains("50277").contains("256");
        // --tokenizer overrides the folder's.
        r = run("generate", "--model", dir.toString(), "--tokenizer", "bytes", "-p", "The ", "-n", "4");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("the \n");
    }

    private void assertNoPartFiles() {
        if (!Files.exists(cache)) {
            return;
        }
        try (Stream<Path> s = Files.walk(cache)) {
            assertThat(s.map(Path::toString).filter(p -> p.endsWith(".part") || p.endsWith(".tmp")).toList()).isEmpty();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
