package dev.rwkvjava.cli;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.rwkvjava.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/** What a new user or an adversary types: outputs over inputs, bad files, bad ids, usage mistakes. */
class HostileInputTest {
    @TempDir
    Path dir;
    Path model;
    byte[] weights;

    @BeforeEach
    void copyModel() throws IOException {
        weights = Files.readAllBytes(CliTestData.file("models/tiny-rwkv-4v0-660K.f32.safetensors"));
        model = dir.resolve("v.safetensors");
        Files.write(model, weights);
    }

    static CliTest.Result withStdin(String input, String... args) {
        InputStream old = System.in;
        try {
            System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
            return run(args);
        } finally {
            System.setIn(old);
        }
    }

    private void assertModelIntact() throws IOException {
        assertThat(Files.readAllBytes(model)).as("the model file").isEqualTo(weights);
    }

    @Test
    void outputsThatAreTheModelUnderAnyNameAreRefused() throws IOException {
        Files.createDirectories(dir.resolve("sub"));
        Files.createSymbolicLink(dir.resolve("link.safetensors"), model);
        Files.createLink(dir.resolve("hard.safetensors"), model);
        for (String out : new String[] {model.toString(), dir.resolve("sub/../v.safetensors").toString(),
                dir.resolve("./v.safetensors").toString(), dir.resolve("link.safetensors").toString(),
                dir.resolve("hard.safetensors").toString()}) {
            CliTest.Result r = run("logits", "--model", model.toString(), "--tokens", "1,2", "--out", out);
            assertThat(r.code()).as(out).isEqualTo(1);
            assertThat(r.err()).as(out).contains("--out " + out + ": refusing to overwrite the model's weights file");
            r = run("generate", "--model", model.toString(), "--prompt-ids", "1", "-n", "2", "--state-out", out);
            assertThat(r.code()).as(out).isEqualTo(1);
            assertThat(r.err()).as(out).contains("--state-out " + out + ": refusing to overwrite the model's weights");
            assertThat(r.out()).as("nothing was generated").isEmpty();
            assertModelIntact();
        }
    }

    @Test
    void chatSaveOverTheModelIsRefusedAndTheChatGoesOn() throws IOException {
        CliTest.Result r = withStdin("/save " + model + "\nHi\n", "chat", "--model", model.toString(),
                "--temperature", "0", "-n", "4");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("/save " + model + ": refusing to overwrite the model's weights file");
        assertThat(r.out()).as("the reply to Hi").isNotBlank();
        assertModelIntact();
    }

    @Test
    void outputsInsideTheModelFolderOrTheHubCacheAreRefused() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("folder"));
        Files.write(folder.resolve("model.safetensors"), weights);
        Files.writeString(folder.resolve("config.json"), "{}");
        for (String name : new String[] {"model.safetensors", "config.json", "new.state"}) {
            CliTest.Result r = run("generate", "--model", folder.toString(), "--prompt-ids", "1", "-n", "2",
                    "--state-out", folder.resolve(name).toString());
            assertThat(r.code()).as(name).isEqualTo(1);
            assertThat(r.err()).as(name).contains("is inside the model folder");
        }
        assertThat(folder.resolve("new.state")).doesNotExist();
        assertThat(Files.readAllBytes(folder.resolve("model.safetensors"))).isEqualTo(weights);
        // A tokenizer file beside a weights file is read with it.
        Files.writeString(dir.resolve("config.json"), "{}");
        CliTest.Result r = run("logits", "--model", model.toString(), "--tokens", "1", "--out",
                dir.resolve("config.json").toString());
        assertThat(r.err()).contains("refusing to overwrite a file of the model (config.json)");
        assertThat(Files.readString(dir.resolve("config.json"))).isEqualTo("{}");
        Path cache = Files.createDirectories(dir.resolve("cache"));
        r = run("generate", "--model", model.toString(), "--cache-dir", cache.toString(), "--prompt-ids", "1",
                "-n", "2", "--state-out", cache.resolve("o/r/main/x.state").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("is inside the hub cache (" + cache.toRealPath() + ")");
    }

    @Test
    void outputPathsAreCheckedBeforeTheGenerationRuns() {
        // A million tokens would take minutes: the missing folder must be reported before the first one.
        long t0 = System.nanoTime();
        CliTest.Result r = run("generate", "--model", model.toString(), "--prompt-ids", "1", "-n", "1000000",
                "--ignore-eos", "--state-out", dir.resolve("missing/x.state").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("--state-out").contains("the folder " + dir.resolve("missing") + " does not exist");
        assertThat(r.out()).isEmpty();
        assertThat((System.nanoTime() - t0) / 1e9).isLessThan(60);
        r = run("generate", "--model", model.toString(), "--prompt-ids", "1", "-n", "1000000", "--ignore-eos",
                "--state-out", dir.toString());
        assertThat(r.err()).contains("is a directory");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void usageMistakesPrintTheMistakeAndAPointerToHelp() {
        CliTest.Result r = run("generate", "--model", model.toString(), "--bogus");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("Unknown option: '--bogus'").contains("Run 'rwkv generate --help' for the options.")
                .doesNotContain("Usage:");
        assertThat(r.err().lines().count()).isLessThanOrEqualTo(3);
        r = run("detokenize", "--ids", "1,x", "--tokenizer", tokenizer());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("'x' (item 2) is not a token id").doesNotContain("Usage:");
        assertThat(r.err().lines().count()).isEqualTo(2);
    }

    private static String tokenizer() {
        return CliTestData.file("tokenizer/rwkv_vocab_v20230424.txt").toString();
    }

    @Test
    void detokenizeTakesIdsAsGeneratePrintsThem() {
        CliTest.Result commas = run("detokenize", "--tokenizer", tokenizer(), "--ids", "34550,11");
        assertThat(commas.code()).as(commas.err()).isZero();
        for (String ids : new String[] {"34550 11", " 34550  11 ", "34550, 11", "[34550, 11]", "34550\t11"}) {
            CliTest.Result r = run("detokenize", "--tokenizer", tokenizer(), "--ids", ids);
            assertThat(r.code()).as(ids + ": " + r.err()).isZero();
            assertThat(r.out()).as(ids).isEqualTo(commas.out()).isNotEmpty();
        }
    }

    @Test
    void promptFilesSayWhatIsWrongWithThem() throws IOException {
        Path bad = dir.resolve("latin1.txt");
        Files.write(bad, new byte[] {'c', 'a', 'f', (byte) 0xE9, ' ', 'n', 'o', 'i', 'r'});
        CliTest.Result r = run("generate", "--model", model.toString(), "--prompt-file", bad.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("--prompt-file " + bad + ": not UTF-8 text: byte 0xE9 at offset 3")
                .doesNotContain("Input length");
        r = run("generate", "--model", model.toString(), "--prompt-file", dir.toString());
        assertThat(r.err()).contains("--prompt-file " + dir + ": is a directory");
        r = run("generate", "--model", model.toString(), "--prompt-file", dir.resolve("none.txt").toString());
        assertThat(r.err()).contains("none.txt: no such file");
    }

    @Test
    void aDashReadsStandardInput() {
        CliTest.Result fromText = run("generate", "--model", model.toString(), "--prompt", "The cat", "-n", "5");
        CliTest.Result fromStdin = withStdin("The cat", "generate", "--model", model.toString(), "--prompt-file", "-",
                "-n", "5");
        assertThat(fromStdin.code()).as(fromStdin.err()).isZero();
        assertThat(fromStdin.out()).isEqualTo(fromText.out()).isNotBlank();
        CliTest.Result tokens = withStdin("東京 🦆", "tokenize", "--tokenizer", tokenizer(), "--input", "-");
        assertThat(tokens.code()).as(tokens.err()).isZero();
        assertThat(tokens.out()).isEqualTo(run("tokenize", "--tokenizer", tokenizer(), "--text", "東京 🦆").out());
        CliTest.Result folder = run("tokenize", "--tokenizer", tokenizer(), "--input", dir.toString());
        assertThat(folder.err()).contains("--input " + dir + ": is a directory");
    }

    @Test
    void inputsOverTheBoundAreRefusedBeforeTheyAreRead() throws IOException {
        // 3 GiB, sparse: read whole it would not fit in one Java array ("Required array size too large").
        Path big = dir.resolve("big.txt");
        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(3L << 30);
        }
        CliTest.Result r = run("tokenize", "--tokenizer", tokenizer(), "--input", big.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("--input " + big + ": 3221225472 bytes, more than the 1024 MiB")
                .doesNotContain("OutOfMemoryError");
        r = run("generate", "--model", model.toString(), "--prompt-file", big.toString());
        assertThat(r.err()).contains("--prompt-file " + big + ": 3221225472 bytes, more than the 1024 MiB");
    }

    @Test
    void tokenizerJsonErrorsShowTheFileAndPlaceOnly() throws IOException {
        Path json = dir.resolve("tokenizer.json");
        Files.writeString(json, "{\"model\": {\"type\": \"BPE\", \"x\": [1, 2");
        CliTest.Result r = run("tokenize", "--tokenizer", json.toString(), "--text", "hi");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains(json + " line 1, column ").contains("not valid JSON")
                .doesNotContain("StreamReadFeature").doesNotContain("Source:");
    }
}
