package dev.rwkvjava.cli;

import java.io.Console;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Standard streams for generated text, which is UTF-8 whatever the locale says. */
final class Terminal {
    private Terminal() {
    }

    /**
     * System.out when it already writes UTF-8; otherwise (for example under LANG=C, where Java would turn every
     * non-ASCII character into '?') a UTF-8 stream on the same file descriptor.
     */
    static PrintStream stdout() {
        PrintStream o = System.out;
        if (o.charset().equals(StandardCharsets.UTF_8)) {
            return o;
        }
        o.flush();
        return new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
    }

    /** Whether stdin and stdout are an interactive terminal (not a pipe or a file). */
    static boolean interactive() {
        Console c = System.console();
        return c != null && c.isTerminal();
    }
}
