package dev.rwkvjava.io.gguf;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The reader's UTF-8 check agrees with the JDK's strict decoder. */
class Utf8CheckTest {
    private static final CharsetDecoder STRICT = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);

    private static boolean jdkAccepts(byte[] b) {
        try {
            STRICT.reset().decode(ByteBuffer.wrap(b));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    @Test
    void agreesWithTheJdkOnEdgeCases() {
        int[][] cases = {
            {}, {0x41}, {0xC2, 0xA9}, {0xC1, 0xBF}, {0xC0, 0x80}, {0xE0, 0xA0, 0x80}, {0xE0, 0x9F, 0xBF},
            {0xED, 0x9F, 0xBF}, {0xED, 0xA0, 0x80}, {0xEF, 0xBF, 0xBF}, {0xF0, 0x90, 0x80, 0x80}, {0xF0, 0x8F, 0xBF, 0xBF},
            {0xF4, 0x8F, 0xBF, 0xBF}, {0xF4, 0x90, 0x80, 0x80}, {0xF5, 0x80, 0x80, 0x80}, {0xFF}, {0x80}, {0xE2, 0x82},
            {0xE2, 0x82, 0xAC}, {0xF0, 0x9F, 0xA6, 0x86}, {0xF0, 0x9F, 0xA6},
        };
        for (int[] c : cases) {
            byte[] b = new byte[c.length];
            for (int i = 0; i < c.length; i++) {
                b[i] = (byte) c[i];
            }
            assertThat(Cursor.isUtf8(b, 0, b.length)).as(java.util.Arrays.toString(c)).isEqualTo(jdkAccepts(b));
        }
    }

    @Test
    void agreesWithTheJdkOnRandomBytes() {
        Random rnd = new Random(8);
        int valid = 0;
        for (int it = 0; it < 50_000; it++) {
            byte[] b = new byte[1 + rnd.nextInt(6)];
            for (int i = 0; i < b.length; i++) {
                // Mostly bytes from the interesting ranges: lead bytes and continuation bytes.
                b[i] = (byte) (rnd.nextInt(4) == 0 ? rnd.nextInt(256) : 0x80 + rnd.nextInt(0x80));
            }
            boolean jdk = jdkAccepts(b);
            valid += jdk ? 1 : 0;
            if (Cursor.isUtf8(b, 0, b.length) != jdk
                    || jdk && !Cursor.utf8(b, 0, b.length).equals(new String(b, StandardCharsets.UTF_8))) {
                throw new AssertionError(java.util.Arrays.toString(b) + ": the JDK says " + jdk);
            }
        }
        assertThat(valid).isGreaterThan(250);
    }
}
