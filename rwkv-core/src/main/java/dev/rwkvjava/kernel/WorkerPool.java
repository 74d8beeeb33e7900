package dev.rwkvjava.kernel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed team of threads that run one {@link Task} together and return when all have finished. The calling
 * thread is worker 0, so a pool of n threads starts n - 1 daemon threads. A run allocates nothing.
 *
 * <p>Workers spin briefly for the next task (decode issues dozens of short products per token, and a park/unpark
 * round trip costs more than a small product), then yield for a while, then park. The yielding phase matters when
 * there are more runnable threads than cores (a shared machine, or a pool larger than the core count): a pure
 * spinner would hold its core until the scheduler's time slice ends while the thread it waits for cannot run.
 */
public final class WorkerPool implements AutoCloseable {

    /** Work split across the pool: called once on every worker with its index. */
    @FunctionalInterface
    public interface Task {
        void run(int worker, int workers);
    }

    /** Busy-wait rounds (about 50 us: a PAUSE is ~50 ns on recent x86), then yield rounds (a few hundred us), then park. */
    private static final int SPINS = 1_000;
    private static final int YIELDS = 100;

    private final int threads;
    private final Thread[] workers;
    private volatile Task task;
    private volatile long generation;
    private volatile boolean closed;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile Throwable failure;
    private volatile Thread caller;

    public WorkerPool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 1; i < threads; i++) {
            int index = i;
            Thread t = new Thread(() -> loop(index), "rwkv-worker-" + i);
            t.setDaemon(true);
            workers[i - 1] = t;
            t.start();
        }
    }

    /** Number of threads, the caller included. */
    public int threads() {
        return threads;
    }

    /** Runs the task on every worker and waits for all of them. Not reentrant; one caller at a time. */
    public synchronized void run(Task t) {
        if (closed) {
            throw new IllegalStateException("worker pool is closed");
        }
        if (threads == 1) {
            t.run(0, 1);
            return;
        }
        failure = null;
        caller = Thread.currentThread();
        task = t;
        pending.set(threads - 1);
        generation = generation + 1;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        Throwable own = null;
        try {
            t.run(0, threads);
        } catch (Throwable e) {
            own = e;
        }
        int spins = 0;
        while (pending.get() != 0) {
            spins = idle(spins, true);
        }
        task = null;
        Throwable f = own != null ? own : failure;
        if (f != null) {
            if (f instanceof RuntimeException re) {
                throw re;
            }
            if (f instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(f);
        }
    }

    /** One round of waiting; returns the new round count. The caller's park has a timeout as a safety net. */
    private int idle(int spins, boolean timed) {
        if (spins < SPINS) {
            Thread.onSpinWait();
        } else if (spins < SPINS + YIELDS) {
            Thread.yield();
        } else if (timed) {
            LockSupport.parkNanos(this, 50_000);
        } else {
            LockSupport.park(this);
        }
        return spins < SPINS + YIELDS ? spins + 1 : spins;
    }

    /** Start of worker w's share of n items split into contiguous blocks. */
    public static int splitStart(int n, int worker, int workers) {
        return (int) ((long) n * worker / workers);
    }

    private void loop(int index) {
        long seen = 0;
        while (true) {
            int spins = 0;
            while (generation == seen && !closed) {
                spins = idle(spins, false);
            }
            if (closed) {
                return;
            }
            seen = generation;
            try {
                task.run(index, threads);
            } catch (Throwable e) {
                failure = e;
            }
            if (pending.decrementAndGet() == 0) {
                LockSupport.unpark(caller);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}
