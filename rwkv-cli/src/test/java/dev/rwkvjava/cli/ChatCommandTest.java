package dev.rwkvjava.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code chat} driven through a pipe: one message per line, one reply line each. */
class ChatCommandTest {
    @TempDir
    Path dir;

    static CliTest.Result chat(String input, String... extra) {
        InputStream old = System.in;
        try {
            System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
            String[] args = new String[extra.length + 4];
            args[0] = "chat";
            args[1] = "--model";
            args[2] = CliTestData.file("models/tiny-rwkv-4v0-660K.f32.safetensors").toString();
            args[3] = "--threads=2";
            System.arraycopy(extra, 0, args, 4, extra.length);
            return CliTest.run(args);
        } finally {
            System.setIn(old);
        }
    }

    static String[] replies(CliTest.Result r) {
        return r.out().split("\n", -1);
    }

    @Test
    void twoTurnsRetrySaveAndLoad() {
        Path state = dir.resolve("chat.state");
        String input = String.join("\n", "Hello there", "/retry", "/save " + state, "What is RWKV?", "/load " + state,
                "What is RWKV?", "/undo", "What is RWKV?", "/quit", "never read") + "\n";
        CliTest.Result r = chat(input, "--temperature", "0", "-n", "16");
        assertThat(r.code()).as(r.err()).isZero();
        String[] lines = replies(r);
        assertThat(lines).hasSize(6); // five replies, then the end of the last line
        assertThat(lines[0]).isNotBlank();
        // Greedy: the retried answer equals the first.
        assertThat(lines[1]).isEqualTo(lines[0]);
        // After /load the second question is answered from the saved state exactly as before.
        assertThat(lines[3]).isEqualTo(lines[2]);
        // /undo drops that exchange; asking again gives the same answer again.
        assertThat(lines[4]).isEqualTo(lines[2]);
        assertThat(lines[5]).isEmpty();
        assertThat(r.err()).contains("saved to").contains("loaded").contains("dropped: What is RWKV?");
    }

    @Test
    void eachTurnAddsOnlyItsOwnTokensToTheState() throws java.io.IOException {
        Path a = dir.resolve("a.state");
        Path b = dir.resolve("b.state");
        CliTest.Result r = chat("The cat\n/save " + a + "\nAnd then?\n/save " + b + "\n/reset\nThe cat\n",
                "--temperature", "0", "-n", "12", "--template", "none");
        assertThat(r.code()).as(r.err()).isZero();
        // 7 prompt bytes + 12 generated; then 9 more + 12 generated: the conversation grows, nothing is fed twice.
        assertThat(tokens(a)).isEqualTo(7 + 12);
        assertThat(tokens(b)).isEqualTo(7 + 12 + 9 + 12);
        // After /reset the first question gets the first answer again.
        String[] lines = replies(r);
        assertThat(lines[2]).isEqualTo(lines[0]);
    }

    static long tokens(Path state) throws java.io.IOException {
        try (var f = dev.rwkvjava.io.SafetensorsFile.open(state)) {
            return Long.parseLong(f.metadata().get("tokens"));
        }
    }

    @Test
    void badCommandsAreReportedAndTheChatGoesOn() {
        CliTest.Result r = chat("/load " + dir.resolve("missing.state") + "\n/frobnicate\n/help\nHi\n",
                "--temperature", "0", "-n", "4");
        assertThat(r.code()).isEqualTo(1); // piped input: a failed command is an error exit, after the whole chat
        assertThat(r.err()).contains("missing.state").contains("unknown command /frobnicate").contains("/retry");
        assertThat(replies(r)[0]).isNotBlank();
    }

    @Test
    void templatesAndErrors() {
        CliTest.Result r = chat("hi\n", "--template", "klingon");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("unknown chat template 'klingon'");
        r = chat("hi\n", "--template", "g1", "--temperature", "0", "-n", "3", "--system", "Be brief.");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("<think");
        r = CliTest.run("chat", "--model", CliTestData.file("models/random-v4-c128-l3-v1000.f32.safetensors").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("needs a tokenizer");
    }
}
