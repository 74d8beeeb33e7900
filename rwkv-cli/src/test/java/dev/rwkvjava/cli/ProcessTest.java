package dev.rwkvjava.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rwkvjava.tokenizer.Tokenizers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The command line as separate processes: the relaunched JVM, the locale, pipes, JVM errors. */
class ProcessTest {
    @TempDir
    Path dir;

    /** {@code java [jvmOptions] -cp CLASSPATH dev.rwkvjava.cli.Main}: without the Vector API flag it relaunches. */
    static List<String> java(String... jvmOptions) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(jvmOptions));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        return cmd;
    }

    static String tiny() {
        return CliTestData.file("models/tiny-rwkv-4v0-660K.f32.safetensors").toString();
    }

    static String vocab() {
        return CliTestData.file("tokenizer/rwkv_vocab_v20230424.txt").toString();
    }

    record Done(int code, String out, String err) {
    }

    static Done finish(Process p, int seconds) throws Exception {
        // Both streams are drained while the process runs, so neither can fill and block it.
        var out = p.getInputStream();
        var errThread = new java.util.concurrent.CompletableFuture<String>();
        Thread.ofVirtual().start(() -> {
            try {
                errThread.complete(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                errThread.complete("");
            }
        });
        String o = new String(out.readAllBytes(), StandardCharsets.UTF_8);
        boolean ended = p.waitFor(seconds, TimeUnit.SECONDS);
        if (!ended) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        assertThat(ended).as("ended within %d s", seconds).isTrue();
        return new Done(p.exitValue(), o, errThread.get(10, TimeUnit.SECONDS));
    }

    @Test
    void theRelaunchedJvmRunsTheVectorKernels() throws Exception {
        for (boolean flag : new boolean[] {false, true}) {
            List<String> cmd = flag ? java("--add-modules=jdk.incubator.vector") : java();
            cmd.addAll(List.of("bench", "--synthetic", "v4-tiny", "--tokens", "1", "--prompt", "1", "--dtype", "f32",
                    "--json"));
            Done d = finish(new ProcessBuilder(cmd).start(), 120);
            assertThat(d.code()).as(d.err()).isZero();
            assertThat(new ObjectMapper().readTree(d.out()).get("kernels").asText()).as("flag " + flag)
                    .startsWith("panama");
            // The JVM's incubator notice reaches the user only from a JVM started with the flag by hand.
            assertThat(d.err().contains(IncubatorNotice.LINE)).as(d.err()).isEqualTo(flag);
        }
        ProcessBuilder scalar = new ProcessBuilder(java());
        scalar.command().addAll(List.of("bench", "--synthetic", "v4-tiny", "--tokens", "1", "--prompt", "1",
                "--dtype", "f32", "--json"));
        scalar.environment().put("RWKV_NO_RELAUNCH", "1");
        Done d = finish(scalar.start(), 120);
        assertThat(new ObjectMapper().readTree(d.out()).get("kernels").asText()).isEqualTo("scalar");
    }

    @Test
    void theRelaunchJitOptionsAreValidSilentAndThoseOfTheScript() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(Relauncher.JIT_OPTIONS);
        cmd.add("-version");
        Done d = finish(new ProcessBuilder(cmd).start(), 60);
        assertThat(d.code()).as(d.err()).isZero();
        assertThat(d.out()).as("nothing on standard output").isEmpty();
        assertThat(d.err()).doesNotContain("CompileCommand");
        String script = Files.readString(Path.of("..", "rwkv"));
        for (String option : Relauncher.JIT_OPTIONS) {
            assertThat(script).contains(option);
        }
    }

    @Test
    void aKilledParentTakesTheRelaunchedChildWithIt() throws Exception {
        List<String> cmd = java();
        cmd.addAll(List.of("generate", "--model", tiny(), "--prompt-ids", "1", "-n", "100000000", "--ignore-eos"));
        Process parent = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(dir.resolve("err.txt").toFile()).start();
        Optional<ProcessHandle> child = Optional.empty();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (child.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(100);
                child = parent.children().findFirst();
            }
            assertThat(child).as("the relaunched JVM").isPresent();
            Thread.sleep(2000); // let the child start generating
            assertThat(child.get().isAlive()).isTrue();
            parent.destroyForcibly(); // SIGKILL: no shutdown hook runs in the parent
            assertThat(parent.waitFor(30, TimeUnit.SECONDS)).isTrue();
            long t0 = System.nanoTime();
            child.get().onExit().get(20, TimeUnit.SECONDS);
            assertThat(child.get().isAlive()).isFalse();
            assertThat((System.nanoTime() - t0) / 1e9).isLessThan(20);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("the child JVM outlived its killed parent by 20 s", e);
        } finally {
            child.ifPresent(ProcessHandle::destroyForcibly);
            parent.destroyForcibly();
        }
    }

    @Test
    void generationStopsWhenTheReaderClosesThePipe() throws Exception {
        // As in generate ... | head -c 20: a hundred million tokens would otherwise run for hours.
        List<String> cmd = java();
        cmd.addAll(List.of("generate", "--model", tiny(), "--prompt", "The", "-n", "100000000", "--ignore-eos"));
        Process p = new ProcessBuilder(cmd).redirectError(dir.resolve("err.txt").toFile()).start();
        try {
            InputStream in = p.getInputStream();
            assertThat(in.readNBytes(20)).hasSize(20);
            in.close();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("stopped after the pipe closed").isTrue();
            assertThat(Files.readString(dir.resolve("err.txt"))).contains("standard output was closed");
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    /**
     * Runs the command from a shell script, so that the arguments are the script's own bytes (Java would encode
     * them with this JVM's locale), in an environment with no locale at all.
     */
    private Done underCLocale(String locale, List<String> javaCmd, String shellArgs) throws Exception {
        Path script = dir.resolve("run.sh");
        StringBuilder sb = new StringBuilder("#!/bin/sh\nexec");
        for (String c : javaCmd) {
            sb.append(" '").append(c.replace("'", "'\\''")).append('\'');
        }
        sb.append(' ').append(shellArgs).append('\n');
        Files.write(script, sb.toString().getBytes(StandardCharsets.UTF_8));
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", script.toString());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.equals("LANG") || k.equals("LANGUAGE") || k.startsWith("LC_"));
        if (locale != null) {
            env.put("LC_ALL", locale);
        }
        return finish(pb.start(), 120);
    }

    @Test
    void nonAsciiArgumentsSurviveAMissingLocale() throws Exception {
        String text = "é 東京 🦆";
        int[] expected = Tokenizers.load(Path.of(vocab())).encode(text);
        String json = Arrays.toString(expected).replace(" ", "");
        for (String locale : new String[] {null, "C", "POSIX"}) {
            for (boolean flag : new boolean[] {true, false}) {
                List<String> cmd = flag ? java("--add-modules=jdk.incubator.vector") : java();
                cmd.addAll(List.of("tokenize", "--tokenizer", vocab()));
                Done d = underCLocale(locale, cmd, "--text '" + text + "'");
                assertThat(d.code()).as(d.err()).isZero();
                assertThat(d.out().strip()).as("LC_ALL=%s, relaunched: %s", locale, !flag).isEqualTo(json);
            }
        }
    }

    @Test
    void argumentsThatAreNotUtf8AreRefusedClearly() throws Exception {
        List<String> cmd = java("--add-modules=jdk.incubator.vector");
        cmd.addAll(List.of("tokenize", "--tokenizer", vocab()));
        Done d = underCLocale("C", cmd, "--text \"$(printf 'caf\\351')\"");
        assertThat(d.code()).isEqualTo(2);
        assertThat(d.err()).contains("argument 5 is not UTF-8 text (byte 0xE9 at offset 3)");
    }

    @Test
    void aJvmErrorIsOneLineWithoutAStackTrace() throws Exception {
        // 256 MB of input in a 32 MB heap: the JVM runs out of memory while reading it.
        Path big = dir.resolve("big.txt");
        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(256L << 20);
        }
        List<String> cmd = java("--add-modules=jdk.incubator.vector", "-Xmx32m");
        cmd.addAll(List.of("tokenize", "--tokenizer", vocab(), "--input", big.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove(ErrorHandler.DEBUG_ENV);
        Done d = finish(pb.start(), 120);
        assertThat(d.code()).isEqualTo(1);
        List<String> lines = d.err().lines().filter(l -> !l.startsWith("WARNING: Using incubator")).toList();
        assertThat(lines).as(d.err()).hasSize(1);
        assertThat(lines.get(0)).startsWith("rwkv tokenize: error: out of memory (OutOfMemoryError: Java heap space)")
                .contains("-Xmx");
        // RWKV_DEBUG=1 adds the trace.
        pb.environment().put(ErrorHandler.DEBUG_ENV, "1");
        d = finish(pb.start(), 120);
        assertThat(d.err()).contains("java.lang.OutOfMemoryError").contains("\tat ");
    }
}
