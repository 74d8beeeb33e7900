package dev.rwkvjava.testutil;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** The data set's index.json: every model file with its hyper-parameters and format facts. */
public final class Index {
    private static JsonNode root;

    private Index() {
    }

    private static synchronized JsonNode root() {
        if (root == null) {
            try {
                root = new ObjectMapper().readTree(TestData.file("index.json").toFile());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return root;
    }

    /** The model entries whose file path (relative to the data root) starts with {@code prefix}. */
    public static List<JsonNode> models(String prefix) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode m : root().get("models")) {
            if (m.get("file").asText().startsWith(prefix)) {
                out.add(m);
            }
        }
        if (out.isEmpty()) {
            throw new AssertionError("index.json lists no model under " + prefix);
        }
        return out;
    }
}
