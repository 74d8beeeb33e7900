package dev.rwkvjava.io.rwkvcpp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rwkvjava.LoadMode;
import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.WeightReader;
import dev.rwkvjava.testutil.GgmlBlocks;
import dev.rwkvjava.testutil.Index;
import dev.rwkvjava.testutil.ModelFiles;
import dev.rwkvjava.testutil.TestData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The rwkv.cpp files of the data set, checked against index.json and the BlinkDL weights they hold. */
class RwkvCppFileTest {
    /** The Linear weights rwkv.cpp quantizes (and stores in FP16 in FP16 files). */
    private static final Pattern LINEAR =
            Pattern.compile("blocks\\.\\d+\\.(att|ffn)\\.(receptance|key|value|output|gate)\\.weight");
    private static final Pattern LORA = Pattern.compile("blocks\\.\\d+\\.att\\.[wavg][12]");

    static Stream<JsonNode> binModels() {
        return Index.models("models/rwkv.cpp/").stream();
    }

    /** The BlinkDL file with the same weights: models/tiny-rwkv-7v0-834K.f32.safetensors for ...-7v0-834K-Q5_1.bin. */
    private static Path f32Source(JsonNode model) {
        String stem = Path.of(model.get("file").asText()).getFileName().toString();
        stem = stem.substring(0, stem.lastIndexOf('-'));
        return TestData.file("models/" + stem + ".f32.safetensors");
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("binModels")
    void headerIsTheOneTheIndexLists(JsonNode model) {
        JsonNode h = model.get("rwkv_cpp_header");
        for (LoadMode mode : LoadMode.values()) {
            try (RwkvCppFile f = RwkvCppFile.open(TestData.file(model.get("file").asText()), mode)) {
                assertThat(f.fileSize()).isEqualTo(model.get("bytes").asLong());
                assertThat(f.fileVersion()).isEqualTo(h.get("file_version").asInt());
                assertThat(f.nVocab()).isEqualTo(h.get("n_vocab").asInt());
                assertThat(f.nEmbed()).isEqualTo(h.get("n_embed").asInt());
                assertThat(f.nLayer()).isEqualTo(h.get("n_layer").asInt());
                assertThat(f.dataTypeName()).isEqualTo(h.get("data_type").asText());
                assertThat(f.metadata()).containsEntry("file_version", h.get("file_version").asText())
                        .containsEntry("n_vocab", h.get("n_vocab").asText())
                        .containsEntry("n_embed", h.get("n_embed").asText())
                        .containsEntry("n_layer", h.get("n_layer").asText())
                        .containsEntry("data_type", h.get("data_type").asText());
                // The embedding agrees with the header.
                assertThat(f.find("emb.weight").shape()).containsExactly(f.nVocab(), f.nEmbed());
                // The tensors tile the file from the end of the header to the end of the file.
                long covered = 0;
                for (TensorInfo t : f.tensors()) {
                    covered += t.byteSize();
                }
                assertThat(covered).isLessThan(f.fileSize()).isGreaterThan(f.fileSize() * 9 / 10);
            }
        }
    }

    /**
     * Every tensor against the forward-transformed BlinkDL tensor: F32 bit for bit (the v4 decays too; the v5
     * decays and bonuses within the one ulp that separates exp implementations, README section 6), F16 as the
     * float32 value rounded to half, Q5_0 and Q5_1 blocks within the quantization step; each tensor's type is the
     * one section 4.3 says the file's data type gives it, and every BlinkDL tensor is held.
     */
    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("binModels")
    void everyTensorHoldsTheTransformedWeights(JsonNode model) {
        List<ModelFiles.Tensor> weights = ModelFiles.read(f32Source(model));
        JsonNode hp = model.get("hparams");
        String version = hp.get("version").asText();
        int heads = hp.has("n_head") ? hp.get("n_head").asInt() : 1;
        RwkvCppReference ref = new RwkvCppReference(weights, version, heads);
        int exactDecays = 0;
        int decays = 0;
        try (RwkvCppFile f = RwkvCppFile.open(TestData.file(model.get("file").asText()))) {
            for (TensorInfo t : f.tensors()) {
                RwkvCppReference.Expected e = ref.of(t.name());
                assertThat(t.shape()).as("shape of %s", t.name()).containsExactly(e.shape());
                assertThat(t.dtype()).as("type of %s", t.name()).isEqualTo(expectedType(f.dataTypeName(), t));
                MemorySegment data = f.data(t);
                switch (t.dtype()) {
                    case F32 -> {
                        float[] actual = WeightReader.toFloatArray(data, DType.F32);
                        if (e.transcendental()) {
                            for (int i = 0; i < actual.length; i++) {
                                float want = e.values()[i];
                                decays++;
                                exactDecays += actual[i] == want ? 1 : 0;
                                assertThat((double) Math.abs(actual[i] - want)).as("%s[%d]", t.name(), i)
                                        .isLessThanOrEqualTo(Math.ulp(want));
                            }
                        } else {
                            assertSameBits(t.name(), actual, e.values());
                        }
                    }
                    case F16 -> {
                        float[] rounded = e.values().clone();
                        for (int i = 0; i < rounded.length; i++) {
                            rounded[i] = Float.float16ToFloat(Float.floatToFloat16(rounded[i]));
                        }
                        assertSameBits(t.name(), WeightReader.toFloatArray(data, DType.F16), rounded);
                    }
                    case Q5_0, Q5_1 -> GgmlBlocks.assertMatches(t.name(), t.dtype(), data, e.values());
                    default -> throw new AssertionError("unexpected type " + t.dtype() + " of " + t.name());
                }
            }
        }
        Set<String> all = new HashSet<>();
        weights.forEach(w -> all.add(w.name()));
        assertThat(ref.used()).as("BlinkDL tensors the file holds").isEqualTo(all);
        if (version.equals("4")) {
            // The v4 decays were made so that float32 -exp(w) gives the stored values exactly.
            assertThat(exactDecays).isEqualTo(decays).isPositive();
        } else if (decays > 0) {
            assertThat(exactDecays).as("exact v5 decays and bonuses").isGreaterThan(decays * 3 / 4);
        }
    }

    /** README 4.3: which tensors each data type stores in which type. */
    private static DType expectedType(String fileType, TensorInfo t) {
        String n = t.name();
        boolean linear = LINEAR.matcher(n).matches();
        return switch (fileType) {
            case "FP32" -> DType.F32;
            case "FP16" -> linear || LORA.matcher(n).matches() || n.equals("emb.weight") || n.equals("head.weight")
                    ? DType.F16 : DType.F32;
            case "Q5_0" -> linear ? DType.Q5_0 : DType.F32;
            case "Q5_1" -> linear ? DType.Q5_1 : DType.F32;
            default -> throw new AssertionError("unexpected data type " + fileType);
        };
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
