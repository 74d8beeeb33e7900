package dev.rwkvjava.testutil;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the shared reference data: system property {@code rwkv.testdata}, else environment variable
 * {@code RWKV_TESTDATA}, else {@code ../shared/testdata} from the project root. When it is absent, data-driven
 * tests are skipped with a message, except under {@code CI=true}, where absence fails the test.
 */
public final class TestData {
    private TestData() {
    }

    /** The data root, or a skip (a failure on CI) when it cannot be found. */
    public static Path root() {
        Path p = locate();
        if (p == null || !Files.isDirectory(p)) {
            String msg = "reference data not found (looked at " + p + "); set -Drwkv.testdata=DIR or RWKV_TESTDATA";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                throw new AssertionError(msg + " (required on CI)");
            }
            Assumptions.abort(msg);
        }
        return p;
    }

    /** A file under the data root; fails when the root exists but the file does not. */
    public static Path file(String relative) {
        Path p = root().resolve(relative);
        if (!Files.exists(p)) {
            throw new AssertionError("reference file missing: " + p);
        }
        return p;
    }

    /**
     * The model file a reference folder's cases were computed with (from the cases' {@code model} metadata,
     * e.g. folder {@code random-v4-c128-l3-v1000} → {@code models/random-v4-c128-l3-v1000.f32.safetensors}).
     */
    public static Path modelOf(String referenceFolder) {
        Path dir = file("reference/" + referenceFolder);
        try (var s = Files.list(dir)) {
            Path any = s.filter(p -> p.toString().endsWith(".safetensors")).findFirst()
                    .orElseThrow(() -> new AssertionError("no cases in " + dir));
            try (var f = dev.rwkvjava.io.SafetensorsFile.open(any)) {
                String model = f.metadata().get("model");
                if (model == null) {
                    throw new AssertionError(any + " has no 'model' metadata");
                }
                return file(model);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Model file formats the engine does not read yet. Cases whose model is in one of them are skipped (and listed)
     * by the tests that discover cases from the data; a format leaves this list when its reader lands.
     */
    public static final java.util.Set<String> FORMATS_NOT_YET_READ = java.util.Set.of();

    /**
     * Weight types the engine does not run yet. Models holding tensors of one of them are skipped (and listed) by
     * the tests that discover cases from the data; a type leaves this list when its kernels land.
     */
    public static final java.util.Set<String> WEIGHT_TYPES_NOT_YET_RUN =
            java.util.Set.of();

    /**
     * Why the engine cannot run a model of the data yet (its format or a weight type it holds, as
     * {@code index.json} lists them), or null when it can.
     */
    public static String notYetRun(Path model) {
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
    public static String formatOf(Path model) {
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

    /**
     * A model of the data and the folder of reference cases computed for its weights.
     *
     * @param id        the model's file under the data root, e.g. {@code models/gguf/tiny-rwkv-7v0-834K-Q8_0.gguf}
     * @param model     what to load: the file, or its folder when it comes with a {@code config.json}
     * @param reference the reference folder under the data root, e.g. {@code reference/tiny-rwkv-7v0-834K.f32}
     * @param format    the file's format (see {@link #formatOf})
     */
    public record ModelReference(String id, Path model, String reference, String format) {
        /** A short name for test listings: the file name. */
        @Override
        public String toString() {
            return id.substring(id.lastIndexOf('/') + 1);
        }
    }

    /**
     * Every model listed in {@code index.json} with the reference folder of its weights: its own folder
     * ({@code reference/<path under models/ without extension>}, without {@code .f32} for the random models), the
     * one {@code index.json} names, or, for
     * rwkv.cpp's FP32 files (the same weights as the {@code .f32} models, data README 8.2), the {@code .f32}
     * model's. Models the engine cannot run yet ({@link #notYetRun}) are left out.
     */
    public static java.util.List<ModelReference> modelReferences() {
        Path root = root();
        java.util.List<ModelReference> out = new java.util.ArrayList<>();
        try {
            com.fasterxml.jackson.databind.JsonNode index = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(root.resolve("index.json").toFile());
            for (com.fasterxml.jackson.databind.JsonNode m : index.get("models")) {
                String id = m.get("file").asText();
                Path file = file(id);
                String format = formatOf(file);
                if (notYetRun(file) != null) {
                    continue;
                }
                String stem = id.substring("models/".length()).replaceFirst("\\.(safetensors|bin|pth|gguf)$", "");
                String ref = m.has("reference") ? m.get("reference").asText() : "reference/" + stem;
                if (!Files.isDirectory(root.resolve(ref)) && stem.endsWith(".f32")) {
                    ref = "reference/" + stem.substring(0, stem.length() - ".f32".length()); // the random models
                }
                if (!Files.isDirectory(root.resolve(ref)) && stem.startsWith("rwkv.cpp/") && stem.endsWith("-FP32")) {
                    String base = stem.substring("rwkv.cpp/".length(), stem.length() - "-FP32".length());
                    ref = "reference/" + base + ".f32";
                }
                if (!Files.isDirectory(root.resolve(ref))) {
                    throw new AssertionError("no reference folder for " + id + " (looked for " + ref + ")");
                }
                Path model = m.has("config_file") ? file.getParent() : file;
                out.add(new ModelReference(id, model, ref, format));
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out;
    }

    private static Path locate() {
        String prop = System.getProperty("rwkv.testdata");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop).toAbsolutePath().normalize();
        }
        String env = System.getenv("RWKV_TESTDATA");
        if (env != null && !env.isBlank()) {
            return Path.of(env).toAbsolutePath().normalize();
        }
        // Walk up from the working directory to the project root (the folder with the parent pom).
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            if (Files.isRegularFile(dir.resolve("pom.xml")) && Files.isDirectory(dir.resolve("rwkv-core"))) {
                return dir.resolve("../shared/testdata").normalize();
            }
            dir = dir.getParent();
        }
        return null;
    }
}
