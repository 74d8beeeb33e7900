package dev.rwkvjava.hub;

/** Told about a download as it goes. Called from the downloading thread. */
public interface DownloadProgress {

    /** A file starts (or resumes): {@code total} bytes (-1 if unknown), {@code done} already on disk. */
    void start(String file, long total, long done);

    /** More bytes arrived; {@code done} is the new total on disk. */
    void update(long done);

    /** The transfer was interrupted and resumes from {@code done} (attempt counts from 1). */
    default void retry(long done, int attempt, String reason) {
    }

    /** The file is complete and verified. */
    void finish();

    /** Ignores everything. */
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
