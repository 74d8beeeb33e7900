package dev.rwkvjava.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rwkvjava.io.SafetensorsFile;
import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.tensor.WeightReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The command line end to end, on the shared reference models. */
class CliTest {
    @TempDir
    Path dir;

    record Result(int code, String out, String err) {
    }

    static Result run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.execute(args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    static Path data(String relative) {
        return CliTestData.file(relative);
    }

    @Test
    void infoJson() throws IOException {
        Result r = run("info", "--json", "--model", data("models/random-v4-c128-l3-v1000.f32.safetensors").toString());
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode o = new ObjectMapper().readTree(r.out());
        assertThat(o.get("version").asText()).isEqualTo("4");
        assertThat(o.get("n_embd").asInt()).isEqualTo(128);
        assertThat(o.get("n_layer").asInt()).isEqualTo(3);
        assertThat(o.get("vocab_size").asInt()).isEqualTo(1000);
        assertThat(o.get("ffn_size").asInt()).isEqualTo(512);
    }

    @Test
    void infoOnABrokenFileSaysWhatIsWrong() throws IOException {
        Path bad = dir.resolve("bad.safetensors");
        Files.write(bad, new byte[] {1, 2, 3, 4});
        Result r = run("info", "--model", bad.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("bad.safetensors").contains("too short").doesNotContain("Exception");
    }

    @Test
    void logitsMatchReferenceInBothModes() {
        Path model = data("models/tiny-rwkv-4v0-660K.f32.safetensors");
        float[][] expected;
        try (SafetensorsFile ref = SafetensorsFile.open(data("reference/tiny-rwkv-4v0-660K.f32/quote_in.safetensors"))) {
            TensorInfo t = ref.find("logits");
            float[] flat = WeightReader.toFloatArray(ref.data(t), t.dtype());
            expected = new float[3][256];
            for (int i = 0; i < 3; i++) {
                System.arraycopy(flat, i * 256, expected[i], 0, 256);
            }
        }
        for (String mode : new String[] {"token", "sequence"}) {
            Path out = dir.resolve(mode + ".safetensors");
            // Sequence mode also covers the weights read into memory instead of mapped.
            String load = mode.equals("token") ? "--threads=2" : "--no-mmap";
            Result r = run("logits", "--model", model.toString(), "--tokens", "34,105,110", "--all", "--mode", mode,
                    load, "--out", out.toString());
            assertThat(r.code()).as(r.err()).isZero();
            try (SafetensorsFile f = SafetensorsFile.open(out)) {
                TensorInfo t = f.find("logits");
                assertThat(t.shape()).containsExactly(3, 256);
                float[] got = WeightReader.toFloatArray(f.data(t), t.dtype());
                for (int i = 0; i < 3; i++) {
                    for (int j = 0; j < 256; j++) {
                        assertThat((double) got[i * 256 + j]).isCloseTo(expected[i][j], org.assertj.core.data.Offset.offset(1e-4));
                    }
                }
            }
            Path last = dir.resolve(mode + "-last.safetensors");
            assertThat(run("logits", "--model", model.toString(), "--tokens", "34,105,110", "--mode", mode,
                    "--out", last.toString()).code()).isZero();
            try (SafetensorsFile f = SafetensorsFile.open(last)) {
                assertThat(f.find("logits").shape()).containsExactly(256);
            }
        }
    }

    @Test
    void logitsRejectsBadTokens() {
        Path model = data("models/tiny-rwkv-4v0-660K.f32.safetensors");
        Result r = run("logits", "--model", model.toString(), "--tokens", "34,x", "--out", dir.resolve("o").toString());
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("'x' is not a token id");
        r = run("logits", "--model", model.toString(), "--tokens", "300", "--out", dir.resolve("o").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("token id 300").contains("256 ids");
    }

    @Test
    void threadCountsOutOfRangeAreRefusedBeforeLoading() {
        Path model = data("models/tiny-rwkv-4v0-660K.f32.safetensors");
        for (String n : new String[] {"0", "100000"}) {
            for (String[] cmd : new String[][] {
                    {"logits", "--model", model.toString(), "--tokens", "1", "--out", dir.resolve("o").toString()},
                    {"bench", "--synthetic", "v4-tiny", "--tokens", "1", "--prompt", "1"},
                    {"generate", "--model", model.toString(), "--prompt-ids", "1", "-n", "1"}}) {
                List<String> args = new ArrayList<>(List.of(cmd));
                args.addAll(List.of("--threads", n));
                Result r = run(args.toArray(String[]::new));
                assertThat(r.code()).as(cmd[0] + " --threads " + n).isEqualTo(1);
                assertThat(r.err()).as(cmd[0]).contains("--threads: threads must be between 1 and ").contains("got " + n)
                        .doesNotContain("Exception");
            }
        }
        assertThat(Files.exists(dir.resolve("o"))).isFalse();
    }

    @Test
    void benchJsonOnATinySyntheticModel() throws IOException {
        Result r = run("bench", "--synthetic", "v4-tiny", "--dtype", "f32,bf16", "--tokens", "4", "--prompt", "8",
                "--threads", "2", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        String[] lines = r.out().strip().split("\n");
        assertThat(lines).hasSize(2);
        ObjectMapper om = new ObjectMapper();
        for (int i = 0; i < 2; i++) {
            JsonNode o = om.readTree(lines[i]);
            assertThat(o.get("model").asText()).isEqualTo("v4-tiny");
            assertThat(o.get("dtype").asText()).isEqualTo(i == 0 ? "f32" : "bf16");
            assertThat(o.get("threads").asInt()).isEqualTo(2);
            assertThat(o.get("load_mode").asText()).isEqualTo("map");
            for (String k : new String[] {"decode_tokens_per_s", "prefill_tokens_per_s", "load_s", "peak_rss_mb"}) {
                assertThat(o.has(k)).as(k).isTrue();
            }
            assertThat(o.get("decode_tokens_per_s").asDouble()).isPositive();
            assertThat(o.get("prefill_tokens_per_s").asDouble()).isPositive();
        }
    }

    @Test
    void everyCommandHasHelp() {
        for (String c : new String[] {"info", "logits", "bench"}) {
            Result r = run(c, "--help");
            assertThat(r.code()).isZero();
            assertThat(r.out()).contains("Usage: rwkv " + c);
        }
    }

    @Test
    void runsWithoutTheVectorModuleFlag() throws Exception {
        // A JVM started without --add-modules: the command must still work, relaunching itself with the flag.
        forkedInfo(Map.of());
        // With relaunching turned off it runs on the scalar kernels and says so in one line.
        assertThat(forkedInfo(Map.of("RWKV_NO_RELAUNCH", "1"))).contains("--add-modules jdk.incubator.vector");
    }

    @Test
    void aDebuggerAgentStaysInTheFirstJvm() throws Exception {
        // A relaunched JVM would try to bind the debugger's port a second time and fail.
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String err = forkedInfo(Map.of(),
                "-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,quiet=y,address=127.0.0.1:" + port);
        assertThat(err).contains("--add-modules jdk.incubator.vector");
    }

    /**
     * Runs {@code info --json} on the tiny model in a new JVM with the given options (and no module flag), checks
     * that it succeeded with the right answer, and returns what it wrote to stderr.
     */
    private static String forkedInfo(Map<String, String> env, String... jvmOptions) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(jvmOptions));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "info", "--json",
                "--model", data("models/tiny-rwkv-4v0-660K.f32.safetensors").toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(err).isZero();
        assertThat(new ObjectMapper().readTree(out).get("n_layer").asInt()).isEqualTo(4);
        return err;
    }

    @Test
    void aStoppedBenchLeavesNoGeneratedModelBehind() throws Exception {
        // Started without the module flag, so the stop goes through the relaunching JVM to the one that works.
        Path tmp = Files.createDirectory(dir.resolve("tmp"));
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-Djava.io.tmpdir=" + tmp, "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "bench", "--synthetic", "v4-169m",
                "--dtype", "bf16", "--tokens", "1000000").redirectErrorStream(true)
                .redirectOutput(dir.resolve("bench.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        boolean generated = false;
        while (!generated && p.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(100);
            try (var dirs = Files.list(tmp)) {
                for (Path d : dirs.toList()) {
                    try (var files = Files.list(d)) {
                        generated |= files.findAny().isPresent();
                    }
                }
            }
        }
        assertThat(generated).as(Files.readString(dir.resolve("bench.log"))).isTrue();
        p.destroy();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        try (var left = Files.list(tmp)) {
            assertThat(left.toList()).as("left in java.io.tmpdir").isEmpty();
        }
    }

    @Test
    void socketOptionsAreRecognised() {
        assertThat(Relauncher.bindsASocket(List.of("-Xmx1g", "-agentlib:jdwp=transport=dt_socket,server=y"))).isTrue();
        assertThat(Relauncher.bindsASocket(List.of("-Dcom.sun.management.jmxremote.port=9010"))).isTrue();
        assertThat(Relauncher.bindsASocket(List.of("-Xmx1g", "-XX:+UseParallelGC", "-javaagent:x.jar"))).isFalse();
    }
}
