package dev.rwkvjava.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A mapped weights file truncated under the kernels makes every product of every weight type throw an InternalError
 * (which the model turns into a clear error), interpreted and compiled, vector and scalar: the JVM never dies of the
 * fault (no exit 134, no hs_err file).
 */
class TruncatedWeightsTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} kernels, {1} warm-up rounds")
    @CsvSource({"panama, 0", "panama, 3000", "scalar, 0", "scalar, 3000"})
    void everyProductOfATruncatedMappingFaultsCleanly(String kernels, int warm) throws Exception {
        if (kernels.equals("panama")) {
            KernelTestSupport.panamaOrSkip();
        }
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xbatch", "-Drwkv.kernels=" + kernels));
        if (kernels.equals("panama")) {
            command.add("--add-modules=jdk.incubator.vector");
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), TruncatedWeightsMain.class.getName(),
                dir.toString(), Integer.toString(warm)));
        Path output = dir.resolve("output.txt");
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile()).start();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("did not finish within 300 s: " + Files.readString(output));
        }
        String out = Files.readString(output);
        assertThat(p.exitValue()).as(out).isZero();
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(f -> f.getFileName().toString())).as(out).noneMatch(n -> n.startsWith("hs_err"));
        }
        List<String> lines = out.lines().toList();
        assertThat(lines).as(out).contains("done").noneMatch(l -> l.startsWith("read "));
        assertThat(lines.stream().filter(l -> l.startsWith("fault ")).count()).as(out).isEqualTo(11 * 3);
        assertThat(lines).as(out).anyMatch(l -> l.startsWith("kernels " + kernels));
    }
}
