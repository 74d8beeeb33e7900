package dev.rwkvjava.generate;

import dev.rwkvjava.hub.HubConfig;
import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.ModelFileException;
import dev.rwkvjava.io.SafetensorsFile;
import dev.rwkvjava.testutil.ReferenceCase;
import dev.rwkvjava.testutil.TestData;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The vocabulary a GGUF file embeds (data README 12.3.6) is the model's tokenizer. */
class GgufTokenizerTest {

    @Test
    void tokensAreUnescapedAsTheConverterWroteThem() {
        Path f = Path.of("x.gguf");
        assertThat(TokenizerLoader.unescape("ab", f, 1)).containsExactly('a', 'b');
        assertThat(TokenizerLoader.unescape("\\\\", f, 1)).containsExactly('\\');
        assertThat(TokenizerLoader.unescape("\\t\\n\\r", f, 1)).containsExactly('\t', '\n', '\r');
        assertThat(TokenizerLoader.unescape("\\xe4\\xb8\\xad", f, 1))
                .isEqualTo("中".getBytes(StandardCharsets.UTF_8));
        assertThat(TokenizerLoader.unescape("\\'", f, 1)).containsExactly('\'');
        assertThatThrownBy(() -> TokenizerLoader.unescape("\\x4", f, 7)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("token 7");
        assertThatThrownBy(() -> TokenizerLoader.unescape("\\q", f, 7)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("unknown escape");
    }

    @Test
    void ggufVocabularyEncodesTextAndGenerationMatchesTheReference() {
        Path model = TestData.file("models/gguf/tiny-rwkv-7v0-834K-F16.gguf");
        int[] expected;
        try (SafetensorsFile f = SafetensorsFile.open(TestData.file("reference/gguf/tiny-rwkv-7v0-834K-F16/greedy_the.safetensors"))) {
            expected = ReferenceCase.ints(f, "generated");
        }
        try (TextGenerator g = TextGenerator.load(model.toString(), null, HubConfig.fromEnvironment().withOffline(true),
                RwkvModel.Options.defaults(), null)) {
            assertThat(g.tokenizer()).isNotNull();
            assertThat(g.tokenizer().toString()).contains("tokenizer.ggml.tokens");
            assertThat(g.tokenizer().encode("The ")).containsExactly(84, 104, 101, 32);
            GenerationResult r = g.generate("The ", GenerationConfig.greedy(expected.length).withIgnoreEos(true));
            assertThat(r.generatedIds()).containsExactly(expected);
        }
    }
}
