package dev.rwkvjava.cli;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A model file truncated by another program while {@code generate} or {@code chat} is using it: the command stops
 * with one line naming the file (exit 1), never with the JVM's fatal-error report (exit 134, an hs_err file) or a
 * stack trace: with the scalar kernels from the first token on, with the vector kernels once C2 has compiled them.
 * (While the JIT is still compiling the Vector API's own load methods, a truncation can kill a process that maps its
 * weights; the README says so, and weights read into memory, {@code --no-mmap}, are immune.)
 */
class TruncatedModelTest {
    @TempDir
    Path dir;

    /**
     * @param kernels  the kernels to run (the process is started with the Vector API module, so it does not relaunch)
     * @param outBytes how much output to wait for before truncating: a few bytes (the kernels are barely warm) or
     *                 thousands (C2 has compiled them)
     */
    @ParameterizedTest(name = "{0}: {1} kernels, truncated after {2} bytes of output")
    @CsvSource({"generate, panama, 3000", "generate, scalar, 1", "generate, scalar, 3000", "chat, scalar, 1",
        "chat, panama, 1000"})
    void theCommandStopsWithAMessageNamingTheFile(String command, String kernels, int outBytes) throws Exception {
        Path model = dir.resolve("copy.safetensors");
        Files.copy(CliTestData.file("models/tiny-rwkv-7v0-834K.f32.safetensors"), model);
        List<String> cmd = ProcessTest.java("--add-modules=jdk.incubator.vector", "-Drwkv.kernels=" + kernels);
        if (command.equals("generate")) {
            cmd.addAll(List.of("generate", "--model", model.toString(), "--prompt", "The", "-n", "100000000",
                    "--ignore-eos", "--threads", "2"));
        } else {
            cmd.addAll(List.of("chat", "--model", model.toString(), "-n", "100000000", "--threads", "2"));
        }
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).start();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                return "";
            }
        });
        try {
            // chat answers each line and then waits for the next: it is given many, and one more after the
            // truncation, which it must refuse if it got through the others first.
            OutputStream in = p.getOutputStream();
            if (command.equals("chat")) {
                in.write("Tell me a story.\n".repeat(200).getBytes(StandardCharsets.UTF_8));
                in.flush();
            }
            InputStream out = p.getInputStream();
            byte[] buf = new byte[8192];
            long seen = 0;
            while (seen < outBytes) {
                int n = out.read(buf);
                assertThat(n).as("output ended after %d bytes: %s", seen, err.getNow("")).isPositive();
                seen += n;
            }
            try (FileChannel ch = FileChannel.open(model, StandardOpenOption.WRITE)) {
                ch.truncate(4096);
            }
            if (command.equals("chat")) {
                in.write("And another one.\n".getBytes(StandardCharsets.UTF_8));
            }
            in.close();
            out.transferTo(OutputStream.nullOutputStream());
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("ended after the truncation").isTrue();
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        String errors = err.get(10, TimeUnit.SECONDS);
        assertThat(p.exitValue()).as(errors).isEqualTo(1);
        assertThat(errors).as(errors).contains(model.toString()).contains("load it again")
                .doesNotContain("\tat ").doesNotContain("InternalError").doesNotContain("fatal error");
        assertThat(errors.strip().lines().filter(l -> l.contains("error")).count()).as(errors).isEqualTo(1);
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(f -> f.getFileName().toString())).noneMatch(n -> n.startsWith("hs_err"));
        }
    }
}
