package dev.rwkvjava.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.convert.ModelConverter;
import dev.rwkvjava.io.ModelFiles;
import dev.rwkvjava.state.State;
import dev.rwkvjava.synthetic.SyntheticModels;
import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.WeightType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Load time and resident memory of one model shape in each format the engine writes: a synthetic model (default
 * {@code v7-1.5b}, F16) is written as safetensors, then converted to the other formats; each file is then opened in
 * fresh JVMs, {@code runs} times after one untimed round that brings the files into the page cache, the formats
 * taking turns; each run reports the time from {@code RwkvModel.load} to the first token's logits and the process's
 * resident memory. Prints one JSON object per format (medians) on stdout.
 *
 * <pre>
 * java --add-modules=jdk.incubator.vector -cp rwkv-bench/target/benchmarks.jar dev.rwkvjava.bench.LoadTime \
 *     [--synthetic v7-1.5b] [--dtype f16] [--runs 5] [--dir DIR] [--formats safetensors,gguf,gguf:q8_0]
 * </pre>
 *
 * A format is {@code safetensors}, {@code gguf} or {@code rwkvcpp}, with {@code :TYPE} to convert the weights to
 * TYPE (e.g. {@code gguf:q8_0}, {@code rwkvcpp:q5_1}). Files are kept
 * in DIR (default: a temporary folder, removed at the end) and reused by later runs with the same DIR.
 */
public final class LoadTime {
    private LoadTime() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length >= 2 && args[0].equals("--probe")) {
            probe(Path.of(args[1]));
            return;
        }
        Map<String, String> opt = options(args);
        SyntheticModels.Spec spec = SyntheticModels.spec(opt.getOrDefault("synthetic", "v7-1.5b"));
        DType dtype = WeightType.named(opt.getOrDefault("dtype", "f16")).dtype();
        int runs = Integer.parseInt(opt.getOrDefault("runs", "5"));
        List<String> formats = List.of(opt.getOrDefault("formats", "safetensors,gguf,gguf:q8_0").split(","));
        boolean temporary = !opt.containsKey("dir");
        Path dir = temporary ? Files.createTempDirectory("rwkv-load-time") : Path.of(opt.get("dir"));
        Files.createDirectories(dir);
        String stem = spec.name() + "-" + dtype.name().toLowerCase(Locale.ROOT);
        Path source = dir.resolve(stem + ".safetensors");
        try {
            if (!Files.exists(source)) {
                System.err.println("writing " + source + " ...");
                SyntheticModels.write(spec, dtype, 42, source);
            }
            ObjectMapper json = new ObjectMapper();
            Map<String, Path> files = new LinkedHashMap<>();
            for (String format : formats) {
                files.put(format, fileFor(dir, stem, format, source));
            }
            // Formats take turns, run by run, so that a busy neighbour slows each of them alike.
            Map<String, List<JsonNode>> results = new LinkedHashMap<>();
            for (int r = 0; r <= runs; r++) {
                for (Map.Entry<String, Path> f : files.entrySet()) {
                    JsonNode one = json.readTree(runProbe(f.getValue()));
                    if (r > 0) { // the first round brings each file into the page cache
                        results.computeIfAbsent(f.getKey(), k -> new ArrayList<>()).add(one);
                    }
                    System.err.println(f.getKey() + " run " + r + ": " + one);
                }
            }
            for (Map.Entry<String, Path> f : files.entrySet()) {
                List<JsonNode> rs = results.getOrDefault(f.getKey(), List.of());
                ObjectNode o = json.createObjectNode();
                o.put("model", spec.name());
                o.put("format", f.getKey());
                o.put("file", f.getValue().getFileName().toString());
                o.put("file_bytes", Files.size(f.getValue()));
                o.put("runs", rs.size());
                o.put("load_to_first_logits_s_median", median(rs, "load_to_first_logits_s"));
                o.put("load_s_median", median(rs, "load_s"));
                o.put("rss_mb_median", median(rs, "rss_mb"));
                o.put("peak_rss_mb_median", median(rs, "peak_rss_mb"));
                System.out.println(json.writeValueAsString(o));
            }
        } finally {
            if (temporary) {
                try (var s = Files.list(dir)) {
                    for (Path p : s.toList()) {
                        Files.deleteIfExists(p);
                    }
                }
                Files.deleteIfExists(dir);
            }
        }
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("usage: LoadTime [--synthetic NAME] [--dtype T] [--runs N] "
                        + "[--dir DIR] [--formats safetensors,gguf,gguf:q8_0]");
            }
            m.put(args[i].substring(2), args[++i]);
        }
        return m;
    }

    /** The model in a format, converted from the safetensors source unless it is there already. */
    private static Path fileFor(Path dir, String stem, String format, Path source) {
        if (format.equals("safetensors")) {
            return source;
        }
        String[] parts = format.split(":");
        ModelConverter.Target target = ModelConverter.Target.named(parts[0]);
        WeightType type = parts.length > 1 ? WeightType.named(parts[1]) : null;
        String ext = target == ModelConverter.Target.RWKV_CPP ? "bin" : target.label();
        Path out = dir.resolve(stem + (type == null ? "" : "-" + parts[1]) + "." + ext);
        if (!Files.exists(out)) {
            System.err.println("converting to " + out + " ...");
            ModelConverter.convert(new ModelConverter.Request(ModelFiles.of(source), null, stem, out, target, type,
                    false), ModelConverter.Listener.none());
        }
        return out;
    }

    private static String runProbe(Path file) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules=jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                LoadTime.class.getName(), "--probe", file.toString()));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (p.waitFor() != 0) {
            throw new IOException("probe of " + file + " failed: " + out);
        }
        return out.lines().reduce((a, b) -> b).orElse("");
    }

    /** In a fresh JVM: load, first logits, resident memory. */
    private static void probe(Path file) {
        long t0 = System.nanoTime();
        try (RwkvModel m = RwkvModel.load(file)) {
            long t1 = System.nanoTime();
            State s = m.newState();
            float[] logits = m.forward(1, s);
            long t2 = System.nanoTime();
            if (!Float.isFinite(logits[0])) {
                throw new IllegalStateException("logits are not finite");
            }
            Map<String, Long> status = procStatus();
            System.out.printf(Locale.ROOT, "{\"load_s\": %.4f, \"load_to_first_logits_s\": %.4f, \"rss_mb\": %d, "
                    + "\"peak_rss_mb\": %d}%n", (t1 - t0) / 1e9, (t2 - t0) / 1e9,
                    status.getOrDefault("VmRSS", -1L) / 1024, status.getOrDefault("VmHWM", -1L) / 1024);
        }
    }

    /** The kB figures of /proc/self/status (Linux); empty elsewhere. */
    private static Map<String, Long> procStatus() {
        Map<String, Long> m = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                String[] kv = line.split(":\\s+");
                if (kv.length == 2 && kv[1].endsWith(" kB")) {
                    m.put(kv[0], Long.parseLong(kv[1].substring(0, kv[1].length() - 3).trim()));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux: no figures
        }
        return m;
    }

    private static double median(List<JsonNode> results, String key) {
        double[] v = results.stream().mapToDouble(n -> n.get(key).asDouble()).toArray();
        Arrays.sort(v);
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
