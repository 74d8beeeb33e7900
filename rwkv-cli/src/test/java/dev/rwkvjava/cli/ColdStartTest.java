package dev.rwkvjava.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rwkvjava.generate.FinishReason;
import dev.rwkvjava.generate.GenerationStats;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** bench --cold: fresh generate processes, timed from outside. */
class ColdStartTest {

    @Test
    void readsTheStatisticsThatGeneratePrints() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        err.println("WARNING: something the JVM said");
        GenerateCommand.printStats(err, new GenerationStats(512, 21, 1.25, 0.4, FinishReason.LENGTH, 0));
        ColdStart.Run r = ColdStart.parse(0.75, bytes.toString(StandardCharsets.UTF_8));
        assertThat(r.firstTokenS()).isEqualTo(0.75);
        assertThat(r.promptTokens()).isEqualTo(512);
        assertThat(r.prefillS()).isEqualTo(1.25);
        assertThat(r.generatedTokens()).isEqualTo(21);
        assertThat(r.decodeS()).isEqualTo(0.4);
        assertThatThrownBy(() -> ColdStart.parse(1, "rwkv generate: error: no such file"))
                .hasMessageContaining("no such file");
    }

    @Test
    void childrenAnswerToThisJvmNotToTheOneThatLaunchedIt() {
        // As in a relaunched bench: the environment names the launcher as parent and carries its arguments.
        ProcessBuilder pb = new ProcessBuilder("true");
        pb.environment().put(Relauncher.GUARD, "1");
        pb.environment().put(Relauncher.PARENT_PID, "1");
        pb.environment().put(Relauncher.ARGS, "YmVuY2g=");
        Relauncher.asChild(pb);
        assertThat(pb.environment()).containsEntry(Relauncher.GUARD, "1")
                .containsEntry(Relauncher.PARENT_PID, Long.toString(ProcessHandle.current().pid()))
                .doesNotContainKey(Relauncher.ARGS);
    }

    @Test
    void childrenNeitherBindTheParentsPortsNorRecordItsCache() {
        assertThat(ColdStart.carriesOver("--add-modules=jdk.incubator.vector")).isTrue();
        assertThat(ColdStart.carriesOver("-XX:AOTCache=rwkv.aot")).isTrue();
        assertThat(ColdStart.carriesOver("-XX:AOTCacheOutput=rwkv.aot")).isFalse();
        assertThat(ColdStart.carriesOver("-XX:AOTMode=record")).isFalse();
        assertThat(ColdStart.carriesOver("-agentlib:jdwp=transport=dt_socket,server=y")).isFalse();
        assertThat(ColdStart.median(new double[] {3, 1, 2})).isEqualTo(2);
        assertThat(ColdStart.median(new double[] {4, 1, 2, 3})).isEqualTo(2.5);
    }

    @Test
    void benchColdReportsFreshProcessFiguresNextToTheWarmOnes() throws IOException {
        CliTest.Result r = CliTest.run("bench", "--synthetic", "v4-tiny", "--dtype", "bf16", "--tokens", "4",
                "--prompt", "16", "--threads", "2", "--cold", "--cold-runs", "1", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode o = new ObjectMapper().readTree(r.out());
        assertThat(o.get("cold_runs").asInt()).isEqualTo(1);
        assertThat(o.get("cold_prefill_tokens").asInt()).isEqualTo(16);
        for (String k : new String[] {"cold_first_token_s", "cold_decode_tokens_per_s", "cold_prefill_tokens_per_s",
                "cold_prefill_first_token_s", "cold_decode_share_of_warm", "cold_prefill_share_of_warm"}) {
            assertThat(o.get(k).asDouble()).as(k).isPositive();
        }
        // A fresh process starts a JVM and loads the model before its first token.
        assertThat(o.get("cold_first_token_s").asDouble()).isGreaterThan(o.get("load_s").asDouble());
    }

    @Test
    void coldRunsNeedAPromptForTheShortRun() {
        CliTest.Result r = CliTest.run("bench", "--synthetic", "v4-tiny", "--prompt", "4", "--cold");
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("--cold");
    }
}
