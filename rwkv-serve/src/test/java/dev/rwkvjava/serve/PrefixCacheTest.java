package dev.rwkvjava.serve;

import dev.rwkvjava.state.State;
import dev.rwkvjava.state.StateLayout;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The prefix cache alone: longest prefix wins, copies in and out, byte bound with least recently used out first. */
class PrefixCacheTest {
    private static final StateLayout LAYOUT = layout();

    private static StateLayout layout() {
        StateLayout.Builder b = StateLayout.builder("test");
        b.add("s", 0f, 100);
        return b.build();
    }

    private static State state(float v) {
        State s = new State(LAYOUT);
        s.setTensor(0, filled(v));
        return s;
    }

    private static float[] filled(float v) {
        float[] f = new float[100];
        java.util.Arrays.fill(f, v);
        return f;
    }

    @Test
    void theLongestCachedPrefixIsFound() {
        PrefixCache c = new PrefixCache(1 << 20);
        int[] conv = {5, 6, 7, 8, 9, 10};
        c.put(conv, 2, state(2), null);
        c.put(conv, 4, state(4), new float[] {1, 2});
        c.put(new int[] {5, 6, 7, 99}, 4, state(99), null);
        PrefixCache.Hit h = c.lookup(conv);
        assertThat(h.length()).isEqualTo(4);
        assertThat(h.state().tensor(0)[0]).isEqualTo(4f);
        assertThat(h.logits()).containsExactly(1, 2);
        assertThat(c.lookup(new int[] {5, 6, 7, 99, 1}).state().tensor(0)[0]).isEqualTo(99f);
        assertThat(c.lookup(new int[] {5, 6, 1}).length()).isEqualTo(2);
        assertThat(c.lookup(new int[] {6, 5, 7})).isNull();
        assertThat(c.hits()).isEqualTo(3);
        assertThat(c.misses()).isEqualTo(1);
    }

    @Test
    void aWholePromptMatchCountsOnlyWithLogits() {
        PrefixCache c = new PrefixCache(1 << 20);
        c.put(new int[] {1, 2, 3}, 3, state(3), null);
        c.put(new int[] {1, 2}, 2, state(2), null);
        // Nothing would be left to feed for the logits: the shorter prefix is used.
        assertThat(c.lookup(new int[] {1, 2, 3}).length()).isEqualTo(2);
        c.put(new int[] {1, 2, 3}, 3, state(3), new float[] {7});
        assertThat(c.lookup(new int[] {1, 2, 3}).length()).isEqualTo(3);
    }

    @Test
    void entriesAreCopies() {
        PrefixCache c = new PrefixCache(1 << 20);
        State s = state(1);
        int[] key = {1, 2, 3};
        c.put(key, 3, s, new float[] {1});
        s.setTensor(0, filled(42));
        key[0] = 9;
        PrefixCache.Hit h = c.lookup(new int[] {1, 2, 3});
        assertThat(h.state().tensor(0)[0]).isEqualTo(1f);
        h.state().setTensor(0, filled(5));
        assertThat(c.lookup(new int[] {1, 2, 3}).state().tensor(0)[0]).isEqualTo(1f);
    }

    @Test
    void boundedInBytesLeastRecentlyUsedOutFirst() {
        // An entry: 128 overhead + 4 per key token + 400 for the state = 540 bytes for 3 tokens.
        PrefixCache c = new PrefixCache(3 * 540);
        c.put(new int[] {1, 1, 1}, 3, state(1), null);
        c.put(new int[] {2, 2, 2}, 3, state(2), null);
        c.put(new int[] {3, 3, 3}, 3, state(3), null);
        assertThat(c.entries()).isEqualTo(3);
        assertThat(c.bytes()).isEqualTo(3 * 540);
        assertThat(c.lookup(new int[] {1, 1, 1, 0})).isNotNull(); // 1 is now the most recently used
        c.put(new int[] {4, 4, 4}, 3, state(4), null);
        assertThat(c.entries()).isEqualTo(3);
        assertThat(c.evictions()).isEqualTo(1);
        assertThat(c.lookup(new int[] {2, 2, 2, 0})).isNull();
        assertThat(c.lookup(new int[] {1, 1, 1, 0})).isNotNull();
        assertThat(c.lookup(new int[] {4, 4, 4, 0})).isNotNull();
        // Too large for the whole cache: not kept, nothing evicted for it.
        c.put(new int[1000], 1000, state(5), null);
        assertThat(c.entries()).isEqualTo(3);
        assertThat(c.bytes()).isLessThanOrEqualTo(3 * 540);
    }
}
