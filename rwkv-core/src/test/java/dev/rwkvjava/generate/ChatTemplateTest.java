package dev.rwkvjava.generate;

import dev.rwkvjava.tokenizer.ByteTokenizer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChatTemplateTest {
    @Test
    void worldTurnsAndTheBlankLineStop() {
        ChatTemplate w = ChatTemplate.WORLD;
        assertThat(w.turn("  hi\r\n\n\nthere  ", null, true)).isEqualTo("User: hi\nthere\n\nAssistant:");
        // The reply ended at "\n\n", which is in the state: the next turn starts right after it.
        assertThat(w.turn("next", "\n\n", false)).isEqualTo("User: next\n\nAssistant:");
        // A reply cut short (token limit, end-of-text) gets the blank line first.
        assertThat(w.turn("next", null, false)).isEqualTo("\n\nUser: next\n\nAssistant:");
        assertThat(w.system("Be brief.")).isEqualTo("System: Be brief.\n\n");
        assertThat(w.stopStrings()).containsExactly("\n\n");
    }

    @Test
    void ravenG1AndBob() {
        assertThat(ChatTemplate.RAVEN.turn("Write a poem", null, true)).isEqualTo("### Instruction: Write a poem\n### Response:");
        // "\n###" already supplied the start of the next instruction.
        assertThat(ChatTemplate.RAVEN.turn("More", "\n###", false)).isEqualTo(" Instruction: More\n### Response:");
        assertThat(ChatTemplate.G1.turn("2+2?", null, true)).isEqualTo("User: 2+2?\n\nAssistant: <think");
        assertThat(ChatTemplate.G1.turn("And 3+3?", "\n\nUser:", false)).isEqualTo(" And 3+3?\n\nAssistant: <think");
        assertThat(ChatTemplate.G1.replyPrefix()).isEqualTo("<think");
        assertThat(ChatTemplate.BOB.turn("hi", "\n\n", false)).isEqualTo("Bob: hi\n\nAlice:");
        assertThat(ChatTemplate.NONE.turn(" raw\n\ntext", null, false)).isEqualTo(" raw\n\ntext");
    }

    @Test
    void namesAndDefaults() {
        assertThat(ChatTemplate.of("G1")).isEqualTo(ChatTemplate.G1);
        assertThatThrownBy(() -> ChatTemplate.of("x")).hasMessageContaining("unknown chat template 'x'");
        assertThat(ChatTemplate.defaultFor(new ByteTokenizer())).isEqualTo(ChatTemplate.WORLD);
    }
}
