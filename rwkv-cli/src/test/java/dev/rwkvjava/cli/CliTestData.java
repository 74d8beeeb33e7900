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
}
