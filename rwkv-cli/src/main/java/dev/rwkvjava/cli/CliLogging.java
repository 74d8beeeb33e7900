package dev.rwkvjava.cli;

import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * What the library logs (through {@link System.Logger}, whose default backend is java.util.logging) reaches the
 * user as one line on stderr, {@code rwkv: message}, instead of the logging framework's two-line records: warnings
 * always, everything from INFO up with {@code RWKV_DEBUG=1}.
 */
final class CliLogging {
    /** Held so that the configuration is not collected with the logger (java.util.logging keeps loggers weakly). */
    private static final Logger LIBRARY = Logger.getLogger("dev.rwkvjava");

    private CliLogging() {
    }

    static synchronized void install() {
        if (!LIBRARY.getUseParentHandlers()) {
            return;
        }
        Level level = ErrorHandler.debug() ? Level.INFO : Level.WARNING;
        Handler oneLine = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (isLoggable(r)) {
                    // The stream of the moment: tests capture stderr by replacing System.err.
                    System.err.println("rwkv: " + r.getMessage());
                    System.err.flush();
                }
            }

            @Override
            public void flush() {
                System.err.flush();
            }

            @Override
            public void close() {
            }
        };
        oneLine.setLevel(level);
        LIBRARY.setLevel(level);
        LIBRARY.addHandler(oneLine);
        LIBRARY.setUseParentHandlers(false);
    }
}
