package dev.rwkvjava.bench.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Input for the tokenizer benchmarks: the shared tokenizer test data and a ~5 MB mixed text made of the texts
 * of both case files (English, CJK, Korean, Arabic, Thai, emoji, code, whitespace runs, ...) repeated.
 */
final class BenchText {
    static final int TARGET_BYTES = 5_000_000;

    private BenchText() {
    }

    /**
     * {@code <rwkv.testdata>/tokenizer}, {@code <RWKV_TESTDATA>/tokenizer}, or {@code shared/testdata/tokenizer}
     * in the working directory or one of its parents.
     */
    static Path dataDir() {
        List<Path> tried = new ArrayList<>();
        for (String root : new String[] {System.getProperty("rwkv.testdata"), System.getenv("RWKV_TESTDATA")}) {
            if (root != null && !root.isBlank()) {
                tried.add(Path.of(root, "tokenizer"));
            }
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            tried.add(p.resolve("shared/testdata/tokenizer"));
        }
        for (Path p : tried) {
            if (Files.isRegularFile(p.resolve("rwkv_vocab_v20230424.txt"))) {
                return p;
            }
        }
        throw new IllegalStateException("tokenizer test data not found; run with -Drwkv.testdata=DIR "
                + "(java -Drwkv.testdata=... -jar benchmarks.jar, and -jvmArgs -Drwkv.testdata=... for forks) or set "
                + "RWKV_TESTDATA. Tried: " + tried);
    }

    /** The case texts joined by newlines, repeated to at least {@link #TARGET_BYTES} UTF-8 bytes. */
    static String mixedText() {
        ObjectMapper json = new ObjectMapper();
        StringBuilder unit = new StringBuilder();
        try {
            for (String file : new String[] {"world_v20230424_cases.jsonl", "neox20b_cases.jsonl"}) {
                for (String line : Files.readAllLines(dataDir().resolve(file))) {
                    if (line.isBlank()) {
                        continue;
                    }
                    JsonNode text = json.readTree(line).get("text");
                    if (text != null && text.isTextual()) {
                        unit.append(text.asText()).append('\n');
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int unitBytes = unit.toString().getBytes(StandardCharsets.UTF_8).length;
        return unit.toString().repeat((TARGET_BYTES + unitBytes - 1) / unitBytes);
    }
}
