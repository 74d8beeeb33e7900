package dev.rwkvjava.convert;

import dev.rwkvjava.generate.TokenizerLoader;
import dev.rwkvjava.io.ModelFiles;
import dev.rwkvjava.io.gguf.GgufFile;
import dev.rwkvjava.synthetic.SyntheticModels;
import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.WeightType;
import dev.rwkvjava.testutil.TestData;
import dev.rwkvjava.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The RWKV World vocabulary in a GGUF output, as llama.cpp's converter writes it: every token of
 * {@code rwkv_vocab_v20230424.txt} as a Python bytes literal, read back to the same bytes by the GGUF reader's
 * unescaping; {@code <s>} first, unused ids padded, the blank-line token as end of turn.
 */
class GgufVocabularyTest {
    @TempDir
    Path dir;

    @Test
    void pythonBytesLiterals() {
        assertThat(GgufVocabulary.pythonBytes("a'b\"c".getBytes(StandardCharsets.UTF_8))).isEqualTo("a\\'b\"c");
        assertThat(GgufVocabulary.pythonBytes("it's".getBytes(StandardCharsets.UTF_8))).isEqualTo("it's");
        assertThat(GgufVocabulary.pythonBytes(new byte[] {'\\', '\t', '\n', '\r', 0, 0x7f, (byte) 0xe4, ' ', '~'}))
                .isEqualTo("\\\\\\t\\n\\r\\x00\\x7f\\xe4 ~");
    }

    @Test
    void theWorldVocabularyGoesIntoTheGgufFile() throws Exception {
        Path model = dir.resolve("world");
        Files.createDirectories(model);
        Files.copy(TestData.file("tokenizer/rwkv_vocab_v20230424.txt"), model.resolve("rwkv_vocab_v20230424.txt"));
        SyntheticModels.write(new SyntheticModels.Spec("world-tiny", "7", 64, 1, 65536, 128, 64, 32, 32, 32, 32),
                DType.BF16, 3, model.resolve("model.safetensors"));
        Tokenizer world = TokenizerLoader.forModel(model, 65536).tokenizer();
        assertThat(world).isNotNull();

        Path out = dir.resolve("world.gguf");
        ModelConverter.convert(new ModelConverter.Request(ModelFiles.of(model), world, "world-tiny", out,
                ModelConverter.Target.GGUF, WeightType.named("q8_0"), false), ModelConverter.Listener.none());

        try (GgufFile g = GgufFile.open(out)) {
            assertThat(g.string("tokenizer.ggml.model")).isEqualTo("rwkv");
            List<String> tokens = g.strings("tokenizer.ggml.tokens");
            int[] types = g.ints("tokenizer.ggml.token_type");
            assertThat(tokens).hasSize(65536);
            assertThat(tokens.get(0)).isEqualTo("<s>");
            assertThat(types[0]).isEqualTo(GgufVocabulary.CONTROL);
            assertThat(tokens.get(261)).isEqualTo("\\n\\n");
            assertThat(g.integer("tokenizer.ggml.eot_token_id")).isEqualTo(261);
            assertThat(g.integer("tokenizer.ggml.eos_token_id")).isZero();
            int words = world.vocabSize();
            for (int id = words; id < 65536; id++) {
                assertThat(tokens.get(id)).isEqualTo("[PAD" + id + "]");
                assertThat(types[id]).isEqualTo(GgufVocabulary.UNUSED);
            }
            for (int id = 1; id < words; id++) {
                assertThat(types[id]).isEqualTo(GgufVocabulary.NORMAL);
            }
        }
        Tokenizer back = TokenizerLoader.fromGguf(out).orElseThrow();
        for (int id = 1; id < world.vocabSize(); id++) {
            assertThat(back.tokenBytes(id)).as("token %d", id).isEqualTo(world.tokenBytes(id));
        }
        String text = "Grüße aus Köln – naïve café, 東京, 🦆!\n\nUser: it's \"quoted\" \\ back\tslash";
        assertThat(back.encode(text)).isEqualTo(world.encode(text));
    }
}
