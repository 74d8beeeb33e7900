package dev.rwkvjava.tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads tokenizer files whole, within a bound, so that a wrong or hostile file is refused rather than exhausting memory. */
public final class TokenizerFiles {
    /**
     * The largest tokenizer file read, 512 MiB: real ones are a few megabytes (a World vocabulary 1 MB, a
     * tokenizer.json of a 150k vocabulary about 10 MB).
     */
    public static final long MAX_BYTES = 512L << 20;

    private TokenizerFiles() {
    }

    /**
     * The bytes of {@code file}.
     *
     * @param file the file
     * @return its bytes
     * @throws IOException when it cannot be read
     * @throws TokenizerFormatException if the file is larger than {@link #MAX_BYTES}
     */
    public static byte[] readAll(Path file) throws IOException {
        if (Files.isRegularFile(file) && Files.size(file) > MAX_BYTES) {
            throw tooLarge(file);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] data = in.readNBytes((int) MAX_BYTES + 1); // grows as it reads: a short file costs little
            if (data.length > MAX_BYTES) {
                throw tooLarge(file);
            }
            return data;
        }
    }

    private static TokenizerFormatException tooLarge(Path file) {
        return new TokenizerFormatException(file + ": more than " + (MAX_BYTES >> 20)
                + " MiB, too large for a tokenizer file");
    }
}
