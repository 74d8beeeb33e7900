package dev.rwkvjava.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rwkvjava.tokenizer.bpe.BpeTokenizer;
import dev.rwkvjava.tokenizer.world.WorldTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizersTest {
    @TempDir
    Path dir;

    private Path model() throws IOException {
        return Files.createFile(dir.resolve("model.safetensors"));
    }

    private void copy(String name, String as) throws IOException {
        Files.copy(TestData.file(name), dir.resolve(as));
    }

    @Test
    void loadTellsTheKindByNameOrContent() throws IOException {
        assertThat(Tokenizers.load(TestData.file("rwkv_vocab_v20230424.txt"))).isInstanceOf(WorldTokenizer.class);
        assertThat(Tokenizers.load(TestData.file("20B_tokenizer.json"))).isInstanceOf(BpeTokenizer.class);
        copy("20B_tokenizer.json", "vocab.bin");
        assertThat(Tokenizers.load(dir.resolve("vocab.bin"))).isInstanceOf(BpeTokenizer.class);
        Files.writeString(dir.resolve("junk.bin"), "hello");
        assertThatThrownBy(() -> Tokenizers.load(dir.resolve("junk.bin")))
                .isInstanceOf(TokenizerFormatException.class).hasMessageContaining("junk.bin");
        assertThatThrownBy(() -> Tokenizers.load(dir.resolve("absent.json")))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining("absent.json");
    }

    @Test
    void findsTheTokenizerBesideTheModelFileOrInItsFolder() throws IOException {
        Path model = model();
        copy("rwkv_vocab_v20230424.txt", "rwkv_vocab_v20230424.txt");
        copy("20B_tokenizer.json", "tokenizer.json");
        // Both kinds are present: the vocabulary size decides.
        assertThat(Tokenizers.forModel(model, 65536)).isInstanceOf(WorldTokenizer.class);
        assertThat(Tokenizers.forModel(dir, 65536)).isInstanceOf(WorldTokenizer.class);
        assertThat(Tokenizers.forModel(model, 50277)).isInstanceOf(BpeTokenizer.class);
        // An unknown size takes the first file found (tokenizer.json before vocabulary files).
        assertThat(Tokenizers.forModel(model, 0)).isInstanceOf(BpeTokenizer.class);
    }

    @Test
    void anExplicitFileWins() throws IOException {
        Path model = model();
        copy("rwkv_vocab_v20230424.txt", "rwkv_vocab_v20230424.txt");
        Tokenizer t = Tokenizers.forModel(model, 0, TestData.file("20B_tokenizer.json"));
        assertThat(t).isInstanceOf(BpeTokenizer.class);
    }

    @Test
    void byVocabularySizeWhenNothingIsBesideTheModel() throws IOException {
        Path model = model();
        assertThat(Tokenizers.forModel(model, 256)).isInstanceOf(ByteTokenizer.class);
        assertThatThrownBy(() -> Tokenizers.forModel(model, 65536))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("65536").hasMessageContaining("rwkv_vocab_v20230424.txt")
                .hasMessageContaining(dir.toString());
        assertThatThrownBy(() -> Tokenizers.forModel(model, 50277))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("20B_tokenizer.json");
        assertThatThrownBy(() -> Tokenizers.forModel(model, 1234))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1234");
    }

    @Test
    void aTokenizerWithMoreIdsThanTheModelIsRefused() throws IOException {
        Path model = model();
        Path neox = TestData.file("20B_tokenizer.json");
        assertThatThrownBy(() -> Tokenizers.forModel(model, 256, neox))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("50277 ids").hasMessageContaining("only 256");
    }
}
