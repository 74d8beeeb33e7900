package dev.rwkvjava.hub.internal;

import dev.rwkvjava.hub.HubException;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Response bodies read into memory (the listing, error pages) with two bounds a hostile or broken server cannot
 * get past: at most {@code max} bytes, and no more than {@code stall} without data. Either ends the exchange with a
 * {@link HubException}, through {@link #failed()}, which the sender waits on beside the response.
 */
final class BoundedBody implements HttpResponse.BodyHandler<byte[]> {
    private final long max;
    private final Duration stall;
    private final String what;
    private final CompletableFuture<Void> failed = new CompletableFuture<>();

    BoundedBody(long max, Duration stall, String what) {
        this.max = max;
        this.stall = stall;
        this.what = what;
    }

    /** Fails when a body grows too large or stalls; the caller then abandons the exchange. */
    CompletableFuture<Void> failed() {
        return failed;
    }

    @Override
    public HttpResponse.BodySubscriber<byte[]> apply(HttpResponse.ResponseInfo info) {
        long length = info.headers().firstValueAsLong("Content-Length").orElse(-1);
        if (length > max) {
            HubException e = tooLarge();
            failed.completeExceptionally(e);
            return HttpResponse.BodySubscribers.replacing(null);
        }
        return new Subscriber();
    }

    private HubException tooLarge() {
        return new HubException(what + " is larger than " + (max >> 20) + " MiB; refusing to read it");
    }

    private final class Subscriber implements HttpResponse.BodySubscriber<byte[]> {
        private final CompletableFuture<byte[]> body = new CompletableFuture<>();
        private final ByteArrayOutputStream data = new ByteArrayOutputStream();
        private volatile long lastData = System.nanoTime();
        private Flow.Subscription subscription;

        @Override
        public CompletionStage<byte[]> getBody() {
            return body;
        }

        @Override
        public synchronized void onSubscribe(Flow.Subscription s) {
            subscription = s;
            Thread.ofVirtual().start(this::watch);
            s.request(1);
        }

        @Override
        public synchronized void onNext(List<ByteBuffer> buffers) {
            if (body.isDone()) {
                return;
            }
            for (ByteBuffer b : buffers) {
                if (data.size() + (long) b.remaining() > max) {
                    fail(tooLarge());
                    return;
                }
                byte[] chunk = new byte[b.remaining()];
                b.get(chunk);
                data.writeBytes(chunk);
            }
            lastData = System.nanoTime();
            subscription.request(1);
        }

        @Override
        public synchronized void onError(Throwable t) {
            body.completeExceptionally(t);
        }

        @Override
        public synchronized void onComplete() {
            body.complete(data.toByteArray());
        }

        private synchronized void fail(HubException e) {
            failed.completeExceptionally(e); // first: the cancelled exchange then fails with this, not its own error
            body.completeExceptionally(e);
            subscription.cancel();
        }

        private void watch() {
            long limit = stall.toNanos();
            try {
                while (!body.isDone()) {
                    Thread.sleep(Math.max(10, stall.toMillis() / 4));
                    if (System.nanoTime() - lastData > limit && !body.isDone()) {
                        fail(new HubException(what + ": no data for " + stall.toSeconds() + " s; the server "
                                + "stopped answering"));
                        return;
                    }
                }
            } catch (InterruptedException e) {
                // the transfer is over
            }
        }
    }
}
