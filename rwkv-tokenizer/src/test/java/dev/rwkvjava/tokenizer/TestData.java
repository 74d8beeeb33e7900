package dev.rwkvjava.tokenizer;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Finds the shared tokenizer test data: {@code <rwkv.testdata>/tokenizer} (system property, set by the parent
 * pom) or {@code <RWKV_TESTDATA>/tokenizer}. When neither exists the calling test is skipped, except with
 * {@code CI=true}, where missing data is a failure.
 */
public final class TestData {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TestData() {
    }

    /** The tokenizer test data folder; skips (or, on CI, fails) the test when it is absent. */
    public static Path tokenizerDir() {
        Set<String> tried = new LinkedHashSet<>();
        for (String root : new String[] {System.getProperty("rwkv.testdata"), System.getenv("RWKV_TESTDATA")}) {
            if (root == null || root.isBlank()) {
                continue;
            }
            Path dir = Path.of(root).resolve("tokenizer");
            if (Files.isRegularFile(dir.resolve("README.md"))) {
                return dir;
            }
            tried.add(dir.toAbsolutePath().normalize().toString());
        }
        String message = "tokenizer test data not found (tried: " + (tried.isEmpty() ? "nothing" : String.join(", ", tried))
                + "); set -Drwkv.testdata=DIR or RWKV_TESTDATA=DIR to the folder holding tokenizer/";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail(message + " [CI=true: missing test data is an error]");
        }
        abort(message);
        throw new AssertionError("unreachable");
    }

    /** A file of the tokenizer test data; skips like {@link #tokenizerDir()}, fails if only the file is missing. */
    public static Path file(String name) {
        Path p = tokenizerDir().resolve(name);
        if (!Files.isRegularFile(p)) {
            fail("test data file missing: " + p);
        }
        return p;
    }

    /** The objects of a JSON Lines file. */
    public static List<JsonNode> jsonLines(String name) {
        try {
            List<JsonNode> out = new ArrayList<>();
            for (String line : Files.readAllLines(file(name))) {
                if (!line.isBlank()) {
                    out.add(JSON.readTree(line));
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).intValue();
        }
        return out;
    }

    public static byte[] hex(String hex) {
        byte[] out = new byte[hex.length() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
        }
        return out;
    }
}
