package dev.rwkvjava.io.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rwkvjava.LoadMode;
import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.WeightReader;
import dev.rwkvjava.testutil.GgmlBlocks;
import dev.rwkvjava.testutil.Index;
import dev.rwkvjava.testutil.ModelFiles;
import dev.rwkvjava.testutil.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The GGUF files of the data set, checked against index.json and the weights of the models they were made from. */
class GgufFileTest {

    static Stream<JsonNode> ggufModels() {
        return Index.models("models/gguf/").stream();
    }

    private static String stem(JsonNode model) {
        return Path.of(model.get("file").asText()).getFileName().toString();
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("ggufModels")
    void headerAndMetadataAreThoseTheIndexLists(JsonNode model) {
        for (LoadMode mode : LoadMode.values()) {
            try (GgufFile f = GgufFile.open(TestData.file(model.get("file").asText()), mode)) {
                assertThat(f.fileSize()).isEqualTo(model.get("bytes").asLong());
                assertThat(f.version()).isEqualTo(3);
                assertThat(f.alignment()).isEqualTo(32);
                assertThat(f.dataOffset() % 32).isZero();
                assertThat(f.architecture()).isEqualTo(model.get("gguf_architecture").asText());

                Map<String, Integer> counts = new TreeMap<>();
                for (TensorInfo t : f.tensors()) {
                    counts.merge(t.dtype().name(), 1, Integer::sum);
                }
                Map<String, Integer> expected = new TreeMap<>();
                model.get("gguf_tensor_types").fields().forEachRemaining(e -> expected.put(e.getKey(), e.getValue().asInt()));
                assertThat(counts).as("tensor types of %s", stem(model)).isEqualTo(expected);

                JsonNode meta = model.get("gguf_metadata");
                for (Iterator<Map.Entry<String, JsonNode>> it = meta.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    String key = e.getKey();
                    JsonNode v = e.getValue();
                    if (v.isTextual()) {
                        assertThat(f.string(key)).as(key).isEqualTo(v.asText());
                        assertThat(f.metadata()).containsEntry(key, v.asText());
                    } else if (v.isIntegralNumber()) {
                        assertThat(f.integer(key)).as(key).isEqualTo(v.asLong());
                        assertThat(f.type(key)).as(key).contains(GgufValueType.UINT32);
                        assertThat(f.metadata()).containsEntry(key, v.asText());
                    } else {
                        // The index holds the float32 value widened to double.
                        assertThat(f.type(key)).as(key).contains(GgufValueType.FLOAT32);
                        assertThat(f.real(key)).as(key).isEqualTo(v.asDouble());
                        assertThat(f.value(key)).as(key).contains((float) v.asDouble());
                    }
                }
                // Every scalar the file has is in the index, and the arrays are the tokenizer's.
                Set<String> scalars = new HashSet<>(f.metadata().keySet());
                scalars.remove("tokenizer.chat_template");
                assertThat(scalars).isEqualTo(setOf(meta.fieldNames()));
                assertThat(f.keys()).contains("tokenizer.ggml.tokens", "tokenizer.ggml.token_type",
                        "tokenizer.chat_template");
            }
        }
    }

    private static Set<String> setOf(Iterator<String> it) {
        Set<String> s = new HashSet<>();
        it.forEachRemaining(s::add);
        return s;
    }

    @Test
    void tokenizerArraysReadAsTheReadmeDescribes() {
        try (GgufFile f = GgufFile.open(TestData.file("models/gguf/tiny-rwkv-7v0-834K-Q4_0.gguf"))) {
            List<String> tokens = f.strings("tokenizer.ggml.tokens");
            assertThat(tokens).hasSize(256);
            assertThat(f.arrayLength("tokenizer.ggml.tokens")).isEqualTo(256);
            assertThat(f.elementType("tokenizer.ggml.tokens")).contains(GgufValueType.STRING);
            assertThat(tokens.get(0)).isEqualTo("<s>");
            assertThat(tokens.get('a')).isEqualTo("a");
            assertThat(tokens.get(' ')).isEqualTo(" ");
            assertThat(tokens.get('\n')).isEqualTo("\\n");
            assertThat(tokens.get('\t')).isEqualTo("\\t");
            assertThat(tokens.get('\\')).isEqualTo("\\\\");
            assertThat(tokens.get(1)).isEqualTo("\\x01");
            assertThat(tokens.get(0xff)).isEqualTo("\\xff");

            int[] types = f.ints("tokenizer.ggml.token_type");
            assertThat(f.elementType("tokenizer.ggml.token_type")).contains(GgufValueType.INT32);
            assertThat(types).hasSize(256);
            assertThat(types[0]).isEqualTo(3);
            for (int i = 1; i < 256; i++) {
                assertThat(types[i]).as("type of token %d", i).isEqualTo(1);
            }
            assertThat(f.longs("tokenizer.ggml.token_type")[0]).isEqualTo(3);
            List<?> boxed = (List<?>) f.value("tokenizer.ggml.token_type").orElseThrow();
            assertThat(boxed).hasSize(256);
            assertThat(boxed.subList(0, 2)).isEqualTo(List.of(3L, 1L));
            assertThat(f.string("tokenizer.chat_template")).contains("add_generation_prompt");
            assertThat(f.value("no.such.key")).isEmpty();
        }
    }

    /** Each F32 GGUF tensor equals the mapped BlinkDL tensor bit for bit; every BlinkDL tensor is used. */
    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("ggufModels")
    void everyTensorHoldsTheMappedWeights(JsonNode model) {
        String source = model.get("source").asText();
        String f32 = source.substring(0, source.indexOf(" ->"));
        List<ModelFiles.Tensor> weights = ModelFiles.read(TestData.file(f32));
        try (GgufFile f = GgufFile.open(TestData.file(model.get("file").asText()))) {
            GgufReference ref = new GgufReference(weights, f.architecture());
            long checkedBlocks = 0;
            for (TensorInfo t : f.tensors()) {
                GgufReference.Expected e = ref.of(t.name());
                assertThat(t.shape()).as("shape of %s", t.name()).containsExactly(e.shape());
                MemorySegment data = f.data(t);
                assertThat(data.byteSize()).isEqualTo(t.dtype().byteSize(t.elementCount()));
                switch (t.dtype()) {
                    case F32 -> assertSameBits(t.name(), WeightReader.toFloatArray(data, DType.F32), e.values());
                    case F16 -> {
                        float[] rounded = e.values().clone();
                        for (int i = 0; i < rounded.length; i++) {
                            rounded[i] = Float.float16ToFloat(Float.floatToFloat16(rounded[i]));
                        }
                        assertSameBits(t.name(), WeightReader.toFloatArray(data, DType.F16), rounded);
                    }
                    case Q8_0, Q4_0 -> checkedBlocks += GgmlBlocks.assertMatches(t.name(), t.dtype(), data, e.values());
                    default -> throw new AssertionError("unexpected type " + t.dtype() + " of " + t.name());
                }
            }
            // A tensor that appears only in the quantized form must still be covered.
            if (model.get("gguf_file_type").asText().startsWith("Q")) {
                assertThat(checkedBlocks).isPositive();
            }
            Set<String> all = new HashSet<>();
            weights.forEach(w -> all.add(w.name()));
            assertThat(ref.used()).as("BlinkDL tensors the GGUF file holds").isEqualTo(all);
        }
    }

    private static void assertSameBits(String name, float[] actual, float[] expected) {
        assertThat(actual.length).as("length of %s", name).isEqualTo(expected.length);
        for (int i = 0; i < actual.length; i++) {
            if (Float.floatToRawIntBits(actual[i]) != Float.floatToRawIntBits(expected[i])) {
                throw new AssertionError(name + "[" + i + "] = " + actual[i] + ", expected " + expected[i]);
            }
        }
    }
}
