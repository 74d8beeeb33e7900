package dev.rwkvjava.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The JVM announces an incubator module on the first line of standard error ({@value #LINE}) whenever
 * {@code --add-modules jdk.incubator.vector} is given, before any code of ours runs, and no option turns it off.
 * A user of the command line has no use for it: the relaunched JVM's standard error is copied without it (the
 * library's documentation says what it means).
 */
final class IncubatorNotice {
    static final String LINE = "WARNING: Using incubator modules: jdk.incubator.vector";
    private static final byte[] LINE_BYTES = LINE.getBytes(StandardCharsets.US_ASCII);

    private IncubatorNotice() {
    }

    /** Starts a thread that copies in to out as it comes, dropping a first line that is the notice. */
    static Thread copyWithout(InputStream in, OutputStream out) {
        Thread t = new Thread(() -> copy(in, out), "rwkv-stderr");
        t.setDaemon(true);
        t.start();
        return t;
    }

    static void copy(InputStream in, OutputStream out) {
        try (in) {
            byte[] buf = new byte[8192];
            int n = 0;
            // The first line, up to the notice's length and its line end: held back until it is known whether it
            // is the notice. Anything else goes out unchanged and at once.
            boolean decided = false;
            int r;
            while (!decided && (r = in.read()) >= 0) {
                buf[n++] = (byte) r;
                if (r == '\n' || n > LINE_BYTES.length + 1 || !isPrefixOfNotice(buf, n)) {
                    decided = true;
                    if (!isNotice(buf, n)) {
                        out.write(buf, 0, n);
                        out.flush();
                    }
                }
            }
            if (!decided && n > 0) {
                out.write(buf, 0, n);
            }
            while ((r = in.read(buf)) >= 0) {
                out.write(buf, 0, r);
                out.flush();
            }
            out.flush();
        } catch (IOException e) {
            // The child is gone or our stderr is closed: nothing left to copy.
        }
    }

    /** Whether the first n bytes could still become the notice and its line end. */
    private static boolean isPrefixOfNotice(byte[] b, int n) {
        for (int i = 0; i < n; i++) {
            byte expected = i < LINE_BYTES.length ? LINE_BYTES[i] : (byte) (i == LINE_BYTES.length ? '\r' : '\n');
            if (b[i] != expected && !(i == LINE_BYTES.length && b[i] == '\n')) {
                return false;
            }
        }
        return true;
    }

    private static boolean isNotice(byte[] b, int n) {
        int end = n;
        if (end > 0 && b[end - 1] == '\n') {
            end--;
        }
        if (end > 0 && b[end - 1] == '\r') {
            end--;
        }
        return b[n - 1] == '\n' && Arrays.equals(b, 0, end, LINE_BYTES, 0, LINE_BYTES.length);
    }
}
