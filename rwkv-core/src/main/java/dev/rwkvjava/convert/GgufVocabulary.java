package dev.rwkvjava.convert;

import dev.rwkvjava.io.gguf.GgufFile;
import dev.rwkvjava.io.gguf.GgufHeader;
import dev.rwkvjava.io.gguf.GgufValueType;
import dev.rwkvjava.tokenizer.ByteTokenizer;
import dev.rwkvjava.tokenizer.Tokenizer;
import dev.rwkvjava.tokenizer.world.WorldTokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The {@code tokenizer.*} entries of a GGUF file: copied from a GGUF input as they are, or, for an RWKV World or
 * byte vocabulary, written as llama.cpp's converter writes its RWKV vocabulary: model {@code rwkv}, id 0 the control
 * token {@code <s>}, every other token as Python writes a bytes literal without the {@code b'...'} quotes, ids the
 * vocabulary does not fill as unused {@code [PADn]} tokens, end of text 0, end of turn the token {@code \n\n} (when the
 * vocabulary has it), and a chat template in the World format.
 */
final class GgufVocabulary {
    /** llama.cpp's token types. */
    static final int NORMAL = 1;
    static final int CONTROL = 3;
    static final int UNUSED = 5;

    /**
     * The RWKV World chat format as a Jinja template: an optional {@code System:} line, then {@code User:} and
     * {@code Assistant:} turns, each ending in a blank line. The comment names the format for llama.cpp's
     * template detection, which knows it as "rwkv-world".
     */
    static final String CHAT_TEMPLATE = """
            {#- rwkv-world: "User: ...\\n\\nAssistant: ...\\n\\n", optionally "System: ...\\n\\n" first -#}
            {%- for message in messages -%}
            {%- if message['role'] == 'system' -%}
            {{- 'System: ' + message['content']|trim + '\\n\\n' -}}
            {%- elif message['role'] == 'user' -%}
            {{- 'User: ' + message['content']|trim + '\\n\\n' -}}
            {%- elif message['role'] == 'assistant' and message['content'] is not none -%}
            {{- 'Assistant: ' + message['content']|trim + '\\n\\n' -}}
            {%- endif -%}
            {%- endfor -%}
            {%- if add_generation_prompt is not defined or add_generation_prompt -%}
            {{- 'Assistant:' -}}
            {%- endif -%}
            """;

    private GgufVocabulary() {
    }

    /** No vocabulary. */
    static Consumer<GgufHeader> none() {
        return h -> { };
    }

    /** Every {@code tokenizer.*} entry of a GGUF file, with its type, in the file's order. */
    static Consumer<GgufHeader> copiedFrom(GgufFile source) {
        return h -> {
            for (String key : source.keys()) {
                if (!key.startsWith("tokenizer.")) {
                    continue;
                }
                GgufValueType type = source.type(key).orElseThrow();
                Object value = source.value(key).orElseThrow();
                if (type == GgufValueType.ARRAY) {
                    GgufValueType elem = source.elementType(key).orElseThrow();
                    if (elem != GgufValueType.ARRAY) {
                        h.putArray(key, elem, (List<?>) value);
                    }
                } else {
                    h.put(key, type, value);
                }
            }
        };
    }

    /**
     * llama.cpp's RWKV vocabulary for a World or byte tokenizer of a model with {@code modelVocab} ids, or empty for
     * other tokenizers (llama.cpp's {@code rwkv} tokenizer is the World one).
     */
    static Optional<Consumer<GgufHeader>> rwkv(Tokenizer tokenizer, int modelVocab) {
        if (!(tokenizer instanceof WorldTokenizer) && !(tokenizer instanceof ByteTokenizer)) {
            return Optional.empty();
        }
        if (tokenizer.vocabSize() > modelVocab) {
            throw new IllegalArgumentException("the tokenizer has " + tokenizer.vocabSize()
                    + " ids but the model only " + modelVocab);
        }
        return Optional.of(h -> {
            List<String> tokens = new ArrayList<>(modelVocab);
            List<Long> types = new ArrayList<>(modelVocab);
            tokens.add("<s>");
            types.add((long) CONTROL);
            long endOfTurn = -1;
            byte[] blankLine = {'\n', '\n'};
            for (int id = 1; id < modelVocab; id++) {
                byte[] b = id < tokenizer.vocabSize() ? bytesOf(tokenizer, id) : new byte[0];
                if (b.length == 0) {
                    tokens.add("[PAD" + id + "]");
                    types.add((long) UNUSED);
                } else {
                    tokens.add(pythonBytes(b));
                    types.add((long) NORMAL);
                }
                if (endOfTurn < 0 && Arrays.equals(b, blankLine)) {
                    endOfTurn = id;
                }
            }
            h.put("tokenizer.ggml.model", GgufValueType.STRING, "rwkv");
            h.putArray("tokenizer.ggml.tokens", GgufValueType.STRING, tokens);
            h.putArray("tokenizer.ggml.token_type", GgufValueType.INT32, types);
            h.put("tokenizer.ggml.bos_token_id", GgufValueType.UINT32, 0L);
            h.put("tokenizer.ggml.eos_token_id", GgufValueType.UINT32, 0L);
            if (endOfTurn > 0) {
                h.put("tokenizer.ggml.eot_token_id", GgufValueType.UINT32, endOfTurn);
            }
            h.put("tokenizer.chat_template", GgufValueType.STRING, CHAT_TEMPLATE);
        });
    }

    /** A token's bytes; none for an id the vocabulary skips. */
    private static byte[] bytesOf(Tokenizer tokenizer, int id) {
        try {
            return tokenizer.tokenBytes(id);
        } catch (IllegalArgumentException e) {
            return new byte[0];
        }
    }

    /**
     * Bytes as Python's {@code repr} writes a bytes literal, without the {@code b} and the quotes: printable ASCII
     * as is, the quote character and backslash escaped, {@code \t \n \r}, and {@code \xNN} (lower-case) for every
     * other byte. The quote is {@code "} when the bytes hold {@code '} and no {@code "}, else {@code '}.
     */
    static String pythonBytes(byte[] b) {
        boolean single = false;
        boolean dbl = false;
        for (byte x : b) {
            single |= x == '\'';
            dbl |= x == '"';
        }
        char quote = single && !dbl ? '"' : '\'';
        StringBuilder sb = new StringBuilder(b.length + 8);
        for (byte x : b) {
            int c = x & 0xFF;
            if (c == quote || c == '\\') {
                sb.append('\\').append((char) c);
            } else if (c == '\t') {
                sb.append("\\t");
            } else if (c == '\n') {
                sb.append("\\n");
            } else if (c == '\r') {
                sb.append("\\r");
            } else if (c < 0x20 || c >= 0x7F) {
                sb.append("\\x").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
            } else {
                sb.append((char) c);
            }
        }
        return sb.toString();
    }
}
