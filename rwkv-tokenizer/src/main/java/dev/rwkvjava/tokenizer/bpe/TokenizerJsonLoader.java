package dev.rwkvjava.tokenizer.bpe;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rwkvjava.tokenizer.TokenTable;
import dev.rwkvjava.tokenizer.TokenizerFormatException;
import it.unimi.dsi.fastutil.ints.Int2ObjectOpenHashMap;
import it.unimi.dsi.fastutil.longs.Long2IntOpenHashMap;
import it.unimi.dsi.fastutil.objects.Object2IntOpenHashMap;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Reads a Hugging Face {@code tokenizer.json} with Jackson and builds a {@link BpeTokenizer}. Supports what
 * byte-level BPE files use: model BPE (merges as "a b" strings or [a, b] pairs, unk_token, fuse_unk,
 * byte_fallback, ignore_merges), Unicode normalizers (NFC, NFD, NFKC, NFKD, Sequence), the ByteLevel
 * pre-tokenizer (alone or as the only step of a Sequence) and the ByteLevel decoder. Anything else is
 * rejected with an error naming the file and the unsupported setting, rather than tokenized wrongly.
 */
final class TokenizerJsonLoader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TokenizerJsonLoader() {
    }

    static BpeTokenizer load(Path file) throws IOException {
        return parse(Files.readAllBytes(file), file.toString());
    }

    static BpeTokenizer parse(byte[] json, String source) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new TokenizerFormatException(source + ": not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new TokenizerFormatException(source + ": cannot read JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new TokenizerFormatException(source + ": expected a JSON object (a Hugging Face tokenizer.json)");
        }
        return new TokenizerJsonLoader.Reader(root, source).read();
    }

    private record Reader(JsonNode root, String source) {

        BpeTokenizer read() {
            JsonNode model = required(root, "model");
            String type = model.path("type").asText("BPE");
            if (!type.equals("BPE")) {
                throw error("model type " + type + " is not supported (only BPE)");
            }
            for (String field : new String[] {"continuing_subword_prefix", "end_of_word_suffix"}) {
                if (model.hasNonNull(field) && !model.get(field).asText().isEmpty()) {
                    throw error("model." + field + " is not supported by the byte-level BPE tokenizer");
                }
            }
            Object2IntOpenHashMap<String> vocab = readVocab(required(model, "vocab"));
            List<AddedToken> added = readAddedTokens();
            TokenTable table = buildTable(vocab, added);
            BpeModel bpe = readModel(model, vocab);
            TextNormalizer normalizer = readNormalizer(root.get("normalizer"), "normalizer");
            JsonNode byteLevel = findByteLevelPreTokenizer(root.get("pre_tokenizer"));
            checkDecoder(root.get("decoder"));
            return new BpeTokenizer(source, normalizer, added,
                    byteLevel.path("add_prefix_space").asBoolean(false),
                    byteLevel.path("use_regex").asBoolean(true), bpe, table);
        }

        private Object2IntOpenHashMap<String> readVocab(JsonNode vocabNode) {
            if (!vocabNode.isObject()) {
                throw error("model.vocab must be an object of token -> id");
            }
            Object2IntOpenHashMap<String> vocab = new Object2IntOpenHashMap<>(vocabNode.size());
            vocab.defaultReturnValue(-1);
            for (Iterator<Map.Entry<String, JsonNode>> it = vocabNode.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().canConvertToInt() || e.getValue().intValue() < 0) {
                    throw error("model.vocab entry " + quote(e.getKey()) + " has a bad id " + e.getValue());
                }
                vocab.put(e.getKey(), e.getValue().intValue());
            }
            return vocab;
        }

        private List<AddedToken> readAddedTokens() {
            List<AddedToken> out = new ArrayList<>();
            JsonNode list = root.get("added_tokens");
            if (list == null || list.isNull()) {
                return out;
            }
            for (JsonNode t : list) {
                JsonNode id = t.get("id");
                JsonNode content = t.get("content");
                if (id == null || !id.canConvertToInt() || id.intValue() < 0 || content == null || !content.isTextual()) {
                    throw error("added_tokens entry " + t + " needs an \"id\" and a \"content\"");
                }
                boolean special = t.path("special").asBoolean(false);
                out.add(new AddedToken(id.intValue(), content.asText(), special,
                        t.path("normalized").asBoolean(!special), t.path("lstrip").asBoolean(false),
                        t.path("rstrip").asBoolean(false), t.path("single_word").asBoolean(false)));
            }
            return out;
        }

        /** Decoded bytes of every id; an added token's own content wins over a vocabulary entry with its id. */
        private TokenTable buildTable(Object2IntOpenHashMap<String> vocab, List<AddedToken> added) {
            TokenTable.Builder table = new TokenTable.Builder(vocab.size() + added.size());
            Int2ObjectOpenHashMap<String> byId = new Int2ObjectOpenHashMap<>(vocab.size());
            for (AddedToken t : added) {
                if (!table.put(t.id(), ByteLevelAlphabet.decodeToken(t.content()))) {
                    throw error("added_tokens has id " + t.id() + " twice");
                }
            }
            for (Object2IntOpenHashMap.Entry<String> e : vocab.object2IntEntrySet()) {
                int id = e.getIntValue();
                String previous = byId.put(id, e.getKey());
                if (previous != null) {
                    throw error("model.vocab gives id " + id + " to both " + quote(previous) + " and " + quote(e.getKey()));
                }
                if (!table.has(id)) {
                    table.put(id, ByteLevelAlphabet.decodeToken(e.getKey()));
                }
            }
            return table.build();
        }

        private BpeModel readModel(JsonNode model, Object2IntOpenHashMap<String> vocab) {
            JsonNode merges = model.path("merges");
            if (!merges.isArray()) {
                throw error("model.merges must be an array");
            }
            Long2IntOpenHashMap ranks = new Long2IntOpenHashMap(merges.size());
            ranks.defaultReturnValue(-1);
            int[] mergedIds = new int[merges.size()];
            int rank = 0;
            for (JsonNode m : merges) {
                String left;
                String right;
                if (m.isTextual()) {
                    String s = m.asText();
                    int space = s.indexOf(' ');
                    if (space < 0 || s.indexOf(' ', space + 1) >= 0) {
                        throw error("model.merges[" + rank + "] " + quote(s) + " must be two tokens separated by one space");
                    }
                    left = s.substring(0, space);
                    right = s.substring(space + 1);
                } else if (m.isArray() && m.size() == 2 && m.get(0).isTextual() && m.get(1).isTextual()) {
                    left = m.get(0).asText();
                    right = m.get(1).asText();
                } else {
                    throw error("model.merges[" + rank + "] must be \"LEFT RIGHT\" or [\"LEFT\", \"RIGHT\"], found " + m);
                }
                int l = vocabId(vocab, left, rank);
                int r = vocabId(vocab, right, rank);
                int merged = vocabId(vocab, left + right, rank);
                long key = ((long) l << 32) | (r & 0xFFFFFFFFL);
                if (!ranks.containsKey(key)) { // a repeated merge keeps its first (lowest) rank
                    ranks.put(key, rank);
                }
                mergedIds[rank] = merged;
                rank++;
            }
            int unkId = -1;
            if (model.hasNonNull("unk_token")) {
                String unk = model.get("unk_token").asText();
                unkId = vocab.getInt(unk);
                if (unkId < 0) {
                    throw error("model.unk_token " + quote(unk) + " is not in model.vocab");
                }
            }
            return new BpeModel(vocab, ranks, mergedIds, unkId, model.path("fuse_unk").asBoolean(false),
                    model.path("byte_fallback").asBoolean(false), model.path("ignore_merges").asBoolean(false));
        }

        private int vocabId(Object2IntOpenHashMap<String> vocab, String token, int rank) {
            int id = vocab.getInt(token);
            if (id < 0) {
                throw error("model.merges[" + rank + "] uses " + quote(token) + ", which is not in model.vocab");
            }
            return id;
        }

        private TextNormalizer readNormalizer(JsonNode node, String where) {
            List<Normalizer.Form> forms = new ArrayList<>();
            addForms(node, where, forms);
            return forms.isEmpty() ? TextNormalizer.NONE : new TextNormalizer(forms);
        }

        private void addForms(JsonNode node, String where, List<Normalizer.Form> forms) {
            if (node == null || node.isNull()) {
                return;
            }
            String type = node.path("type").asText("");
            switch (type) {
                case "NFC" -> forms.add(Normalizer.Form.NFC);
                case "NFD" -> forms.add(Normalizer.Form.NFD);
                case "NFKC" -> forms.add(Normalizer.Form.NFKC);
                case "NFKD" -> forms.add(Normalizer.Form.NFKD);
                case "Sequence" -> {
                    int i = 0;
                    for (JsonNode n : node.path("normalizers")) {
                        addForms(n, where + ".normalizers[" + i++ + "]", forms);
                    }
                }
                default -> throw error(where + " of type " + quote(type)
                        + " is not supported (supported: NFC, NFD, NFKC, NFKD, Sequence)");
            }
        }

        /** The ByteLevel pre-tokenizer's settings; a byte-level BPE cannot work without it. */
        private JsonNode findByteLevelPreTokenizer(JsonNode node) {
            if (node != null && "Sequence".equals(node.path("type").asText())
                    && node.path("pretokenizers").size() == 1) {
                node = node.path("pretokenizers").get(0);
            }
            if (node == null || node.isNull()) {
                throw error("pre_tokenizer is missing; only byte-level BPE (pre_tokenizer ByteLevel) is supported");
            }
            String type = node.path("type").asText("");
            if (!type.equals("ByteLevel")) {
                throw error("pre_tokenizer of type " + quote(type) + " is not supported (only ByteLevel)");
            }
            if (node.path("use_regex").asBoolean(true) && node.hasNonNull("regex")) {
                throw error("pre_tokenizer ByteLevel with a custom regex is not supported");
            }
            return node;
        }

        private void checkDecoder(JsonNode node) {
            if (node == null || node.isNull()) {
                return;
            }
            String type = node.path("type").asText("");
            if (!type.equals("ByteLevel")) {
                throw error("decoder of type " + quote(type) + " is not supported (only ByteLevel)");
            }
        }

        private JsonNode required(JsonNode parent, String field) {
            JsonNode n = parent.get(field);
            if (n == null || n.isNull()) {
                throw error("missing \"" + field + "\"");
            }
            return n;
        }

        private TokenizerFormatException error(String message) {
            return new TokenizerFormatException(source + ": " + message);
        }

        private static String quote(String s) {
            return '"' + (s.length() > 60 ? s.substring(0, 60) + "..." : s) + '"';
        }
    }
}
