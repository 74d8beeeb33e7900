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
    static final java.util.Set<String> FORMATS_NOT_YET_READ = java.util.Set.of();

    /**
     * Weight types the engine does not run yet. Models holding tensors of one of them are skipped (and listed) by
     * the tests that discover cases from the data; a type leaves this list when its kernels land.
     */
    static final java.util.Set<String> WEIGHT_TYPES_NOT_YET_RUN =
            java.util.Set.of();

    /**
     * Why the engine cannot run a model of the data yet (its format or a weight type it holds, as
     * {@code index.json} lists them), or null when it can.
     */
    static String notYetRun(Path model) {
        String format = formatOf(model);
        if (FORMATS_NOT_YET_READ.contains(format)) {
            return "the " + format + " format";
        }
        try {
            Path root = model.toAbsolutePath().normalize();
            while (root != null && !Files.isRegularFile(root.resolve("index.json"))) {
                root = root.getParent();
            }
            if (root == null) {
                return null;
            }
            com.fasterxml.jackson.databind.JsonNode index = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(root.resolve("index.json").toFile());
            for (com.fasterxml.jackson.databind.JsonNode m : index.get("models")) {
                if (!root.resolve(m.get("file").asText()).normalize().equals(model.toAbsolutePath().normalize())) {
                    continue;
                }
                java.util.List<String> types = new java.util.ArrayList<>();
                if (m.has("gguf_tensor_types")) {
                    m.get("gguf_tensor_types").fieldNames().forEachRemaining(types::add);
                }
                if (m.has("rwkv_cpp_header")) {
                    types.add(m.get("rwkv_cpp_header").get("data_type").asText());
                }
                for (String t : types) {
                    if (WEIGHT_TYPES_NOT_YET_RUN.contains(t)) {
                        return "the " + t + " weight type";
                    }
                }
            }
            return null;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

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
