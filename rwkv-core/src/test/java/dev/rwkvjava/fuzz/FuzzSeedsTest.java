package dev.rwkvjava.fuzz;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every model seed of the fuzzers is a model that loads and runs (a seed that no longer loads would leave the fuzzer
 * exploring refusals only), except the one that is a reference case rather than a model.
 */
class FuzzSeedsTest {
    @ParameterizedTest
    @ValueSource(strings = {"SafetensorsFuzzer", "GgufFuzzer", "RwkvCppFuzzer", "PyTorchFuzzer"})
    void everyModelSeedLoads(String fuzzer) throws Exception {
        Path dir = Path.of(FuzzSeedsTest.class.getResource(fuzzer + "Inputs/load").toURI());
        List<Path> seeds;
        try (Stream<Path> s = Files.list(dir)) {
            seeds = s.filter(p -> !p.getFileName().toString().startsWith("reference-")).sorted().toList();
        }
        assertThat(seeds).hasSizeGreaterThanOrEqualTo(2);
        for (Path seed : seeds) {
            String name = seed.getFileName().toString();
            String as = name.endsWith(".gguf") ? "model.gguf" : name.endsWith(".pth") ? "model.pth"
                    : name.endsWith(".bin") ? "model.bin" : "model.safetensors";
            assertThat(FuzzedModel.load(Files.readAllBytes(seed), as)).as(name).isTrue();
        }
    }
}
