package dev.rwkvjava.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.io.SafetensorsFile;
import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.tensor.WeightReader;
import dev.rwkvjava.tensor.WeightType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static dev.rwkvjava.cli.CliTest.data;
import static dev.rwkvjava.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code --quantize} on the commands that load a model, and {@code bench --dtype} with the block types. */
class QuantizeOptionTest {
    private static final String TYPES = "[f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q5_k, q6_k]";

    @TempDir
    Path dir;

    @Test
    void logitsOfTheModelQuantizedOnLoad() throws IOException {
        Path model = data("models/tiny-rwkv-7v0-834K.f32.safetensors");
        int[] tokens = {34, 105, 110};
        float[] expected;
        float[] floats;
        try (RwkvModel m = RwkvModel.load(model, RwkvModel.Options.defaults().withQuantize("q4_0"))) {
            expected = m.forwardAll(tokens, m.newState());
        }
        try (RwkvModel m = RwkvModel.load(model)) {
            floats = m.forwardAll(tokens, m.newState());
        }
        Path out = dir.resolve("q.safetensors");
        CliTest.Result r = run("logits", "--model", model.toString(), "--tokens", "34,105,110", "--all",
                "--quantize", "Q4_0", "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            TensorInfo t = f.find("logits");
            float[] got = WeightReader.toFloatArray(f.data(t), t.dtype());
            assertThat(got).containsExactly(expected);
            assertThat(got).isNotEqualTo(floats);
        }
    }

    @Test
    void anUnknownTypeIsOneLineNamingTheKnownOnes() {
        Path model = data("models/tiny-rwkv-7v0-834K.f32.safetensors");
        for (String[] cmd : new String[][] {
                {"logits", "--model", model.toString(), "--tokens", "1", "--out", dir.resolve("o").toString()},
                {"generate", "--model", model.toString(), "--prompt-ids", "1", "-n", "1"},
                {"info", "--model", model.toString()},
                {"bench", "--model", model.toString()}}) {
            CliTest.Result r = run(append(cmd, "--quantize", "q3_k"));
            assertThat(r.code()).as(cmd[0]).isEqualTo(2);
            String first = r.err().lines().findFirst().orElseThrow();
            assertThat(first).as(cmd[0]).contains("--quantize").contains("unknown weight type 'q3_k'").contains(TYPES);
        }
        CliTest.Result r = run("bench", "--synthetic", "v4-tiny", "--dtype", "f32,q4", "--tokens", "1", "--prompt", "1");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().strip()).doesNotContain("\n").contains("--dtype: unknown weight type 'q4'").contains(TYPES);
    }

    @Test
    void quantizingAQuantizedFileIsRefused() {
        Path model = data("models/gguf/tiny-rwkv-7v0-834K-Q8_0.gguf");
        CliTest.Result r = run("generate", "--model", model.toString(), "--prompt-ids", "1", "-n", "1", "--quantize", "q4_0");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().strip()).doesNotContain("\n").contains("tiny-rwkv-7v0-834K-Q8_0.gguf")
                .contains("already quantized (Q8_0)").doesNotContain("Exception");
    }

    @Test
    void generateRunsQuantized() throws IOException {
        Path model = data("models/tiny-rwkv-7v0-834K.f32.safetensors");
        CliTest.Result r = run("generate", "--model", model.toString(), "--prompt", "The ", "-n", "8", "--json",
                "--quantize", "q8_0");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(new ObjectMapper().readTree(r.out()).get("generated_ids").size()).isEqualTo(8);
    }

    @Test
    void infoCountsTheTypesAsHeld() throws IOException {
        Path model = data("models/tiny-rwkv-7v0-834K.f32.safetensors");
        CliTest.Result r = run("info", "--json", "--model", model.toString(), "--quantize", "q4_k");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode o = new ObjectMapper().readTree(r.out());
        // Rows of 64 values are not whole Q4_K blocks: only the channel-mix value matrices (rows of 256) convert,
        // and the head, whose Q6_K needs rows of 256 too, takes Q8_0.
        assertThat(o.get("dtypes").get("Q4_K").asInt()).isEqualTo(12);
        assertThat(o.get("dtypes").get("Q8_0").asInt()).isEqualTo(1);
        assertThat(o.get("quantization").asText()).isEqualTo("q4_k");
        assertThat(o.get("quantization_head").asText()).as("the head's type as converted").isEqualTo("q8_0");
        assertThat(o.get("quantized_tensors").asInt()).isEqualTo(13);
        assertThat(run("info", "--model", model.toString(), "--quantize", "q4_k").out())
                .contains("Q8_0 (1 tensor)").contains("q4_k (head q8_0) on load: 13 tensors");
        assertThat(o.get("kept_for_shape").asInt()).isEqualTo(60);

        r = run("info", "--model", model.toString(), "--quantize", "q8_0");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("Q8_0 (73 tensors)").contains("quantized     q8_0 on load: 73 tensors");
    }

    @Test
    void benchQuantizesTheSyntheticModelAndMeasuresBandwidth() throws IOException {
        CliTest.Result r = run("bench", "--synthetic", "v4-tiny", "--dtype", "f32,q8_0", "--tokens", "4", "--prompt", "8",
                "--threads", "2", "--bandwidth-mb", "64", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        String[] lines = r.out().strip().split("\n");
        assertThat(lines).hasSize(2);
        ObjectMapper om = new ObjectMapper();
        JsonNode f32 = om.readTree(lines[0]);
        JsonNode q8 = om.readTree(lines[1]);
        assertThat(f32.get("dtype").asText()).isEqualTo("f32");
        assertThat(q8.get("dtype").asText()).isEqualTo("q8_0");
        for (JsonNode o : new JsonNode[] {f32, q8}) {
            for (String k : new String[] {"decode_tokens_per_s", "decode_weights_gb_per_s", "bandwidth_gbps",
                    "decode_bandwidth_fraction", "prefill_tokens_per_s"}) {
                assertThat(o.get(k).asDouble()).as(k).isPositive();
            }
            assertThat(o.get("decode_bandwidth_fraction").asDouble()).isEqualTo(
                    o.get("decode_weights_gb_per_s").asDouble() / o.get("bandwidth_gbps").asDouble(),
                    org.assertj.core.data.Offset.offset(0.002));
        }
        // RWKV-4 has no low-rank factors: every streamed matrix (projections and head) is Q8_0, 34 bytes per 32 values.
        assertThat(q8.get("weights_bytes_per_token").asLong() * 128)
                .isEqualTo(f32.get("weights_bytes_per_token").asLong() * 34);

        r = run("bench", "--synthetic", "v4-tiny", "--quantize", "q8_0");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("--dtype q8_0");
    }

    private static String[] append(String[] a, String... more) {
        String[] out = java.util.Arrays.copyOf(a, a.length + more.length);
        System.arraycopy(more, 0, out, a.length, more.length);
        return out;
    }
}
