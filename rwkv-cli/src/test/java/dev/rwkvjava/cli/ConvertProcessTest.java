package dev.rwkvjava.cli;

import dev.rwkvjava.synthetic.SyntheticModels;
import dev.rwkvjava.tensor.DType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code rwkv convert} as a separate process on a model far larger than the heap it is given: it streams (a 270 MB
 * model converts with a 32 MB heap), and killed with SIGKILL while writing it leaves no file under the output's
 * name.
 */
class ConvertProcessTest {
    /** RWKV-7 with a World-sized vocabulary: 270 MB of F32 weights, most of them the embedding and the head. */
    private static final SyntheticModels.Spec SPEC =
            new SyntheticModels.Spec("convert-test", "7", 512, 2, 65536, 2048, 64, 32, 32, 32, 64);

    @TempDir
    static Path shared;
    static Path model;

    @TempDir
    Path dir;

    @BeforeAll
    static void writeModel() {
        model = shared.resolve("big.safetensors");
        SyntheticModels.write(SPEC, DType.F32, 11, model);
    }

    private static List<String> convert(String heap, Path out, String type) {
        List<String> cmd = ProcessTest.java("--add-modules=jdk.incubator.vector", heap);
        cmd.addAll(List.of("convert", "--in", model.toString(), "--out", out.toString(), "--type", type));
        return cmd;
    }

    private List<Path> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    @Test
    void aModelEightTimesTheHeapConverts() throws Exception {
        Path out = dir.resolve("m.safetensors");
        ProcessTest.Done d = ProcessTest.finish(new ProcessBuilder(convert("-Xmx32m", out, "bf16")).start(), 300);
        assertThat(d.code()).as(d.err()).isZero();
        assertThat(d.out()).contains("within the rounding of BF16");
        assertThat(Files.size(model)).isGreaterThan(8L * 32 * 1024 * 1024);
        assertThat(Files.size(out)).isGreaterThan(Files.size(model) / 2 - 1024 * 1024);
        assertThat(files()).containsExactly(out);
    }

    @Test
    void killedWhileWritingLeavesNoOutput() throws Exception {
        Path out = dir.resolve("m.gguf");
        Process p = new ProcessBuilder(convert("-Xmx256m", out, "q4_k"))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        Path part = null;
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (part == null && System.nanoTime() < deadline && p.isAlive()) {
                for (Path f : files()) {
                    String n = f.getFileName().toString();
                    if (n.startsWith(".m.gguf.") && n.endsWith(".part") && Files.size(f) > (1 << 20)) {
                        part = f;
                    }
                }
                Thread.sleep(5);
            }
            assertThat(part).as("a temporary file being written").isNotNull();
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly(); // SIGKILL: nothing in the process runs after it
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(p.exitValue()).as("killed, not finished").isNotZero();
        assertThat(out).doesNotExist();
        assertThat(files()).as("only the hidden temporary file").containsExactly(part);
    }
}
