package dev.rwkvjava.tokenizer.bpe;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rwkvjava.tokenizer.internal.TokenTable;
import dev.rwkvjava.tokenizer.TokenizerFiles;
import dev.rwkvjava.tokenizer.TokenizerFormatException;
import dev.rwkvjava.tokenizer.Utf8;
import it.unimi.dsi.fastutil.ints.IntArrayList;
import it.unimi.dsi.fastutil.ints.IntOpenHashSet;
import it.unimi.dsi.fastutil.longs.Long2IntOpenHashMap;
import java.io.IOException;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Reads a Hugging Face {@code tokenizer.json} with Jackson and builds a {@link BpeTokenizer}. Supports what
 * byte-level BPE files use: model BPE (merges as "a b" strings or [a, b] pairs, unk_token, fuse_unk,
 * ignore_merges), Unicode normalizers (NFC, NFD, NFKC, NFKD, Sequence), the ByteLevel
 * pre-tokenizer (alone or as the only step of a Sequence) and the ByteLevel decoder. Anything else is
 * rejected with an error naming the file and the unsupported setting, rather than tokenized wrongly.
 */
final class TokenizerJsonLoader {
    // Field-name canonicalization would intern all 50k vocabulary keys; they are used once, so skip it.
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES).build();
    private static final ObjectMapper JSON = new ObjectMapper(FACTORY);

    private TokenizerJsonLoader() {
    }

    static BpeTokenizer load(Path file) throws IOException {
        return parse(TokenizerFiles.readAll(file), file.toString());
    }

    static BpeTokenizer parse(byte[] json, String source) {
        // JSON text is UTF-8, and the parser checks only the strings it decodes, not those it skips.
        int bad = Utf8.firstInvalid(json);
        if (bad >= 0) {
            throw new TokenizerFormatException(source + ": not valid UTF-8 at byte " + bad
                    + " (a tokenizer.json file is UTF-8 text)");
        }
        try (JsonParser p = FACTORY.createParser(json)) {
            return new Reader(source).read(p);
        } catch (JsonProcessingException e) {
            throw new TokenizerFormatException(source + jsonProblem(e), e);
        } catch (IOException e) {
            throw new TokenizerFormatException(source + ": cannot read JSON: " + e.getMessage(), e);
        }
    }

    private static final Pattern SOURCE_LOCATION = Pattern.compile(
            "\\[Source: [^\\]]*?line: (\\d+), column: (\\d+)\\]");

    /**
     * Where and what the JSON problem is, in the reader's words: " line L, column C: not valid JSON: ...", without
     * the parser's own source description, which names its settings rather than the file.
     */
    static String jsonProblem(JsonProcessingException e) {
        String msg = String.valueOf(e.getOriginalMessage());
        msg = SOURCE_LOCATION.matcher(msg).replaceAll("line $1, column $2");
        JsonLocation at = e.getLocation();
        String where = at == null || at.getLineNr() < 1 ? "" : " line " + at.getLineNr() + ", column " + at.getColumnNr();
        return where + ": not valid JSON: " + msg;
    }

    /**
     * Streams through the file: {@code model.vocab} and {@code model.merges} (nearly all of it) go straight
     * into primitive maps, every other part is read as a small JSON tree.
     */
    private static final class Reader {
        private final String source;
        private final VocabIndex vocab = new VocabIndex();
        /** (left id << 32 | right id) to merge rank, and the id each rank produces. */
        private final Long2IntOpenHashMap ranks = new Long2IntOpenHashMap(65536);
        private final IntArrayList mergedIds = new IntArrayList(65536);
        /** Merges seen before the vocabulary (unusual order), resolved once it is known. */
        private final List<String[]> pendingMerges = new ArrayList<>();
        private ObjectNode root;
        private ObjectNode model;
        private boolean sawVocab;
        private boolean sawMerges;

        Reader(String source) {
            this.source = source;
            ranks.defaultReturnValue(-1);
        }

        BpeTokenizer read(JsonParser p) throws IOException {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw error("expected a JSON object (a Hugging Face tokenizer.json)");
            }
            root = JsonNodeFactory.instance.objectNode();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (name.equals("model") && value == JsonToken.START_OBJECT) {
                    readModelObject(p);
                } else {
                    root.set(name, JSON.readTree(p));
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw error("unexpected content after the top-level JSON object");
            }
            if (model == null) {
                throw error("missing \"model\"");
            }
            return build();
        }

        private void readModelObject(JsonParser p) throws IOException {
            model = JsonNodeFactory.instance.objectNode();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (name.equals("vocab") && value == JsonToken.START_OBJECT) {
                    readVocab(p);
                } else if (name.equals("merges") && value == JsonToken.START_ARRAY) {
                    readMerges(p);
                } else {
                    model.set(name, JSON.readTree(p));
                }
            }
        }

        private void readVocab(JsonParser p) throws IOException {
            sawVocab = true;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String token = p.currentName();
                if (p.nextToken() != JsonToken.VALUE_NUMBER_INT || p.getLongValue() < 0 || p.getLongValue() > Integer.MAX_VALUE) {
                    throw error("model.vocab entry " + quote(token) + " has a bad id " + p.getText());
                }
                if (vocab.putIfAbsent(token, p.getIntValue()) != -1) {
                    throw error("model.vocab has the token " + quote(token) + " twice");
                }
            }
        }

        private void readMerges(JsonParser p) throws IOException {
            sawMerges = true;
            int rank = 0;
            for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken(), rank++) {
                if (t == JsonToken.VALUE_STRING) {
                    // Read in place from the parser's buffer: no strings for the 50k "left right" entries.
                    char[] c = p.getTextCharacters();
                    int off = p.getTextOffset();
                    int end = off + p.getTextLength();
                    int space = indexOf(c, ' ', off, end);
                    if (space < 0 || indexOf(c, ' ', space + 1, end) >= 0) {
                        throw error("model.merges[" + rank + "] " + quote(new String(c, off, end - off))
                                + " must be two tokens separated by one space");
                    }
                    addMerge(c, off, space - off, space + 1, end - space - 1, rank);
                } else if (t == JsonToken.START_ARRAY) {
                    String left = p.nextToken() == JsonToken.VALUE_STRING ? p.getText() : null;
                    String right = left != null && p.nextToken() == JsonToken.VALUE_STRING ? p.getText() : null;
                    if (right == null || p.nextToken() != JsonToken.END_ARRAY) {
                        throw error("model.merges[" + rank + "] must be a pair [\"LEFT\", \"RIGHT\"]");
                    }
                    char[] c = (left + right).toCharArray();
                    addMerge(c, 0, left.length(), left.length(), right.length(), rank);
                } else {
                    throw error("model.merges[" + rank + "] must be \"LEFT RIGHT\" or [\"LEFT\", \"RIGHT\"]");
                }
            }
        }

        private static int indexOf(char[] c, char x, int from, int to) {
            for (int i = from; i < to; i++) {
                if (c[i] == x) {
                    return i;
                }
            }
            return -1;
        }

        BpeTokenizer build() {
            String type = model.path("type").asText("BPE");
            if (!type.equals("BPE")) {
                throw error("model type " + type + " is not supported (only BPE)");
            }
            if (!sawVocab || !sawMerges) {
                throw error("model needs a \"vocab\" object and a \"merges\" array");
            }
            for (String field : new String[] {"continuing_subword_prefix", "end_of_word_suffix"}) {
                if (model.hasNonNull(field) && !model.get(field).asText().isEmpty()) {
                    throw error("model." + field + " is not supported by the byte-level BPE tokenizer");
                }
            }
            if (model.path("byte_fallback").asBoolean(false)) {
                // Byte-level vocabularies spell every byte already; fallback belongs to SentencePiece-style BPE.
                throw error("model.byte_fallback is not supported by the byte-level BPE tokenizer");
            }
            List<AddedToken> added = readAddedTokens();
            TokenTable table = buildTable(added);
            BpeModel bpe = buildModel();
            TextNormalizer normalizer = readNormalizer(root.get("normalizer"), "normalizer");
            JsonNode byteLevel = findByteLevelPreTokenizer(root.get("pre_tokenizer"));
            checkDecoder(root.get("decoder"));
            return new BpeTokenizer(source, normalizer, added,
                    byteLevel.path("add_prefix_space").asBoolean(false),
                    byteLevel.path("use_regex").asBoolean(true), bpe, table);
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

        private static String addedContent(List<AddedToken> added, int id) {
            for (AddedToken t : added) {
                if (t.id() == id) {
                    return t.content();
                }
            }
            throw new IllegalStateException("no added token " + id);
        }

        /** Decoded bytes of every id; an added token's own content wins over a vocabulary entry with its id. */
        private TokenTable buildTable(List<AddedToken> added) {
            TokenTable.Builder table = new TokenTable.Builder(vocab.size() + added.size());
            IntOpenHashSet addedIds = new IntOpenHashSet();
            for (AddedToken t : added) {
                if (!table.put(t.id(), ByteLevelAlphabet.decodeToken(t.content()))) {
                    throw error("added_tokens has id " + t.id() + " twice");
                }
                addedIds.add(t.id());
            }
            byte[] scratch = new byte[3 * vocab.maxLength()];
            IntOpenHashSet addedIdsInVocab = new IntOpenHashSet();
            for (int i = 0; i < vocab.size(); i++) {
                int id = vocab.id(i);
                int len = vocab.decodeBytes(i, scratch);
                if (addedIds.contains(id)) {
                    // The added token's own content is what decodes; a vocabulary entry may repeat it under the
                    // same id, but an entry that spells something else would encode to the added token.
                    if (!addedIdsInVocab.add(id) || !Arrays.equals(scratch, 0, len,
                            table.pool(), table.start(id), table.start(id) + table.length(id))) {
                        throw error("model.vocab gives id " + id + ", which is the added token "
                                + quote(addedContent(added, id)) + ", to " + quote(vocab.token(i)));
                    }
                    continue;
                }
                if (!table.put(id, scratch, 0, len)) {
                    throw error("model.vocab gives id " + id + " to two tokens, one of them " + quote(vocab.token(i)));
                }
            }
            int outlier = table.outlier();
            if (outlier >= 0) {
                throw error((addedIds.contains(outlier) ? "added_tokens" : "model.vocab") + " has the id " + outlier
                        + ", far beyond its " + table.count() + " tokens (ids may reach "
                        + TokenTable.Builder.maxIdFor(table.count()) + ")");
            }
            return table.build();
        }

        /** Adds the merge of {@code c[l, l + ll)} and {@code c[r, r + rl)}, resolving its tokens to ids. */
        private void addMerge(char[] c, int l, int ll, int r, int rl, int rank) {
            if (!sawVocab) {
                pendingMerges.add(new String[] {new String(c, l, ll), new String(c, r, rl)});
                return;
            }
            int left = vocabId(c, l, ll, c, 0, 0, rank);
            int right = vocabId(c, r, rl, c, 0, 0, rank);
            mergedIds.add(vocabId(c, l, ll, c, r, rl, rank));
            ranks.putIfAbsent(((long) left << 32) | (right & 0xFFFFFFFFL), rank); // a repeated merge keeps its first rank
        }

        private BpeModel buildModel() {
            for (int rank = 0; rank < pendingMerges.size(); rank++) {
                String[] m = pendingMerges.get(rank);
                char[] c = (m[0] + m[1]).toCharArray();
                addMerge(c, 0, m[0].length(), m[0].length(), m[1].length(), rank);
            }
            int unkId = -1;
            if (model.hasNonNull("unk_token")) {
                String unk = model.get("unk_token").asText();
                unkId = vocab.get(unk);
                if (unkId < 0) {
                    throw error("model.unk_token " + quote(unk) + " is not in model.vocab");
                }
            }
            return new BpeModel(vocab, ranks, mergedIds.toIntArray(), unkId, model.path("fuse_unk").asBoolean(false),
                    model.path("ignore_merges").asBoolean(false));
        }

        private int vocabId(char[] a, int aOff, int aLen, char[] b, int bOff, int bLen, int rank) {
            int id = vocab.get2(a, aOff, aLen, b, bOff, bLen);
            if (id < 0) {
                String token = new String(a, aOff, aLen) + new String(b, bOff, bLen);
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

        private TokenizerFormatException error(String message) {
            return new TokenizerFormatException(source + ": " + message);
        }

        private static String quote(String s) {
            return '"' + (s.length() > 60 ? s.substring(0, 60) + "..." : s) + '"';
        }
    }
}
