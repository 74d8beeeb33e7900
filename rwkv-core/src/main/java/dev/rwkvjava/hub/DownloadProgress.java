package dev.rwkvjava.hub;

/** Told about a download as it goes. Called from the downloading thread. */
public interface DownloadProgress {

    /**
     * A file starts (or resumes).
     *
     * @param file  the file's name in its repository
     * @param total its size in bytes, or -1 if unknown
     * @param done  bytes already on disk
     */
    void start(String file, long total, long done);

    /**
     * More bytes arrived.
     *
     * @param done the new total on disk
     */
    void update(long done);

    /**
     * The transfer was interrupted and resumes.
     *
     * @param done    bytes on disk, from which it resumes
     * @param attempt the attempt about to start, counting from 1
     * @param reason  what interrupted it
     */
    default void retry(long done, int attempt, String reason) {
    }

    /** The file is complete and verified. */
    void finish();

    /**
     * Logs each file's start, retries and end through {@link System.Logger} (logger {@code dev.rwkvjava.hub}): what
     * the library reports when its caller passes no progress of its own.
     *
     * @return the logging progress
     */
    static DownloadProgress logged() {
        System.Logger log = System.getLogger("dev.rwkvjava.hub");
        return new DownloadProgress() {
            private String name;

            @Override
            public void start(String file, long total, long done) {
                name = file;
                log.log(System.Logger.Level.INFO, "downloading " + file + (total >= 0 ? " (" + total + " bytes"
                        + (done > 0 ? ", resuming at " + done : "") + ")" : ""));
            }

            @Override
            public void update(long done) {
            }

            @Override
            public void retry(long done, int attempt, String reason) {
                log.log(System.Logger.Level.WARNING, "download of " + name + " interrupted (" + reason
                        + "), attempt " + attempt + " resumes at " + done + " bytes");
            }

            @Override
            public void finish() {
                log.log(System.Logger.Level.INFO, "downloaded " + name);
            }
        };
    }

    /** {@return a progress that ignores everything} */
    static DownloadProgress none() {
        return new DownloadProgress() {
            @Override
            public void start(String file, long total, long done) {
            }

            @Override
            public void update(long done) {
            }

            @Override
            public void finish() {
            }
        };
    }
}
