package dev.rwkvjava.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * Vector API types must stay in {@code kernel.panama}: a class outside it that mentions one fails to load when
 * the module is absent, which breaks the scalar fallback (see KernelProvider).
 */
class VectorApiConfinementTest {

    @Test
    void onlyKernelPanamaUsesTheVectorApi() throws IOException {
        Path main = Path.of("src/main/java");
        assertThat(main).isDirectory();
        try (Stream<Path> files = Files.walk(main)) {
            List<String> offenders = files
                    .filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> !main.relativize(p).toString().replace('\\', '/').startsWith("dev/rwkvjava/kernel/panama/"))
                    .filter(VectorApiConfinementTest::mentionsVectorApi)
                    .map(Path::toString)
                    .toList();
            assertThat(offenders).as("files outside kernel.panama that use jdk.incubator.vector").isEmpty();
        }
    }

    /** An import from the module, or a qualified type name such as jdk.incubator.vector.FloatVector. */
    private static final Pattern USE = Pattern.compile("import\\s+(static\\s+)?jdk\\.incubator\\.vector\\.|jdk\\.incubator\\.vector\\.[A-Z]");

    private static boolean mentionsVectorApi(Path p) {
        try {
            return USE.matcher(Files.readString(p)).find();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
