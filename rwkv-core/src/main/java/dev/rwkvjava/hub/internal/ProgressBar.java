package dev.rwkvjava.hub.internal;

import dev.rwkvjava.hub.DownloadProgress;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A progress bar on a text stream (stderr), for downloads (bytes) or, made by {@link #counting}, for any other count
 * (tokens scored, documents read). On a terminal it redraws one line in place, at most ten times a second;
 * otherwise (a log file, a test) it prints one line when a piece of work starts and one when it ends.
 */
public final class ProgressBar implements DownloadProgress {
    private static final int WIDTH = 30;
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintStream out;
    private final boolean live;
    /** What is counted ("tokens"), or null for bytes. */
    private final String unit;
    private final String verb;
    private final String doneVerb;
    private String file;
    private long total;
    private long startDone;
    private long done;
    private long startNanos;
    private long lastDraw;

    /** A download bar (bytes) on {@code out}; {@code live} redraws one line in place. */
    public ProgressBar(PrintStream out, boolean live) {
        this(out, live, null, "downloading", "downloaded");
    }

    private ProgressBar(PrintStream out, boolean live, String unit, String verb, String doneVerb) {
        this.out = out;
        this.live = live;
        this.unit = unit;
        this.verb = verb;
        this.doneVerb = doneVerb;
    }

    /**
     * A bar that counts {@code unit} (e.g. "tokens") instead of bytes; when not live, its lines read
     * "{@code verb} NAME (TOTAL unit)" and "{@code doneVerb} NAME (DONE unit, RATE unit/s)".
     */
    public static ProgressBar counting(PrintStream out, boolean live, String unit, String verb, String doneVerb) {
        return new ProgressBar(out, live, unit, verb, doneVerb);
    }

    /** A download bar on stderr, live when stderr is a terminal. */
    public static ProgressBar stderr() {
        return new ProgressBar(System.err, stderrIsTerminal());
    }

    /** A {@link #counting} bar on stderr, live when stderr is a terminal. */
    public static ProgressBar stderrCounting(String unit, String verb, String doneVerb) {
        return counting(System.err, stderrIsTerminal(), unit, verb, doneVerb);
    }

    private static boolean stderrIsTerminal() {
        java.io.Console c = System.console();
        return c != null && c.isTerminal();
    }

    @Override
    public void start(String name, long totalBytes, long already) {
        this.file = name;
        this.total = totalBytes;
        this.startDone = already;
        this.done = already;
        this.startNanos = System.nanoTime();
        this.lastDraw = 0;
        if (live) {
            draw();
        } else {
            out.println(verb + " " + name + " (" + amount(totalBytes)
                    + (already > 0 ? ", resuming at " + amount(already) : "") + ")");
        }
    }

    @Override
    public void update(long bytes) {
        this.done = bytes;
        long now = System.nanoTime();
        if (live && now - lastDraw >= REDRAW_NANOS) {
            lastDraw = now;
            draw();
        }
    }

    @Override
    public void retry(long bytes, int attempt, String reason) {
        this.done = bytes;
        if (live) {
            out.print("\r\033[K");
        }
        out.println(file + ": connection lost (" + reason + "), resuming at " + amount(bytes) + " (attempt " + attempt + ")");
    }

    @Override
    public void finish() {
        if (live) {
            draw();
            out.println();
        } else {
            out.println(doneVerb + " " + file + " (" + amount(done) + ", " + rate() + ")");
        }
        out.flush();
    }

    private void draw() {
        StringBuilder sb = new StringBuilder("\r\033[K").append(file).append(' ');
        if (total > 0) {
            int filled = (int) (WIDTH * Math.min(1.0, done / (double) total));
            sb.append(String.format(Locale.ROOT, "%3d%% ", (int) (100.0 * done / total)))
                    .append('[').append("=".repeat(filled)).append(" ".repeat(WIDTH - filled)).append("] ");
            sb.append(amount(done)).append(" / ").append(amount(total));
        } else {
            sb.append(amount(done));
        }
        sb.append("  ").append(rate());
        out.print(sb);
        out.flush();
    }

    private String rate() {
        double s = (System.nanoTime() - startNanos) / 1e9;
        if (s <= 0) {
            return "";
        }
        double perSecond = (done - startDone) / s;
        return unit == null ? size((long) perSecond) + "/s"
                : String.format(Locale.ROOT, "%.1f %s/s", perSecond, unit);
    }

    private String amount(long n) {
        if (unit == null) {
            return size(n);
        }
        return n < 0 ? "count unknown" : n + " " + unit;
    }

    static String size(long b) {
        if (b < 0) {
            return "size unknown";
        }
        if (b < 1024) {
            return b + " B";
        }
        if (b < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
        }
        if (b < 1024L * 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f MiB", b / 1048576.0);
        }
        return String.format(Locale.ROOT, "%.2f GiB", b / 1073741824.0);
    }
}
