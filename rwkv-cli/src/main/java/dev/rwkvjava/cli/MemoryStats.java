package dev.rwkvjava.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident memory of this process, from Linux's /proc (0 where that is not available). */
final class MemoryStats {
    private static final Path STATUS = Path.of("/proc/self/status");

    private MemoryStats() {
    }

    /** Peak resident set size in bytes (VmHWM), mapped weight pages included. */
    static long peakRssBytes() {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    /** Restarts the peak measurement, so each configuration reports its own (best effort). */
    static void resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            // Not Linux or not permitted: the peak then covers the whole process.
        }
    }
}
