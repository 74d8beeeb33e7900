package dev.rwkvjava.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rwkvjava.synthetic.SyntheticModels;
import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tokenizer.Tokenizer;
import dev.rwkvjava.tokenizer.Tokenizers;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.rwkvjava.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Model folders with the real vocabularies (RWKV World, 65536 ids; GPT-NeoX-20B, 50277 ids) and small random
 * RWKV-4 weights: the tokenizer is found in the folder, text streams through it, sampling runs over the whole
 * vocabulary. The text is meaningless; what is checked is that it is exactly the decoded ids.
 */
class RealVocabularyTest {
    @TempDir
    static Path tmp;
    static Path world;
    static Path neox;

    @BeforeAll
    static void makeModels() throws IOException {
        world = tmp.resolve("world");
        neox = tmp.resolve("neox");
        Files.createDirectories(world);
        Files.createDirectories(neox);
        SyntheticModels.write(new SyntheticModels.Spec("world-small", "4", 32, 2, 65536, 64, 0, 0, 0, 0, 0), DType.BF16, 3,
                world.resolve("model.safetensors"));
        Files.copy(CliTestData.file("tokenizer/rwkv_vocab_v20230424.txt"), world.resolve("rwkv_vocab_v20230424.txt"));
        SyntheticModels.write(new SyntheticModels.Spec("neox-small", "4", 32, 2, 50277, 64, 0, 0, 0, 0, 0), DType.BF16, 4,
                neox.resolve("model.safetensors"));
        Files.copy(CliTestData.file("tokenizer/20B_tokenizer.json"), neox.resolve("tokenizer.json"));
    }

    static void assertTextIsTheDecodedIds(Path dir, JsonNode o) throws IOException {
        Tokenizer t = Tokenizers.forModel(dir, dir.equals(world) ? 65536 : 50277);
        JsonNode g = o.get("generated_ids");
        int[] ids = new int[g.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = g.get(i).asInt();
        }
        // World has no bytes for id 0 and the model has ids past the vocabulary: those produce no text.
        java.util.List<Integer> known = new java.util.ArrayList<>();
        for (int id : ids) {
            if (id > 0 && id < t.vocabSize()) {
                known.add(id);
            }
        }
        String expected = t.decodeToString(known.stream().mapToInt(Integer::intValue).toArray());
        assertThat(o.get("text").asText()).isEqualTo(expected);
    }

    @Test
    void worldFolderStreamsText() throws IOException {
        CliTest.Result r = run("generate", "--model", world.toString(), "--prompt", "東京の天気は 🦆", "-n", "40",
                "--temperature", "1.0", "--top-p", "0.9", "--seed", "5", "--ignore-eos", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode o = new ObjectMapper().readTree(r.out());
        assertThat(o.get("generated_ids").size()).isEqualTo(40);
        assertThat(o.get("prompt_ids").size()).isGreaterThan(3);
        assertTextIsTheDecodedIds(world, o);
        // Streaming prints the same text.
        CliTest.Result s = run("generate", "--model", world.toString(), "--prompt", "東京の天気は 🦆", "-n", "40",
                "--temperature", "1.0", "--top-p", "0.9", "--seed", "5", "--ignore-eos");
        assertThat(s.out()).isEqualTo(o.get("text").asText() + "\n");
        // The sampling options take effect over the whole 65536-id vocabulary: the seed chooses the draw, and a
        // top-p small enough to keep only the likeliest token is greedy.
        int[] drawn = GenerateCommandTest.ints(o.get("generated_ids"));
        assertThat(generatedIds(world, "--temperature", "1.0", "--top-p", "0.9", "--seed", "6")).isNotEqualTo(drawn);
        assertThat(generatedIds(world, "--temperature", "1.0", "--top-p", "1e-9", "--seed", "6"))
                .containsExactly(generatedIds(world));
    }

    /** The ids generated for a fixed prompt, 40 of them, with the given options (greedy without any). */
    private static int[] generatedIds(Path model, String... options) throws IOException {
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("generate", "--model", model.toString(),
                "--prompt", "東京の天気は 🦆", "-n", "40", "--ignore-eos", "--json"));
        args.addAll(java.util.List.of(options));
        CliTest.Result r = run(args.toArray(String[]::new));
        assertThat(r.code()).as(r.err()).isZero();
        return GenerateCommandTest.ints(new ObjectMapper().readTree(r.out()).get("generated_ids"));
    }

    @Test
    void neoxFolderWithPenaltiesAndChat() throws IOException {
        CliTest.Result r = run("generate", "--model", neox.toString(), "--prompt", "The quick brown fox", "-n", "30",
                "--temperature", "0.8", "--top-k", "50", "--min-p", "0.01", "--presence-penalty", "0.5",
                "--frequency-penalty", "0.5", "--seed", "9", "--ignore-eos", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode o = new ObjectMapper().readTree(r.out());
        assertTextIsTheDecodedIds(neox, o);
        // A presence penalty this large forbids every id already generated, top-k 50 or not.
        int[] distinct = generatedIds(neox, "--temperature", "0.8", "--top-k", "50", "--presence-penalty", "1000",
                "--seed", "9");
        assertThat(java.util.Arrays.stream(distinct).distinct().count()).as(java.util.Arrays.toString(distinct))
                .isEqualTo(distinct.length);
        // Top-k 1 keeps only the likeliest token: the same as greedy under the same penalties.
        assertThat(generatedIds(neox, "--temperature", "0.8", "--top-k", "1", "--presence-penalty", "0.5",
                "--frequency-penalty", "0.5", "--seed", "9"))
                .containsExactly(generatedIds(neox, "--presence-penalty", "0.5", "--frequency-penalty", "0.5"));
        // The chat default for a tokenizer.json model is the Raven format; replies come one per line, the same
        // for the same seed.
        Path saved = tmp.resolve("neox-chat.state");
        String input = "Write a poem\n/save " + saved + "\nAnother\n";
        CliTest.Result c = chat(input, "--model", neox.toString(), "-n", "8", "--seed", "1");
        assertThat(c.code()).as(c.err()).isZero();
        String[] replies = c.out().split("\n", -1);
        assertThat(replies).as(c.out()).hasSize(3);
        assertThat(replies[2]).isEmpty();
        try (var f = dev.rwkvjava.io.SafetensorsFile.open(saved)) {
            assertThat(f.metadata()).containsEntry("chat.template", "raven");
        }
        assertThat(chat(input, "--model", neox.toString(), "-n", "8", "--seed", "1").out()).isEqualTo(c.out());
    }

    private static CliTest.Result chat(String input, String... args) {
        InputStream old = System.in;
        try {
            System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
            String[] all = new String[args.length + 1];
            all[0] = "chat";
            System.arraycopy(args, 0, all, 1, args.length);
            return run(all);
        } finally {
            System.setIn(old);
        }
    }
}
