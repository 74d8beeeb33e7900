package dev.rwkvjava.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * The Vector API kernels give the same bits before and after the JIT compiles them, so a model's output does not
 * depend on how warm the process is, nor on when a compilation happened to finish. (With the Vector API's own
 * lane reductions, whose order the implementation chooses, most sums of a product differed.)
 */
class KernelDeterminismTest {

    @Test
    void resultsDoNotChangeAsTheKernelsGetCompiled() throws Exception {
        KernelTestSupport.panamaOrSkip();
        Path launcher = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(launcher.toString(), "--add-modules=jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), KernelTierMain.class.getName()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(err).isZero();
        assertThat(out.strip()).as(err).isEqualTo("same");
    }
}
