package dev.rwkvjava.tokenizer.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Makes the tokenizer fuzzers' seeds from the data set's tokenizers, cut down to fuzzable size: the GPT-NeoX
 * {@code tokenizer.json} with the vocabulary's first ids and the merges among them (every other section as it is),
 * and lines of the World vocabulary from its start, middle and end (single bytes, {@code bytes} literals, multi-byte
 * text, the longest tokens). The committed seeds were written by {@code main(testdataDir, resourcesDir)}.
 */
public final class TokenizerSeeds {
    private static final int KEPT_IDS = 600;

    private TokenizerSeeds() {
    }

    public static void main(String[] args) throws IOException {
        Path data = Path.of(args[0]).resolve("tokenizer");
        Path res = Path.of(args[1]).resolve("dev/rwkvjava/tokenizer/fuzz");
        Path json = Files.createDirectories(res.resolve("TokenizerJsonFuzzerInputs/load"));
        Files.write(json.resolve("neox-cut-tokenizer.json"), neoxCut(data.resolve("20B_tokenizer.json")));
        Path world = Files.createDirectories(res.resolve("WorldVocabFuzzerInputs/load"));
        Files.write(world.resolve("world-vocab-cut.txt"), worldCut(data.resolve("rwkv_vocab_v20230424.txt")));
    }

    private static byte[] neoxCut(Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = (ObjectNode) json.readTree(file.toFile());
        ObjectNode model = (ObjectNode) root.get("model");
        ObjectNode vocab = json.createObjectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = model.get("vocab").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().asInt() < KEPT_IDS) {
                vocab.set(e.getKey(), e.getValue());
            }
        }
        ArrayNode merges = json.createArrayNode();
        for (JsonNode m : model.get("merges")) {
            String[] parts = m.asText().split(" ");
            if (parts.length == 2 && vocab.has(parts[0]) && vocab.has(parts[1]) && vocab.has(parts[0] + parts[1])) {
                merges.add(m);
            }
        }
        model.set("vocab", vocab);
        model.set("merges", merges);
        ArrayNode added = json.createArrayNode();
        int next = KEPT_IDS;
        for (JsonNode t : root.get("added_tokens")) {
            ObjectNode copy = t.deepCopy();
            if (t.get("id").asInt() >= KEPT_IDS) {
                if (next >= KEPT_IDS + 3) {
                    continue;
                }
                copy.put("id", next++);
            }
            added.add(copy);
        }
        root.set("added_tokens", added);
        return json.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
    }

    private static byte[] worldCut(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<String> kept = new ArrayList<>();
        int[][] ranges = {{0, 300}, {10_000, 10_060}, {30_000, 30_040}, {65_460, 65_529}};
        for (int[] r : ranges) {
            kept.addAll(lines.subList(r[0], Math.min(r[1], lines.size())));
        }
        return (String.join("\n", kept) + "\n").getBytes(StandardCharsets.UTF_8);
    }
}
