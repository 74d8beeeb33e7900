package dev.rwkvjava.cli;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/** The shared reference data (see rwkv-core's TestData): skipped when absent, except on CI. */
final class CliTestData {
    private CliTestData() {
    }

    static Path file(String relative) {
        String prop = System.getProperty("rwkv.testdata");
        String env = System.getenv("RWKV_TESTDATA");
        Path root = prop != null && !prop.isBlank() ? Path.of(prop)
                : env != null && !env.isBlank() ? Path.of(env) : Path.of("../../shared/testdata");
        if (!Files.isDirectory(root)) {
            String msg = "reference data not found at " + root.toAbsolutePath() + "; set -Drwkv.testdata=DIR";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                throw new AssertionError(msg + " (required on CI)");
            }
            Assumptions.abort(msg);
        }
        Path p = root.resolve(relative);
        if (!Files.exists(p)) {
            throw new AssertionError("reference file missing: " + p);
        }
        return p;
    }

    /** Model file formats the engine does not read yet (as rwkv-core's TestData): their cases are skipped. */
    static final java.util.Set<String> FORMATS_NOT_YET_READ = java.util.Set.of("gguf", "rwkv.cpp");

    /** A model file's format by its first bytes: "gguf", "rwkv.cpp", "pytorch" (a zip) or "safetensors". */
    static String formatOf(Path model) {
        byte[] head = new byte[4];
        try (var in = Files.newInputStream(model)) {
            int n = in.readNBytes(head, 0, 4);
            String magic = new String(head, 0, n, java.nio.charset.StandardCharsets.ISO_8859_1);
            return switch (magic) {
                case "GGUF" -> "gguf";
                case "fmgg" -> "rwkv.cpp";
                default -> magic.startsWith("PK") ? "pytorch" : "safetensors";
            };
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
