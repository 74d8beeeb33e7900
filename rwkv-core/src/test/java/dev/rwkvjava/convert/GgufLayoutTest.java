package dev.rwkvjava.convert;

import dev.rwkvjava.io.ModelFiles;
import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.io.gguf.GgufFile;
import dev.rwkvjava.tensor.WeightType;
import dev.rwkvjava.testutil.TestData;
import dev.rwkvjava.tokenizer.Tokenizers;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code convert --to gguf} writes what llama.cpp's own converter writes (data README, section 12.3): from the
 * BlinkDL weights (and from the fla layout of the same weights), the GGUF files of the data have the same tensor
 * names, shapes, types and bytes, and the same metadata keys and values. The exceptions are named: the descriptive
 * {@code general.*} entries llama.cpp derives from the folder name by heuristics ({@code basename}, {@code finetune};
 * {@code name} and {@code size_label} are written from the model), the chat template (ours, in the same World
 * format), and {@code eot_token_id}, which llama.cpp sets to 261 even for a 256-token vocabulary that has no such
 * id, and which is written only when the vocabulary has the blank-line token.
 */
class GgufLayoutTest {
    private static final Set<String> HEURISTIC_ONLY = Set.of("general.basename", "general.finetune",
            "tokenizer.ggml.eot_token_id");
    private static final Set<String> OWN_VALUES = Set.of("general.name", "general.size_label",
            "tokenizer.chat_template");

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource({
            "models/tiny-rwkv-7v0-834K.f32.safetensors, f32, models/gguf/tiny-rwkv-7v0-834K-F32.gguf",
            "models/tiny-rwkv-7v0-834K.f32.safetensors, f16, models/gguf/tiny-rwkv-7v0-834K-F16.gguf",
            "models/tiny-rwkv-7v0-834K.f32.safetensors, q8_0, models/gguf/tiny-rwkv-7v0-834K-Q8_0.gguf",
            "models/tiny-rwkv-7v0-834K.f32.safetensors, q4_0, models/gguf/tiny-rwkv-7v0-834K-Q4_0.gguf",
            "models/fla-rwkv7-tiny-834K, q8_0, models/gguf/tiny-rwkv-7v0-834K-Q8_0.gguf",
            "models/tiny-rwkv-7v0-834K.bf16.pth, f32, models/gguf/tiny-rwkv-7v0-834K-F32.gguf",
            "models/tiny-rwkv-6v0-1m.f32.safetensors, f32, models/gguf/tiny-rwkv-6v0-1m-F32.gguf",
            "models/tiny-rwkv-6v0-1m.f32.safetensors, q8_0, models/gguf/tiny-rwkv-6v0-1m-Q8_0.gguf",
    })
    void writesWhatLlamaCppWrites(String source, String type, String expectedFile) {
        Path out = dir.resolve("out.gguf");
        ModelConverter.convert(new ModelConverter.Request(ModelFiles.of(TestData.file(source)), Tokenizers.bytes(),
                "tiny", out, ModelConverter.Target.GGUF, WeightType.named(type), false), ModelConverter.Listener.none());

        try (GgufFile ours = GgufFile.open(out); GgufFile theirs = GgufFile.open(TestData.file(expectedFile))) {
            Set<String> names = new TreeSet<>();
            ours.tensors().forEach(t -> names.add(t.name()));
            Set<String> expectedNames = new TreeSet<>();
            theirs.tensors().forEach(t -> expectedNames.add(t.name()));
            assertThat(names).isEqualTo(expectedNames);
            for (TensorInfo e : theirs.tensors()) {
                TensorInfo a = ours.find(e.name());
                assertThat(a.shape()).as(e.name()).isEqualTo(e.shape());
                assertThat(a.dtype()).as(e.name()).isEqualTo(e.dtype());
                MemorySegment x = ours.data(a);
                MemorySegment y = theirs.data(e);
                assertThat(x.mismatch(y)).as("first differing byte of " + e.name()).isEqualTo(-1L);
            }

            Set<String> expectedKeys = new HashSet<>(theirs.keys());
            expectedKeys.removeAll(HEURISTIC_ONLY);
            assertThat(new TreeSet<>(ours.keys())).isEqualTo(new TreeSet<>(expectedKeys));
            for (String k : expectedKeys) {
                if (!OWN_VALUES.contains(k)) {
                    assertThat(ours.type(k)).as(k).isEqualTo(theirs.type(k));
                    assertThat(ours.value(k)).as(k).isEqualTo(theirs.value(k));
                }
            }
            assertThat(ours.string("general.name")).isEqualTo("tiny");
            assertThat(ours.string("tokenizer.chat_template")).contains("rwkv-world", "'User: '", "'Assistant:'");
            assertThat(ours.alignment()).isEqualTo(theirs.alignment());
        }
    }
}
