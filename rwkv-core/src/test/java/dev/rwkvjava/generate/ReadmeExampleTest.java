package dev.rwkvjava.generate;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's library snippet is the code of {@code examples/} (which CI builds and runs against a tiny model), line
 * for line, so that the snippet cannot drift from code that compiles and runs.
 */
class ReadmeExampleTest {
    @Test
    void theReadmeShowsTheExampleProjectsCode() throws Exception {
        Path root = Path.of("").toAbsolutePath();
        while (!Files.isDirectory(root.resolve("examples"))) {
            root = root.getParent();
            assertThat(root).as("project root with examples/").isNotNull();
        }
        List<String> example = Files.readAllLines(root.resolve("examples/src/main/java/example/Example.java"));
        int begin = example.indexOf("        // README: begin");
        int end = example.indexOf("        // README: end");
        assertThat(begin).as("markers in Example.java").isNotNegative().isLessThan(end);
        String snippet = String.join("\n", example.subList(begin + 1, end).stream()
                .map(l -> l.startsWith("        ") ? l.substring(8) : l).toList());
        assertThat(snippet.lines().count()).isGreaterThan(5);
        String readme = Files.readString(root.resolve("README.md"));
        assertThat(readme).contains("```java\n" + snippet + "\n```");
    }
}
