package dev.rwkvjava.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tokenize / detokenize end to end, on a small World-format vocabulary written by the test. */
class TokenizeCommandTest {
    @TempDir
    Path dir;
    private Path vocab;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream savedOut;
    private PrintStream savedErr;

    @BeforeEach
    void setUp() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int b = 0; b < 256; b++) {
            sb.append(b + 1).append(' ').append(String.format("b'\\x%02x'", b)).append(" 1\n");
        }
        sb.append("257 'hello' 5\n258 ' world' 6\n");
        vocab = Files.writeString(dir.resolve("rwkv_vocab_test.txt"), sb);
        savedOut = System.out;
        savedErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void tearDown() {
        System.setOut(savedOut);
        System.setErr(savedErr);
    }

    private int run(String... args) {
        return Main.execute(args);
    }

    @Test
    void tokenizeTextPrintsAJsonArray() {
        assertThat(run("tokenize", "--tokenizer", vocab.toString(), "--text", "hello world!")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8).strip()).isEqualTo("[257,258,34]");
    }

    @Test
    void tokenizeInputReadsRawBytes() throws IOException {
        Path input = Files.write(dir.resolve("in.bin"), new byte[] {'h', 'e', 'l', 'l', 'o', (byte) 0xFF});
        assertThat(run("tokenize", "--tokenizer", vocab.toString(), "--input", input.toString())).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8).strip()).isEqualTo("[257,256]");
    }

    @Test
    void detokenizeWritesTheRawBytes() {
        assertThat(run("detokenize", "--tokenizer", vocab.toString(), "--ids", "257,256")).isZero();
        assertThat(out.toByteArray()).containsExactly('h', 'e', 'l', 'l', 'o', 0xFF);
    }

    @Test
    void detokenizeAcceptsTheJsonArrayOfTokenize() {
        assertThat(run("detokenize", "--tokenizer", vocab.toString(), "--ids", "[257, 258]")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("hello world");
    }

    @Test
    void badArgumentsAndUnknownIdsGiveClearErrors() {
        assertThat(run("detokenize", "--tokenizer", vocab.toString(), "--ids", "1,x")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("'x' (item 2) is not a token id");
        err.reset();
        assertThat(run("detokenize", "--tokenizer", vocab.toString(), "--ids", "999")).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("rwkv detokenize: error: unknown token id 999");
        err.reset();
        assertThat(run("tokenize", "--tokenizer", dir.resolve("nope.txt").toString(), "--text", "a")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--tokenizer: file not found");
        err.reset();
        assertThat(run("tokenize", "--tokenizer", vocab.toString(), "--text", "a", "--input", "x")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("mutually exclusive");
    }

    @Test
    void helpDescribesBothCommands() {
        assertThat(run("tokenize", "--help")).isZero();
        assertThat(run("detokenize", "--help")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("--tokenizer=FILE").contains("--text=TEXT")
                .contains("--input=FILE").contains("--ids=IDS");
    }
}
