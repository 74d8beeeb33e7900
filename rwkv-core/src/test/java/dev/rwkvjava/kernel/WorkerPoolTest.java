package dev.rwkvjava.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(60)
class WorkerPoolTest {

    @Test
    void splitCoversEverythingInBalancedContiguousBlocks() {
        for (int n = 0; n <= 300; n++) {
            for (int workers = 1; workers <= 9; workers++) {
                assertThat(WorkerPool.splitStart(n, 0, workers)).isZero();
                assertThat(WorkerPool.splitStart(n, workers, workers)).isEqualTo(n);
                for (int w = 0; w < workers; w++) {
                    int size = WorkerPool.splitStart(n, w + 1, workers) - WorkerPool.splitStart(n, w, workers);
                    assertThat(size).as("n=%d worker %d of %d", n, w, workers).isBetween(n / workers, n / workers + 1);
                }
            }
        }
        // No int overflow for large n (the vocabulary head, or a byte count).
        assertThat(WorkerPool.splitStart(Integer.MAX_VALUE, 1, 2)).isEqualTo(Integer.MAX_VALUE / 2);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4})
    void everyWorkerRunsOnceWithItsIndex(int threads) {
        try (WorkerPool pool = new WorkerPool(threads)) {
            AtomicIntegerArray calls = new AtomicIntegerArray(threads);
            AtomicInteger wrongCount = new AtomicInteger();
            pool.run((worker, workers) -> {
                calls.incrementAndGet(worker);
                if (workers != threads) {
                    wrongCount.incrementAndGet();
                }
            });
            for (int w = 0; w < threads; w++) {
                assertThat(calls.get(w)).as("worker %d", w).isEqualTo(1);
            }
            assertThat(wrongCount).hasValue(0);
            assertThat(pool.threads()).isEqualTo(threads);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void splitWorkIsDoneExactlyOnce(int threads) {
        int n = 10_007;
        try (WorkerPool pool = new WorkerPool(threads)) {
            int[] hits = new int[n];
            pool.run((worker, workers) -> {
                for (int i = WorkerPool.splitStart(n, worker, workers); i < WorkerPool.splitStart(n, worker + 1, workers); i++) {
                    hits[i]++;
                }
            });
            // run() returning must publish the workers' plain writes to the caller.
            for (int i = 0; i < n; i++) {
                assertThat(hits[i]).as("item %d", i).isEqualTo(1);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void manyConsecutiveRuns(int threads) {
        // More threads than cores is legal but slow (a waiting thread holds a core the worker needs): fewer runs.
        int runs = threads <= Runtime.getRuntime().availableProcessors() ? 20_000 : 2_000;
        try (WorkerPool pool = new WorkerPool(threads)) {
            long[] perWorker = new long[threads];
            for (int run = 0; run < runs; run++) {
                pool.run((worker, workers) -> perWorker[worker]++);
            }
            for (int w = 0; w < threads; w++) {
                assertThat(perWorker[w]).as("worker %d", w).isEqualTo(runs);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2})
    void aFailureOnAnyWorkerReachesTheCallerAndThePoolStaysUsable(int failing) {
        try (WorkerPool pool = new WorkerPool(3)) {
            IllegalStateException boom = new IllegalStateException("boom on " + failing);
            AtomicInteger finished = new AtomicInteger();
            assertThatThrownBy(() -> pool.run((worker, workers) -> {
                if (worker == failing) {
                    throw boom;
                }
                finished.incrementAndGet();
            })).isSameAs(boom);
            // The others still ran to the end before run() returned.
            assertThat(finished).hasValue(2);

            AtomicInteger calls = new AtomicInteger();
            pool.run((worker, workers) -> calls.incrementAndGet());
            assertThat(calls).hasValue(3);
        }
    }

    @Test
    void errorsPropagateUnwrapped() {
        try (WorkerPool pool = new WorkerPool(2)) {
            AssertionError error = new AssertionError("worker 1");
            assertThatThrownBy(() -> pool.run((worker, workers) -> {
                if (worker == 1) {
                    throw error;
                }
            })).isSameAs(error);
        }
    }

    @Test
    void aFailureDoesNotLeakIntoTheNextRun() {
        try (WorkerPool pool = new WorkerPool(2)) {
            assertThatThrownBy(() -> pool.run((worker, workers) -> {
                if (worker == 1) {
                    throw new IllegalArgumentException("once");
                }
            })).isInstanceOf(IllegalArgumentException.class);
            for (int i = 0; i < 1000; i++) {
                pool.run((worker, workers) -> { });
            }
        }
    }

    @Test
    void closedPoolRefusesWork() {
        WorkerPool pool = new WorkerPool(2);
        pool.close();
        assertThatThrownBy(() -> pool.run((worker, workers) -> { })).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void rejectsZeroThreads() {
        assertThatThrownBy(() -> new WorkerPool(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
