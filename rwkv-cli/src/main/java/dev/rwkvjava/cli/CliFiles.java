package dev.rwkvjava.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;

/** Checks on file arguments, and reading input files, with messages that name the option and the file. */
final class CliFiles {
    /**
     * The largest input read whole ({@code --prompt-file}, {@code tokenize --input}): 1 GiB, well past any prompt,
     * and small enough that the text and its token ids fit in memory at once.
     */
    static final long MAX_INPUT_BYTES = 1L << 30;

    private CliFiles() {
    }

    static Path requireFile(CommandLine.Model.CommandSpec spec, String option, Path file) {
        if (!Files.isRegularFile(file)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    option + ": " + (Files.isDirectory(file) ? "is a folder, not a file: " : "file not found: ") + file);
        }
        return file;
    }

    /** Whether the path is "-", which names standard input. */
    static boolean isStdin(Path file) {
        return file.toString().equals("-");
    }

    /**
     * All bytes of an input file, or of standard input for "-"; pipes and devices (/dev/stdin) are read like files.
     *
     * @throws IllegalArgumentException if the file is missing, a folder, or larger than {@link #MAX_INPUT_BYTES}
     */
    static byte[] readInput(String option, Path file) throws IOException {
        return readInput(option, file, MAX_INPUT_BYTES);
    }

    static byte[] readInput(String option, Path file, long max) throws IOException {
        if (isStdin(file)) {
            return readBounded(option, "standard input", System.in, max);
        }
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException(option + " " + file + ": is a directory, not a file");
        }
        if (!Files.exists(file)) {
            throw new IllegalArgumentException(option + " " + file + ": no such file");
        }
        if (!Files.isReadable(file)) {
            throw new IllegalArgumentException(option + " " + file + ": not readable (permission denied)");
        }
        if (Files.isRegularFile(file) && Files.size(file) > max) {
            throw tooLarge(option, file.toString(), Files.size(file), max);
        }
        try (InputStream in = Files.newInputStream(file)) {
            return readBounded(option, file.toString(), in, max);
        }
    }

    private static byte[] readBounded(String option, String name, InputStream in, long max) throws IOException {
        byte[] data = in.readNBytes((int) Math.min(max + 1, Integer.MAX_VALUE - 8));
        if (data.length > max) {
            throw tooLarge(option, name, -1, max);
        }
        return data;
    }

    private static IllegalArgumentException tooLarge(String option, String name, long size, long max) {
        return new IllegalArgumentException(option + " " + name + ": " + (size >= 0 ? size + " bytes" : "too large")
                + ", more than the " + (max >> 20) + " MiB that are read at once; split it into smaller files");
    }

    /**
     * The text of an input file (see {@link #readInput}), which must be UTF-8.
     *
     * @throws IllegalArgumentException naming the file and the offset of the first byte that is not UTF-8
     */
    static String readUtf8(String option, Path file) throws IOException {
        return readUtf8(option, file, MAX_INPUT_BYTES);
    }

    /** As {@link #readUtf8(String, Path)}, refusing files larger than {@code max} bytes. */
    static String readUtf8(String option, Path file, long max) throws IOException {
        byte[] data = readInput(option, file, max);
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(data);
        CharBuffer out = CharBuffer.allocate(data.length);
        CoderResult r = d.decode(in, out, true);
        if (!r.isError()) {
            r = d.flush(out);
        }
        if (r.isError()) {
            int at = in.position();
            throw new IllegalArgumentException(String.format("%s %s: not UTF-8 text: byte 0x%02X at offset %d "
                    + "starts no valid character (convert the file to UTF-8, e.g. with iconv)", option,
                    isStdin(file) ? "standard input" : file.toString(), data[at] & 0xFF, at));
        }
        return out.flip().toString();
    }

    /** The offset of the first byte of {@code bytes} that starts no valid UTF-8 character, or -1. */
    static int firstInvalidUtf8(byte[] bytes) {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CoderResult r = d.decode(in, CharBuffer.allocate(bytes.length), true);
        return r.isError() ? in.position() : -1;
    }
}
