package dev.rwkvjava.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ByteTokenizerTest {
    private final ByteTokenizer tok = new ByteTokenizer();

    @Test
    void idIsTheByteValueAndZeroIsAnOrdinaryByte() {
        assertThat(tok.vocabSize()).isEqualTo(256);
        assertThat(tok.encode(new byte[] {0, 'A', (byte) 0xFF})).containsExactly(0, 65, 255);
        assertThat(tok.encode("é")).containsExactly(0xC3, 0xA9);
        assertThat(tok.decode(new int[] {0, 65, 255})).containsExactly(0, 'A', 0xFF);
    }

    @Test
    void idsOutsideTheByteRangeAreRejected() {
        assertThatThrownBy(() -> tok.decode(new int[] {256}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("256").hasMessageContaining("vocabulary size 256");
    }
}
