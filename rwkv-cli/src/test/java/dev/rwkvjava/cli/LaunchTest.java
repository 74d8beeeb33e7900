package dev.rwkvjava.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;

import org.junit.jupiter.api.Test;

class LaunchTest {

    @Test
    void readsTheFeatureReleaseOfEverySpecificationVersionForm() {
        assertThat(Launch.feature("1.8")).isEqualTo(8);
        assertThat(Launch.feature("17")).isEqualTo(17);
        assertThat(Launch.feature("25")).isEqualTo(25);
        assertThat(Launch.feature("26-ea")).isEqualTo(26);
        assertThat(Launch.feature("")).isZero();
        assertThat(Launch.feature("x")).isZero();
        assertThat(Launch.feature(System.getProperty("java.specification.version")))
                .isGreaterThanOrEqualTo(Launch.REQUIRED_FEATURE);
    }

    /** Class-file major version 52 is Java 8: older JVMs can load the entry point and print its message. */
    @Test
    void theEntryPointIsCompiledForJava8AndTheRestForJava25() throws IOException {
        assertThat(majorVersion("Launch.class")).isEqualTo(52);
        assertThat(majorVersion("Main.class")).isEqualTo(44 + Launch.REQUIRED_FEATURE);
    }

    private static int majorVersion(String resource) throws IOException {
        try (InputStream in = LaunchTest.class.getResourceAsStream(resource);
             DataInputStream data = new DataInputStream(in)) {
            assertThat(data.readInt()).isEqualTo(0xCAFEBABE);
            data.readUnsignedShort();
            return data.readUnsignedShort();
        }
    }
}
