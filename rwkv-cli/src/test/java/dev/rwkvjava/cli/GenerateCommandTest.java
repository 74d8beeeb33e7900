package dev.rwkvjava.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rwkvjava.io.SafetensorsFile;
import dev.rwkvjava.io.TensorInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static dev.rwkvjava.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

class GenerateCommandTest {
    static final String TINY = "models/tiny-rwkv-4v0-660K.f32.safetensors";
    static final String RANDOM = "models/random-v4-c128-l3-v1000.f32.safetensors";
    static final Pattern UNSUPPORTED = Pattern.compile("RWKV ([0-9][\\w.-]*)[ ,].*(not supported yet|does not run yet)");
    static final Set<String> SKIPPED = new TreeSet<>();
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    static String model(String relative) {
        return CliTestData.file(relative).toString();
    }

    static JsonNode json(CliTest.Result r) throws IOException {
        assertThat(r.code()).as(r.err()).isZero();
        String[] lines = r.out().strip().split("\n");
        assertThat(lines).as("one JSON line: " + r.out()).hasSize(1);
        return JSON.readTree(lines[0]);
    }

    static int[] ints(JsonNode arr) {
        int[] out = new int[arr.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = arr.get(i).asInt();
        }
        return out;
    }

    static String csv(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            sb.append(sb.isEmpty() ? "" : ",").append(id);
        }
        return sb.toString();
    }

    /** Every greedy case of the reference data: (model folder, case name). */
    static Stream<Arguments> greedyCases() throws IOException {
        Path ref = CliTestData.file("reference");
        List<Arguments> out = new ArrayList<>();
        try (Stream<Path> dirs = Files.walk(ref, 2)) {
            for (Path d : dirs.filter(Files::isDirectory).sorted().toList()) {
                try (Stream<Path> files = Files.list(d)) {
                    for (Path f : files.sorted().toList()) {
                        String n = f.getFileName().toString();
                        if (n.startsWith("greedy_") && n.endsWith(".safetensors")) {
                            out.add(Arguments.of(ref.relativize(d).toString(), n.replace(".safetensors", "")));
                        }
                    }
                }
            }
        }
        assertThat(out).isNotEmpty();
        return out.stream();
    }

    static int[] readInts(SafetensorsFile f, String name) {
        TensorInfo t = f.find(name);
        return f.data(t).toArray(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("greedyCases")
    void greedyGenerationReproducesTheReference(String folder, String caseName) throws IOException {
        int[] prompt;
        int[] expected;
        String modelFile;
        try (SafetensorsFile f = SafetensorsFile.open(CliTestData.file("reference/" + folder + "/" + caseName + ".safetensors"))) {
            prompt = readInts(f, "prompt");
            expected = readInts(f, "generated");
            modelFile = f.metadata().get("model");
        }
        String reason = CliTestData.notYetRun(CliTestData.file(modelFile));
        if (reason != null) {
            SKIPPED.add(folder + " (" + reason + ")");
            Assumptions.abort(modelFile + ": " + reason + " is not run yet");
        }
        CliTest.Result r = run("generate", "--model", model(modelFile), "--prompt-ids", csv(prompt), "--ignore-eos",
                "-n", Integer.toString(expected.length), "--json", "--threads", "2");
        Matcher m = UNSUPPORTED.matcher(r.err());
        if (r.code() != 0 && m.find()) {
            SKIPPED.add(folder + " (RWKV " + m.group(1) + ")");
            Assumptions.abort("RWKV " + m.group(1) + " is not supported yet");
        }
        JsonNode o = json(r);
        assertThat(ints(o.get("generated_ids"))).as("%s/%s", folder, caseName).containsExactly(expected);
        assertThat(ints(o.get("prompt_ids"))).containsExactly(prompt);
        assertThat(o.get("generated_tokens").asInt()).isEqualTo(expected.length);
        assertThat(o.get("prompt_tokens").asInt()).isEqualTo(prompt.length);
        assertThat(o.get("finish_reason").asText()).isEqualTo("length");
        assertThat(o.get("prefill_tokens_per_s").asDouble()).isPositive();
        assertThat(o.get("decode_tokens_per_s").asDouble()).isPositive();
    }

    @AfterAll
    static void listSkipped() {
        if (!SKIPPED.isEmpty()) {
            System.out.println("GenerateCommandTest: skipped (version or format not supported yet): " + SKIPPED);
        }
    }

    @Test
    void streamsTextToStdoutAndTimingsToStderr() {
        CliTest.Result r = run("generate", "--model", model(TINY), "--prompt", "The ", "-n", "12");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("the the the \n");
        assertThat(r.err()).containsPattern("prompt: +4 tokens in .* ms \\(.* tokens/s\\)")
                .containsPattern("generated: +12 tokens in .* tokens/s\\), finish: length");
        r = run("generate", "--model", model(TINY), "--prompt", "The ", "-n", "4", "--echo");
        assertThat(r.out()).isEqualTo("The the \n");
    }

    @Test
    void jsonHasTheContractKeys() throws IOException {
        JsonNode o = json(run("generate", "--model", model(TINY), "--prompt", "The ", "-n", "5", "--json"));
        for (String k : new String[] {"prompt_ids", "generated_ids", "text", "prompt_tokens", "generated_tokens",
                "prefill_tokens_per_s", "decode_tokens_per_s", "finish_reason", "seed"}) {
            assertThat(o.has(k)).as(k).isTrue();
        }
        assertThat(o.get("text").asText()).isEqualTo("the t");
        assertThat(ints(o.get("prompt_ids"))).containsExactly('T', 'h', 'e', ' ');
        assertThat(ints(o.get("generated_ids"))).containsExactly('t', 'h', 'e', ' ', 't');
    }

    @Test
    void stopStringsAreCaughtAcrossTokensAndNotPrinted() throws IOException {
        CliTest.Result r = run("generate", "--model", model(TINY), "--prompt", "The ", "-n", "40", "--stop", "e t");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("th\n");
        assertThat(r.err()).contains("finish: stop_string");
        JsonNode o = json(run("generate", "--model", model(TINY), "--prompt", "The ", "-n", "40", "--stop", "xyz",
                "--stop", "he the", "--json"));
        assertThat(o.get("text").asText()).isEqualTo("t");
        assertThat(o.get("finish_reason").asText()).isEqualTo("stop_string");
    }

    @Test
    void escapesInPromptAndStop() throws IOException {
        assertThat(GenerateCommand.unescape("a\\nb\\t\\\\ \\\" \\x")).isEqualTo("a\nb\t\\ \" \\x");
        JsonNode o = json(run("generate", "--model", model(TINY), "--prompt", "x\\n", "-e", "-n", "1", "--json"));
        assertThat(ints(o.get("prompt_ids"))).containsExactly('x', '\n');
        o = json(run("generate", "--model", model(TINY), "--prompt", "x\\n", "-n", "1", "--json"));
        assertThat(ints(o.get("prompt_ids"))).containsExactly('x', '\\', 'n');
    }

    @Test
    void withoutATokenizerIdsAreStreamed() throws IOException {
        CliTest.Result r = run("generate", "--model", model(RANDOM), "--prompt-ids", "301,781,386", "-n", "6",
                "--ignore-eos");
        assertThat(r.code()).as(r.err()).isZero();
        String[] printed = r.out().strip().split(" ");
        assertThat(printed).hasSize(6);
        JsonNode o = json(run("generate", "--model", model(RANDOM), "--prompt-ids", "301,781,386", "-n", "6",
                "--ignore-eos", "--json"));
        assertThat(o.has("text")).isFalse();
        assertThat(String.join(",", printed)).isEqualTo(csv(ints(o.get("generated_ids"))));
        r = run("generate", "--model", model(RANDOM), "--prompt", "hello");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("no tokenizer").contains("--prompt-ids").contains("--tokenizer");
    }

    @Test
    void endOfTextStopsUnlessIgnored() throws IOException {
        // A bias makes id 0 (end-of-text for non-byte models) the greedy choice.
        JsonNode o = json(run("generate", "--model", model(RANDOM), "--prompt-ids", "301,781", "-n", "5",
                "--logit-bias", "0=100", "--json"));
        assertThat(o.get("generated_ids").size()).isZero();
        assertThat(o.get("finish_reason").asText()).isEqualTo("stop_token");
        o = json(run("generate", "--model", model(RANDOM), "--prompt-ids", "301,781", "-n", "5",
                "--logit-bias", "0=100", "--ignore-eos", "--json"));
        assertThat(ints(o.get("generated_ids"))).containsExactly(0, 0, 0, 0, 0);
        // Byte-level models: 0 is the byte 0x00, not end-of-text.
        o = json(run("generate", "--model", model(TINY), "--prompt", "The ", "-n", "3", "--logit-bias", "0=100", "--json"));
        assertThat(ints(o.get("generated_ids"))).containsExactly(0, 0, 0);
        o = json(run("generate", "--model", model(RANDOM), "--prompt-ids", "301,781", "-n", "5", "--stop-id", "7",
                "--logit-bias", "7=100", "--json"));
        assertThat(o.get("finish_reason").asText()).isEqualTo("stop_token");
    }

    @Test
    void seededSamplingIsReproducible() throws IOException {
        String[] args = {"generate", "--model", model(RANDOM), "--prompt-ids", "301,781,386", "-n", "20", "--ignore-eos",
                "--temperature", "1", "--top-p", "0.9", "--seed", "77", "--json"};
        JsonNode a = json(run(args));
        JsonNode b = json(run(args));
        assertThat(ints(a.get("generated_ids"))).containsExactly(ints(b.get("generated_ids")));
        assertThat(a.get("seed").asLong()).isEqualTo(77);
        args[args.length - 2] = "78";
        assertThat(ints(json(run(args)).get("generated_ids"))).isNotEqualTo(ints(a.get("generated_ids")));
    }

    @Test
    void stateOutThenStateInContinuesLikeOneRun() throws IOException {
        Path state = dir.resolve("prompt.state");
        CliTest.Result r = run("generate", "--model", model(RANDOM), "--prompt-ids", "301,781,386,605", "-n", "0",
                "--state-out", state.toString(), "--json");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(state).exists();
        JsonNode resumed = json(run("generate", "--model", model(RANDOM), "--state-in", state.toString(),
                "--prompt-ids", "466,709", "-n", "12", "--ignore-eos", "--json"));
        JsonNode whole = json(run("generate", "--model", model(RANDOM), "--prompt-ids", "301,781,386,605,466,709",
                "-n", "12", "--ignore-eos", "--json"));
        assertThat(ints(resumed.get("generated_ids"))).containsExactly(ints(whole.get("generated_ids")));
        // With no new prompt, generation continues from the saved logits.
        JsonNode cont = json(run("generate", "--model", model(RANDOM), "--state-in", state.toString(), "-n", "5",
                "--ignore-eos", "--json"));
        JsonNode direct = json(run("generate", "--model", model(RANDOM), "--prompt-ids", "301,781,386,605", "-n", "5",
                "--ignore-eos", "--json"));
        assertThat(ints(cont.get("generated_ids"))).containsExactly(ints(direct.get("generated_ids")));
        // The state of another model is refused, naming both.
        r = run("generate", "--model", model(TINY), "--state-in", state.toString(), "-p", "x");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("prompt.state").contains("random-v4-c128-l3-v1000")
                .contains("tiny-rwkv-4v0-660K");
    }

    @Test
    void badArgumentsAreReportedClearly() {
        CliTest.Result r = run("generate", "--model", model(TINY), "-p", "x", "-n", "-1");
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("-n must be >= 0");
        r = run("generate", "--model", model(TINY), "-p", "x", "--top-p", "2");
        assertThat(r.err()).contains("top-p must be between 0 and 1");
        r = run("generate", "--model", model(TINY));
        assertThat(r.err()).contains("give a prompt");
        r = run("generate", "--model", model(TINY), "-p", "x", "--prompt-ids", "1");
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("mutually exclusive");
        r = run("generate", "--model", model(TINY), "-p", "x", "--logit-bias", "abc");
        assertThat(r.err()).contains("--logit-bias 'abc'");
        r = run("generate", "--model", model(TINY), "--prompt-file", dir.resolve("none.txt").toString());
        assertThat(r.err()).contains("none.txt").contains("no such file");
    }

    @Test
    void newCommandsHaveHelp() {
        for (String c : new String[] {"generate", "chat", "pull"}) {
            CliTest.Result r = run(c, "--help");
            assertThat(r.code()).isZero();
            assertThat(r.out()).contains("Usage: rwkv " + c);
        }
    }
}
