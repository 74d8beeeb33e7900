package dev.rwkvjava.cli;

import dev.rwkvjava.io.gguf.GgufFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code rwkv convert} in process: what it writes, what it refuses, and that a failure leaves nothing behind. */
class ConvertCommandTest {
    @TempDir
    Path dir;

    private static String pth() {
        return CliTestData.file("models/tiny-rwkv-7v0-834K.bf16.pth").toString();
    }

    private List<String> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writesGgufAndSafetensorsAndSaysWhatItChecked() throws IOException {
        Path gguf = dir.resolve("m.gguf");
        CliTest.Result r = CliTest.run("convert", "--in", pth(), "--out", gguf.toString(), "--type", "q8_0");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("wrote " + gguf + ": GGUF (llama.cpp rwkv7), RWKV 7, 342 tensors", "146 Q8_0",
                "196 F32", "checked: logits of 4 tokens within the rounding of Q8_0");
        assertThat(r.err()).contains("writing m.gguf (342 tensors", "checking the written model");
        try (GgufFile g = GgufFile.open(gguf)) {
            assertThat(g.architecture()).isEqualTo("rwkv7");
            assertThat(g.string("general.name")).isEqualTo("tiny-rwkv-7v0-834K");
            assertThat(g.strings("tokenizer.ggml.tokens")).hasSize(256).startsWith("<s>", "\\x01");
        }

        Path st = dir.resolve("back.safetensors");
        r = CliTest.run("convert", "--in", gguf.toString(), "--out", st.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("safetensors (BlinkDL names)", "399 F32", "as the input's");
        assertThat(files()).containsExactly("back.safetensors", "m.gguf");

        r = CliTest.run("convert", "--in", st.toString(), "--out", gguf.toString(), "--type", "f16", "--force");
        assertThat(r.code()).as(r.err()).isZero();
        try (GgufFile g = GgufFile.open(gguf)) {
            assertThat(g.integer("general.file_type")).isEqualTo(1);
        }

        Path bin = dir.resolve("m.bin");
        r = CliTest.run("convert", "--in", st.toString(), "--out", bin.toString(), "--to", "rwkvcpp", "--type", "q5_1");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("rwkv.cpp .bin (rwkv.cpp file version 101)", "Q5_1");
        assertThat(CliTest.run("info", "--model", bin.toString()).out()).contains("rwkv.cpp .bin", "Q5_1");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "unknown type       | --type q9_9                          | --type: unknown weight type 'q9_9'",
            "quantized safetensors | --type q8_0 --out OUT.safetensors | safetensors holds f32, f16 or bf16",
            "unknown format     | --to onnx                            | --to: unknown output format 'onnx'",
            "no format          | --out OUT.bin                        | ends in neither .safetensors nor .gguf",
            "format mismatch    | --to gguf --out OUT.safetensors      | is named like a safetensors file but --to says gguf",
            "no such input      | --in IN/missing.safetensors          | no such file",
            "no such folder     | --out OUT/missing/m.gguf             | does not exist",
            "input as output    | --out INPUT                          | refusing to overwrite the model's weights file",
            "into model folder  | --in FLA --out FLA/m.gguf            | is inside the model folder",
            "RWKV-4 to GGUF     | --in V4                              | llama.cpp has no architecture for RWKV 4",
            "DeepEmbed to GGUF  | --in DEEP                            | llama.cpp has no architecture for RWKV 7-deepembed",
            "BF16 rwkv.cpp      | --to rwkvcpp --type bf16 --out OUT.bin | rwkv.cpp has no BF16 type",
            "DeepEmbed rwkv.cpp | --in DEEP --to rwkvcpp --out OUT.bin | rwkv.cpp has no RWKV 7-deepembed",
    })
    void refusesWithOneLine(String what, String args, String message) throws IOException {
        Path before = dir.resolve("keep.txt");
        Files.writeString(before, "unchanged");
        List<String> argv = new ArrayList<>(List.of("convert", "--in", pth(), "--out", dir.resolve("m.gguf").toString()));
        String[] extra = args.trim().split("\\s+");
        for (int i = 0; i < extra.length; i += 2) {
            String value = extra[i + 1]
                    .replace("INPUT", pth())
                    .replace("FLA", CliTestData.file("models/fla-rwkv7-tiny-834K").toString())
                    .replace("V4", CliTestData.file("models/tiny-rwkv-4v0-660K.f32.safetensors").toString())
                    .replace("DEEP", CliTestData.file("models/random-v7-deepembed-c128-h2-l3-v1000.f32.safetensors")
                            .toString())
                    .replace("OUT", dir.resolve("m").toString())
                    .replace("IN", dir.toString());
            int at = argv.indexOf(extra[i]);
            if (at >= 0) {
                argv.set(at + 1, value);
            } else {
                argv.add(extra[i]);
                argv.add(value);
            }
        }
        CliTest.Result r = CliTest.run(argv.toArray(String[]::new));
        assertThat(r.code()).as(what).isEqualTo(1);
        assertThat(r.err().strip().lines().toList()).as(what).hasSize(1);
        assertThat(r.err()).as(what).startsWith("rwkv convert: error: ").contains(message);
        assertThat(files()).as(what + ": nothing written").containsExactly("keep.txt");
    }

    @Test
    void anExistingOutputIsKeptWithoutForce() throws IOException {
        Path out = dir.resolve("m.gguf");
        Files.writeString(out, "mine");
        CliTest.Result r = CliTest.run("convert", "--in", pth(), "--out", out.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("already exists; pass --force to replace it");
        assertThat(Files.readString(out)).isEqualTo("mine");
    }

    @Test
    void hasHelp() {
        CliTest.Result r = CliTest.run("convert", "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("Usage: rwkv convert", "--in", "--out", "--to", "rwkvcpp", "--type", "--force");
    }

    @Test
    void aMissingArgumentIsAUsageError() {
        CliTest.Result r = CliTest.run("convert", "--out", dir.resolve("m.gguf").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().lines().findFirst().orElse("")).contains("Missing required option", "--in");
    }

    /**
     * A check that fails (here: a config.json beside the output gives the written model another layer-norm epsilon)
     * stops the conversion: the error says so in one line, and neither the output nor its temporary file is left.
     */
    @Test
    void aFailedCheckLeavesNoFile() throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"rwkv\", \"layer_norm_epsilon\": 0.05}");
        CliTest.Result r = CliTest.run("convert", "--in", CliTestData.file("models/tiny-rwkv-7v0-834K.f32.safetensors")
                .toString(), "--out", dir.resolve("m.safetensors").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().lines().filter(l -> l.startsWith("rwkv convert: error: ")).toList()).singleElement()
                .asString().contains("logits differ from the input's", "nothing was written");
        assertThat(files()).containsExactly("config.json");
    }
}
