package dev.rwkvjava.hub.internal;


import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The bar's lines when it is not live (a log file), for bytes and for other counts. */
class ProgressBarTest {

    @Test
    void aCountingBarNamesItsUnitAndVerbs() {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        ProgressBar bar = ProgressBar.counting(new PrintStream(log, true, StandardCharsets.UTF_8), false, "tokens",
                "scoring", "scored");
        bar.start("wiki.txt", 1234, 0);
        bar.update(600);
        bar.update(1234);
        bar.finish();
        String[] lines = log.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(lines).hasSize(2);
        assertThat(lines[0]).isEqualTo("scoring wiki.txt (1234 tokens)");
        assertThat(lines[1]).matches("scored wiki\\.txt \\(1234 tokens, [0-9]+\\.[0-9] tokens/s\\)");
    }

    @Test
    void aDownloadBarCountsBytes() {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        ProgressBar bar = new ProgressBar(new PrintStream(log, true, StandardCharsets.UTF_8), false);
        bar.start("model.safetensors", 3 << 20, 1 << 20);
        bar.update(3 << 20);
        bar.finish();
        String[] lines = log.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(lines[0]).isEqualTo("downloading model.safetensors (3.0 MiB, resuming at 1.0 MiB)");
        assertThat(lines[1]).startsWith("downloaded model.safetensors (3.0 MiB, ").endsWith("/s)");
    }
}
