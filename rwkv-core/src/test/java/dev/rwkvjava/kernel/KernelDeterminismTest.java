package dev.rwkvjava.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Vector API kernels give the same bits before and after the JIT compiles them, so a model's output does not
 * depend on how warm the process is, nor on when a compilation happened to finish. (With the Vector API's own
 * lane reductions, whose order the implementation chooses, most sums of a product differed.)
 */
class KernelDeterminismTest {

    /** At the machine's own vector width, and at 256 bits on machines whose own width is larger. */
    @ParameterizedTest
    @ValueSource(strings = {"", "-XX:UseAVX=2"})
    void resultsDoNotChangeAsTheKernelsGetCompiled(String jvmOption) throws Exception {
        KernelTestSupport.panamaOrSkip();
        Path launcher = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>(List.of(launcher.toString(), "--add-modules=jdk.incubator.vector"));
        if (!jvmOption.isEmpty() && isX86()) {
            command.add(jvmOption);
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), KernelTierMain.class.getName()));
        Path output = Files.createTempFile("kernel-tier", ".txt");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
            if (!p.waitFor(600, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("KernelTierMain did not finish within 600 s: " + Files.readString(output));
            }
            String out = Files.readString(output);
            assertThat(p.exitValue()).as(out).isZero();
            List<String> lines = out.strip().lines().toList();
            assertThat(lines.getLast()).as(out).isEqualTo("same");
        } finally {
            Files.deleteIfExists(output);
        }
    }

    private static boolean isX86() {
        String arch = System.getProperty("os.arch");
        return arch.equals("amd64") || arch.equals("x86_64");
    }
}
