package dev.rwkvjava.hub.internal;

import dev.rwkvjava.hub.HubException;

import dev.rwkvjava.hub.DownloadProgress;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Receives one download response straight into the {@code .part} file: a 200 rewrites it from the start, a 206
 * that continues at the part's end appends. Bytes are written as they arrive, so whatever came before a dropped
 * connection stays for the next attempt.
 *
 * <p>The HTTP client has no read timeout, so a watchdog ends a transfer that receives nothing for a while: it
 * cancels the subscription and fails the body, which the caller treats like a dropped connection.
 *
 * <p>The part never grows past the file's listed size: a server that sends more is cut off, the part is deleted,
 * and the body fails with a {@link HubException} (not retried). Errors writing the part (a full disk, a name the
 * file system refuses) are {@link HubException}s too: they are not network failures.
 */
final class PartWriter {
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

    /** Told when the data of a response starts: the file's total size (-1 if unknown) and the bytes on disk. */
    interface Start {
        void started(long total, long from);
    }

    private final Path part;
    private final long have;
    private final long limit;
    private final DownloadProgress progress;
    private final Duration stallTimeout;
    private final Start start;
    private final CompletableFuture<Void> stalled = new CompletableFuture<>();

    /** @param limit the file's size: the part is never written past it */
    PartWriter(Path part, long have, long limit, DownloadProgress progress, Duration stallTimeout, Start start) {
        this.part = part;
        this.have = have;
        this.limit = limit;
        this.progress = progress;
        this.stallTimeout = stallTimeout;
        this.start = start;
    }

    /** Fails when a transfer stalls; the caller then abandons the exchange. */
    CompletableFuture<Void> stalled() {
        return stalled;
    }

    /**
     * The body handler: the part file's final size for a 200 or a fitting 206, -1 (body discarded) for anything
     * else (redirects, errors).
     */
    HttpResponse.BodySubscriber<Long> subscriber(HttpResponse.ResponseInfo info) {
        int status = info.statusCode();
        if (status == 200) {
            start.started(info.headers().firstValueAsLong("Content-Length").orElse(-1), 0);
            return new Subscriber(0);
        }
        if (status == 206 && have > 0) {
            Matcher m = CONTENT_RANGE.matcher(info.headers().firstValue("Content-Range").orElse(""));
            if (m.matches() && Long.parseLong(m.group(1)) == have) {
                start.started(m.group(3).equals("*") ? -1 : Long.parseLong(m.group(3)), have);
                return new Subscriber(have);
            }
            return HttpResponse.BodySubscribers.replacing(-2L); // a range we did not ask for
        }
        return HttpResponse.BodySubscribers.replacing(-1L);
    }

    private final class Subscriber implements HttpResponse.BodySubscriber<Long> {
        private final long from;
        private final CompletableFuture<Long> body = new CompletableFuture<>();
        private final AtomicLong lastData = new AtomicLong(System.nanoTime());
        private FileChannel out;
        private Flow.Subscription subscription;
        private long done;
        private Thread watchdog;

        Subscriber(long from) {
            this.from = from;
            this.done = from;
        }

        @Override
        public CompletionStage<Long> getBody() {
            return body;
        }

        @Override
        public synchronized void onSubscribe(Flow.Subscription s) {
            subscription = s;
            try {
                out = from == 0
                        ? FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                                StandardOpenOption.TRUNCATE_EXISTING)
                        : FileChannel.open(part, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                s.cancel();
                body.completeExceptionally(writeError(e));
                return;
            }
            watchdog = Thread.ofVirtual().start(this::watch);
            s.request(1);
        }

        @Override
        public synchronized void onNext(List<ByteBuffer> buffers) {
            if (body.isDone()) {
                return;
            }
            try {
                for (ByteBuffer b : buffers) {
                    if (done + b.remaining() > limit) {
                        subscription.cancel();
                        close();
                        Files.deleteIfExists(part);
                        body.completeExceptionally(new HubException(part.getFileName().toString().replaceFirst("\\.part$", "")
                                + ": the server sent more than "
                                + "the " + limit + " bytes the hub lists for the file; the download was discarded"));
                        return;
                    }
                    while (b.hasRemaining()) {
                        done += out.write(b);
                    }
                }
            } catch (IOException e) {
                subscription.cancel();
                fail(writeError(e));
                return;
            }
            lastData.set(System.nanoTime());
            progress.update(done);
            subscription.request(1);
        }

        @Override
        public synchronized void onError(Throwable t) {
            fail(t);
        }

        @Override
        public synchronized void onComplete() {
            if (close()) {
                body.complete(done);
            }
        }

        private void watch() {
            long limit = stallTimeout.toNanos();
            try {
                while (!body.isDone()) {
                    Thread.sleep(Math.max(10, stallTimeout.toMillis() / 4));
                    if (System.nanoTime() - lastData.get() > limit) {
                        IOException e = new IOException("no data for " + stallTimeout.toSeconds() + " s");
                        stalled.completeExceptionally(e);
                        synchronized (this) {
                            subscription.cancel();
                            fail(e);
                        }
                        return;
                    }
                }
            } catch (InterruptedException e) {
                // the transfer is over
            }
        }

        private void fail(Throwable t) {
            close();
            body.completeExceptionally(t);
        }

        /** Closes the file once; false if it was already closed. */
        private boolean close() {
            if (watchdog != null) {
                watchdog.interrupt();
            }
            if (out == null) {
                return !body.isDone();
            }
            try {
                out.close();
            } catch (IOException e) {
                body.completeExceptionally(e);
            }
            out = null;
            return !body.isDone();
        }
    }

    private HubException writeError(IOException e) {
        HubException h = new HubException("cannot write " + part + ": " + (e instanceof java.nio.file.FileSystemException f
                && f.getReason() != null ? f.getReason() : String.valueOf(e.getMessage())));
        h.initCause(e);
        return h;
    }
}
