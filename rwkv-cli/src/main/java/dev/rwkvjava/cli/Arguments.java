package dev.rwkvjava.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line's arguments as the user typed them. The JVM decodes them with the locale's character set, so
 * with no locale set (LANG and LC_ALL unset, or C/POSIX, usual in containers) every non-ASCII byte becomes U+FFFD
 * and a prompt or stop string in any other script would silently turn into replacement characters. The raw bytes
 * are still in {@code /proc/self/cmdline} on Linux: arguments that lost characters are decoded from there as UTF-8.
 * Where that is not possible the arguments are refused with a message saying how to set a UTF-8 locale.
 */
final class Arguments {
    private static final Path CMDLINE = Path.of("/proc/self/cmdline");

    private Arguments() {
    }

    /**
     * The arguments, with those the locale could not decode read again as UTF-8.
     *
     * @throws IllegalArgumentException naming the argument, when its bytes are not UTF-8 or cannot be recovered
     */
    static String[] decode(String[] args) {
        Charset jnu = charset(System.getProperty("sun.jnu.encoding"));
        if (jnu == null || jnu.equals(StandardCharsets.UTF_8) || !anyReplaced(args)) {
            return args;
        }
        return decode(args, jnu, rawArguments(CMDLINE, args.length));
    }

    static String[] decode(String[] args, Charset jnu, byte[][] raw) {
        String[] out = args.clone();
        for (int i = 0; i < args.length; i++) {
            if (args[i].indexOf('\uFFFD') < 0) {
                continue;
            }
            // The raw bytes must be the ones the JVM decoded (same arguments, same order) to be used instead.
            if (raw == null || !new String(raw[i], jnu).equals(args[i])) {
                throw new IllegalArgumentException("argument " + (i + 1) + " ('" + args[i] + "') has characters "
                        + "that the locale's character set (" + jnu.name() + ") cannot represent; run with a UTF-8 "
                        + "locale, e.g. LC_ALL=C.UTF-8");
            }
            out[i] = utf8(raw[i], i);
        }
        return out;
    }

    private static boolean anyReplaced(String[] args) {
        for (String a : args) {
            if (a.indexOf('\uFFFD') >= 0) {
                return true;
            }
        }
        return false;
    }

    private static String utf8(byte[] bytes, int index) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            int at = CliFiles.firstInvalidUtf8(bytes);
            throw new IllegalArgumentException(String.format("argument %d is not UTF-8 text (byte 0x%02X at offset %d)",
                    index + 1, bytes[at] & 0xFF, at));
        }
    }

    /** The last {@code count} entries of a NUL-separated command line (the program's own arguments), or null. */
    static byte[][] rawArguments(Path cmdline, int count) {
        byte[] all;
        try {
            all = Files.readAllBytes(cmdline);
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return null;
        }
        List<byte[]> parts = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < all.length; i++) {
            if (all[i] == 0) {
                parts.add(java.util.Arrays.copyOfRange(all, start, i));
                start = i + 1;
            }
        }
        if (start < all.length) {
            parts.add(java.util.Arrays.copyOfRange(all, start, all.length));
        }
        if (parts.size() < count) {
            return null;
        }
        return parts.subList(parts.size() - count, parts.size()).toArray(byte[][]::new);
    }

    private static Charset charset(String name) {
        try {
            return name == null ? null : Charset.forName(name);
        } catch (RuntimeException e) {
            return null;
        }
    }
}
