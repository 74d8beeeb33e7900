package dev.rwkvjava.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerFilesTest {
    @TempDir
    Path dir;

    @Test
    void aFileLargerThanTheBoundIsRefusedBeforeItIsRead() throws IOException {
        // A sparse file: 3 GiB long, nothing on disk. Read whole, it would not fit in one array.
        Path big = dir.resolve("tokenizer.json");
        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(3L << 30);
        }
        assertThatThrownBy(() -> Tokenizers.load(big))
                .isInstanceOf(TokenizerFormatException.class)
                .hasMessage(big + ": more than 512 MiB, too large for a tokenizer file");
        Path vocab = dir.resolve("rwkv_vocab_big.txt");
        Files.move(big, vocab);
        assertThatThrownBy(() -> Tokenizers.load(vocab)).hasMessageContaining("too large for a tokenizer file");
    }

    @Test
    void aSmallFileIsReadWhole() throws IOException {
        Path f = dir.resolve("x");
        Files.write(f, new byte[] {1, 2, 3});
        assertThat(TokenizerFiles.readAll(f)).containsExactly(1, 2, 3);
    }
}
