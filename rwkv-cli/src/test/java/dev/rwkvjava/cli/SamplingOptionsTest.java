package dev.rwkvjava.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import static dev.rwkvjava.cli.CliTest.run;
import static dev.rwkvjava.cli.GenerateCommandTest.TINY;
import static dev.rwkvjava.cli.GenerateCommandTest.ints;
import static dev.rwkvjava.cli.GenerateCommandTest.json;
import static dev.rwkvjava.cli.GenerateCommandTest.model;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each option that changes what is generated or how the model is read, checked by its effect on the tiny byte-level
 * model, whose greedy continuation of "The " is "the the the ...".
 */
class SamplingOptionsTest {
    @TempDir
    Path dir;

    private static int[] generate(String... extra) throws IOException {
        String[] base = {"generate", "--model", model(TINY), "--prompt", "The ", "--json"};
        String[] args = Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return ints(json(run(args)).get("generated_ids"));
    }

    /** Tokens the frequency penalty counts (ChatRWKV leaves spaces and digits out). */
    private static boolean counted(int id) {
        return id != ' ' && id != '\t' && !(id >= '0' && id <= '9');
    }

    @Test
    void bannedIdsNeverAppear() throws IOException {
        int[] plain = generate("-n", "40");
        assertThat(plain).contains('t', 'h');
        int[] banned = generate("-n", "40", "--ban", "116,104");
        assertThat(banned).hasSize(40).doesNotContain('t', 'h');
        // Also under sampling, where a banned id would otherwise be drawn now and then.
        int[] sampled = generate("-n", "200", "--temperature", "2", "--seed", "3", "--ban", "116,104,101", "--ignore-eos");
        assertThat(sampled).hasSize(200).doesNotContain('t', 'h', 'e');
    }

    @Test
    void penaltyDecayScalesTheCountsAfterEachToken() throws IOException {
        // With a huge frequency penalty and no decay, a counted token can never come back.
        int[] kept = generate("-n", "30", "--frequency-penalty", "1000", "--penalty-decay", "1");
        Map<Integer, Integer> seen = new HashMap<>();
        for (int id : kept) {
            if (counted(id)) {
                seen.merge(id, 1, Integer::sum);
            }
        }
        assertThat(seen.values()).as(Arrays.toString(kept)).allSatisfy(n -> assertThat(n).isEqualTo(1));
        // Decay 0 forgets every count after the next token: only the token just generated is penalised, so the
        // greedy favourites return two steps later.
        int[] forgotten = generate("-n", "30", "--frequency-penalty", "1000", "--penalty-decay", "0");
        boolean repeated = false;
        for (int i = 1; i < forgotten.length; i++) {
            if (counted(forgotten[i])) {
                assertThat(forgotten[i]).as("position %d of %s", i, Arrays.toString(forgotten))
                        .isNotEqualTo(forgotten[i - 1]);
            }
            for (int j = 0; j < i - 1; j++) {
                repeated |= counted(forgotten[i]) && forgotten[j] == forgotten[i];
            }
        }
        assertThat(repeated).as("a counted token came back: " + Arrays.toString(forgotten)).isTrue();
        assertThat(forgotten).isNotEqualTo(kept);
    }

    @Test
    void topKOfOneIsGreedyWhateverTheTemperature() throws IOException {
        int[] greedy = generate("-n", "20");
        assertThat(generate("-n", "20", "--temperature", "3", "--top-k", "1", "--seed", "9")).containsExactly(greedy);
        assertThat(generate("-n", "20", "--temperature", "3", "--seed", "9")).isNotEqualTo(greedy);
    }

    @Test
    void readingTheWeightsInsteadOfMappingThemGivesTheSameTokens() throws IOException {
        int[] mapped = generate("-n", "16", "--temperature", "1", "--seed", "4");
        assertThat(generate("-n", "16", "--temperature", "1", "--seed", "4", "--no-mmap")).containsExactly(mapped);
    }

    @Test
    void promptFileIsThePromptText() throws IOException {
        Path p = dir.resolve("prompt.txt");
        Files.writeString(p, "The ");
        JsonNode fromFile = json(run("generate", "--model", model(TINY), "--prompt-file", p.toString(), "-n", "8",
                "--json"));
        assertThat(ints(fromFile.get("prompt_ids"))).containsExactly('T', 'h', 'e', ' ');
        assertThat(ints(fromFile.get("generated_ids"))).containsExactly(generate("-n", "8"));
    }

    @Test
    void infoTextShowsTheModel() throws IOException {
        Path model = CliTestData.file("models/random-v4-c128-l3-v1000.f32.safetensors");
        CliTest.Result r = run("info", "--model", model.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().lines().toList()).containsExactly(
                "file          " + model,
                "version       RWKV 4",
                "format        safetensors",
                "naming        blinkdl",
                "n_embd        128",
                "n_layer       3",
                "heads         none (RWKV-4 attention is per channel)",
                "vocab         1000",
                "ffn           512",
                "dtypes        F32 (60 tensors)",
                "parameters    899,712 (0.9 M)",
                "file size     " + String.format(java.util.Locale.ROOT, "%,d bytes (%.1f MiB)", Files.size(model),
                        Files.size(model) / 1048576.0));
    }
}
