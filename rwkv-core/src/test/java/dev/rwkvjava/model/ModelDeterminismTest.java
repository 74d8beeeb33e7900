package dev.rwkvjava.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rwkvjava.synthetic.SyntheticModels;
import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.testutil.TestData;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A whole model gives the same bits in a cold JVM as after thousands of warm-up tokens, for every version: nothing
 * in a forward pass depends on which JIT tier runs it. One fresh JVM per version, so that each version's kernels
 * start interpreted.
 */
class ModelDeterminismTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"4", "5", "6", "7"})
    void aModelGivesTheSameBitsColdAndWarm(String version) throws Exception {
        assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
                "the scalar kernels have no JIT-dependent paths; this checks the vector ones");
        List<String> models = new ArrayList<>();
        switch (version) {
            case "4" -> {
                models.add(TestData.file("models/random-v4-c128-l3-v1000.f32.safetensors").toString());
                models.add(TestData.file("models/tiny-rwkv-4v0-660K.f32.safetensors").toString());
                Path bf16 = dir.resolve("v4-tiny.bf16.safetensors");
                SyntheticModels.write(SyntheticModels.spec("v4-tiny"), DType.BF16, 5, bf16);
                models.add(bf16.toString());
            }
            case "5" -> {
                models.add(TestData.file("models/tiny-rwkv-5v1-730K.f32.safetensors").toString());
                models.add(TestData.file("models/tiny-rwkv-5v2-730K.f32.safetensors").toString());
            }
            case "6" -> {
                models.add(TestData.file("models/random-v6-c128-h2-l3-v1000.f32.safetensors").toString());
                models.add(TestData.file("models/tiny-rwkv-6v0-1m.f32.safetensors").toString());
            }
            default -> {
                models.add(TestData.file("models/random-v7-deepembed-c128-h2-l3-v1000.f32.safetensors").toString());
                models.add(TestData.file("models/tiny-rwkv-7v0-834K.bf16.safetensors").toString());
                Path f16 = dir.resolve("v7-tiny.f16.safetensors");
                SyntheticModels.write(SyntheticModels.spec("v7-tiny"), DType.F16, 5, f16);
                models.add(f16.toString());
            }
        }
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules=jdk.incubator.vector", "-Xss4m",
                "-cp", System.getProperty("java.class.path"), ModelTierMain.class.getName()));
        command.addAll(models);
        Path output = dir.resolve("out.txt");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        if (!p.waitFor(600, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("ModelTierMain did not finish within 600 s: " + Files.readString(output));
        }
        String out = Files.readString(output);
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out.strip().lines().toList().getLast()).as(out).isEqualTo("same");
    }
}
