package dev.rwkvjava.sampling;

import it.unimi.dsi.fastutil.ints.IntArrays;
import it.unimi.dsi.fastutil.ints.IntComparator;

import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Picks tokens from logits according to a {@link SamplerConfig}, and keeps the occurrence counts that the
 * repetition penalties need. All scratch memory is allocated once, sized from the vocabulary, so sampling
 * allocates nothing per token.
 *
 * <p>Use: {@code int t = sampler.sample(logits); sampler.accept(t);} for each generated token ({@link #accept}
 * updates the penalties; a token that stops generation is not accepted, as in ChatRWKV). {@link #reset()} clears
 * the counts for a new reply but keeps the random stream going, so a retried answer differs while a whole run
 * stays reproducible from its seed. Not thread-safe.
 */
public final class Sampler {
    /** Probability buckets: all float bit patterns of (0, 1] shifted right by 16. */
    private static final int BUCKETS = (Float.floatToRawIntBits(1f) >>> 16) + 1;

    private final SamplerConfig config;
    private final int vocab;
    private final float[] work;
    private final int[] order;
    private final int[] bucketCount = new int[BUCKETS];
    private final double[] bucketMass = new double[BUCKETS];
    private final float[] counts;
    private final boolean[] seen;
    private final int[] seenIds;
    private final float[] countWeight;
    private final int[] biasIds;
    private final float[] biasValues;
    private final int[] banned;
    private final long seed;
    private final IntComparator byProbabilityDescending;
    private long rng;
    private int seenCount;

    /**
     * A sampler in which every generated token counts fully for the penalties.
     *
     * @param config    how to sample
     * @param vocabSize the model's number of ids
     */
    public Sampler(SamplerConfig config, int vocabSize) {
        this(config, vocabSize, null);
    }

    /**
     * A sampler with weighted occurrences.
     *
     * @param config            how to sample
     * @param vocabSize         the model's number of ids
     * @param occurrenceWeights per token id, how much one occurrence adds to its count (ChatRWKV counts spaces,
     *                          tabs and digits as 0, see {@link PenaltyWeights}); null means 1 for every token
     */
    public Sampler(SamplerConfig config, int vocabSize, float[] occurrenceWeights) {
        this.config = Objects.requireNonNull(config, "config");
        if (vocabSize < 1) {
            throw new IllegalArgumentException("vocabulary size must be >= 1, got " + vocabSize);
        }
        this.vocab = vocabSize;
        this.work = new float[vocabSize];
        this.order = new int[vocabSize];
        this.counts = new float[vocabSize];
        this.seen = new boolean[vocabSize];
        this.seenIds = new int[vocabSize];
        if (occurrenceWeights != null && occurrenceWeights.length < vocabSize) {
            throw new IllegalArgumentException("occurrence weights cover " + occurrenceWeights.length
                    + " ids, the vocabulary has " + vocabSize);
        }
        this.countWeight = occurrenceWeights;
        this.biasIds = new int[config.logitBias().size()];
        this.biasValues = new float[biasIds.length];
        int i = 0;
        for (Map.Entry<Integer, Float> e : config.logitBias().entrySet()) {
            biasIds[i] = SamplerConfig.checkedId(e.getKey(), vocabSize, "logit bias");
            biasValues[i++] = e.getValue();
        }
        this.banned = new int[config.bannedTokens().size()];
        for (i = 0; i < banned.length; i++) {
            banned[i] = SamplerConfig.checkedId(config.bannedTokens().get(i), vocabSize, "banned");
        }
        this.seed = config.seed() != null ? config.seed() : new SplittableRandom().nextLong();
        this.rng = seed;
        // Most probable first; equal probabilities by id, so the order (and the sample) is reproducible.
        this.byProbabilityDescending = (a, b) -> {
            int c = Float.compare(work[b], work[a]);
            return c != 0 ? c : Integer.compare(a, b);
        };
    }

    /** {@return how this sampler samples} */
    public SamplerConfig config() {
        return config;
    }

    /** {@return the seed in use (the configured one, or the one picked at random)} */
    public long seed() {
        return seed;
    }

    /** {@return the number of ids it samples from} */
    public int vocabSize() {
        return vocab;
    }

    /** Clears the occurrence counts (a new reply); the random stream continues. */
    public void reset() {
        for (int i = 0; i < seenCount; i++) {
            int id = seenIds[i];
            seen[id] = false;
            counts[id] = 0;
        }
        seenCount = 0;
    }

    /**
     * Picks the next token.
     *
     * @param logits the logits (not modified; only the first {@link #vocabSize()} are read)
     * @return the token id
     */
    public int sample(float[] logits) {
        adjust(logits);
        if (config.isGreedy()) {
            return argmax();
        }
        int n = distribution();
        double total = 0;
        for (int j = 0; j < n; j++) {
            total += work[order[j]];
        }
        double u = nextDouble() * total;
        double acc = 0;
        for (int j = 0; j < n; j++) {
            acc += work[order[j]];
            if (u < acc) {
                return order[j];
            }
        }
        return order[n - 1]; // u within rounding of the total
    }

    /**
     * Records a generated token for the repetition penalties: decays every count, then counts this one.
     *
     * @param token the generated token
     */
    public void accept(int token) {
        Objects.checkIndex(token, vocab);
        float decay = (float) config.penaltyDecay();
        if (decay != 1f) {
            for (int i = 0; i < seenCount; i++) {
                counts[seenIds[i]] *= decay;
            }
        }
        if (!seen[token]) {
            seen[token] = true;
            seenIds[seenCount++] = token;
        }
        counts[token] += countWeight == null ? 1f : countWeight[token];
    }

    /**
     * The current (decayed) occurrence count of a token.
     *
     * @param token the token id
     * @return its count
     */
    public float occurrences(int token) {
        return counts[Objects.checkIndex(token, vocab)];
    }

    /**
     * The probability each token would be sampled with right now (a new array; for tests and tools, not the decode
     * loop). Greedy configurations give 1 for the chosen token.
     *
     * @param logits the logits (not modified)
     * @return one probability per id
     */
    public float[] probabilities(float[] logits) {
        float[] p = new float[vocab];
        adjust(logits);
        if (config.isGreedy()) {
            p[argmax()] = 1f;
            return p;
        }
        int n = distribution();
        double total = 0;
        for (int j = 0; j < n; j++) {
            total += work[order[j]];
        }
        for (int j = 0; j < n; j++) {
            p[order[j]] = (float) (work[order[j]] / total);
        }
        return p;
    }

    /** work = logits + bias, banned ids at -inf, minus presence + count × frequency for every token seen. */
    private void adjust(float[] logits) {
        if (logits.length < vocab) {
            throw new IllegalArgumentException("logits have " + logits.length + " values, the vocabulary " + vocab);
        }
        System.arraycopy(logits, 0, work, 0, vocab);
        for (int i = 0; i < biasIds.length; i++) {
            work[biasIds[i]] += biasValues[i];
        }
        for (int id : banned) {
            work[id] = Float.NEGATIVE_INFINITY;
        }
        float presence = (float) config.presencePenalty();
        float frequency = (float) config.frequencyPenalty();
        if (presence != 0 || frequency != 0) {
            for (int i = 0; i < seenCount; i++) {
                int id = seenIds[i];
                work[id] -= presence + counts[id] * frequency;
            }
        }
    }

    /** Highest adjusted logit, the lowest id on a tie. */
    private int argmax() {
        int best = -1;
        float bestValue = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            float v = work[i];
            if (v > bestValue) {
                bestValue = v;
                best = i;
            }
        }
        if (best < 0) {
            throw noCandidates();
        }
        return best;
    }

    /**
     * Turns work into sampling weights: softmax at temperature 1, the cut-offs, then the temperature on the
     * survivors (p^(1/T), which equals softmax(logits / T) renormalised over them). Returns the number of
     * survivors, whose ids are order[0..n) and whose (unnormalised) weights are in work.
     */
    private int distribution() {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            if (work[i] > max) {
                max = work[i];
            }
        }
        if (max == Float.NEGATIVE_INFINITY || Float.isNaN(max)) {
            throw noCandidates();
        }
        boolean infinite = max == Float.POSITIVE_INFINITY; // an overflowed logit: the infinite ones share everything
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            float v = work[i];
            float e;
            if (infinite) {
                e = v == Float.POSITIVE_INFINITY ? 1f : 0f;
            } else {
                e = v > Float.NEGATIVE_INFINITY ? (float) Math.exp(v - max) : 0f; // NaN counts as -inf
            }
            work[i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        float top = 0;
        for (int i = 0; i < vocab; i++) {
            work[i] *= inv;
            top = Math.max(top, work[i]);
        }
        int n = cutOff(top);
        double t = config.temperature();
        if (t != 1.0) {
            // Relative to the top probability, so the likeliest token keeps weight 1 even at a tiny temperature.
            double exponent = 1.0 / t;
            for (int j = 0; j < n; j++) {
                int id = order[j];
                work[id] = (float) Math.pow(work[id] / top, exponent);
            }
        }
        return n;
    }

    /**
     * Fills order[0..n) with the tokens that survive min-p, top-k and top-p (all on work's probabilities).
     *
     * <p>Sorting the vocabulary every token would cost milliseconds. Instead one pass sorts the probabilities into
     * buckets by their float bits (for positive floats the bits grow with the value; the top 16 bits are the
     * exponent and 7 mantissa bits, so a bucket spans under 1 %), which tells which bucket holds the top-p and top-k
     * boundaries; only that bucket is sorted.
     */
    private int cutOff(float top) {
        float floor = (float) (config.minP() * top);
        double topP = config.topP();
        int topK = config.topK() > 0 && config.topK() < vocab ? config.topK() : 0;
        if (topP >= 1 && topK == 0) {
            int n = 0;
            for (int i = 0; i < vocab; i++) {
                if (work[i] > 0 && work[i] >= floor) {
                    order[n++] = i;
                }
            }
            return n;
        }
        java.util.Arrays.fill(bucketCount, 0);
        java.util.Arrays.fill(bucketMass, 0);
        for (int i = 0; i < vocab; i++) {
            float p = work[i];
            if (p > 0 && p >= floor) {
                int b = bucket(p);
                bucketCount[b]++;
                bucketMass[b] += p;
            }
        }
        // Top-p, as ChatRWKV: the probability at which the cumulative sum (most likely first) reaches top-p is the
        // cut-off, and every token at least that likely stays (so ties with it are kept too).
        float cut = 0;
        if (topP < 1) {
            double above = 0;
            int b = BUCKETS - 1;
            while (b >= 0 && (bucketCount[b] == 0 || above + bucketMass[b] < topP)) {
                above += bucketMass[b--];
            }
            if (b >= 0) {
                int m = gather(b, floor, 0);
                cut = work[order[m - 1]];
                double cumulative = above;
                for (int j = 0; j < m; j++) {
                    cumulative += work[order[j]];
                    if (cumulative >= topP) {
                        cut = work[order[j]];
                        break;
                    }
                }
            }
        }
        // Top-k: everything in the buckets above the one where the count reaches k, and the best of that one.
        int kBucket = -1;
        int needK = 0;
        if (topK > 0) {
            int counted = 0;
            for (int b = BUCKETS - 1; b >= 0; b--) {
                if (counted + bucketCount[b] >= topK) {
                    kBucket = b;
                    needK = topK - counted;
                    break;
                }
                counted += bucketCount[b];
            }
        }
        int n = 0;
        for (int i = 0; i < vocab; i++) {
            float p = work[i];
            if (p > 0 && p >= floor && p >= cut && (kBucket < 0 || bucket(p) > kBucket)) {
                order[n++] = i;
            }
        }
        if (kBucket >= 0) {
            int size = bucketCount[kBucket];
            int from = vocab - size; // the end of order is free: n + size <= vocab
            gather(kBucket, floor, from);
            for (int j = 0; j < needK; j++) {
                int id = order[from + j];
                if (work[id] >= cut) {
                    order[n++] = id;
                }
            }
        }
        return n;
    }

    /** Bucket of a positive probability: the top 16 bits of its float (exponent and 7 mantissa bits). */
    private static int bucket(float p) {
        return Float.floatToRawIntBits(p) >>> 16;
    }

    /** Puts the tokens of one bucket (at least as likely as floor) at order[from..], most likely first. */
    private int gather(int b, float floor, int from) {
        int m = from;
        for (int i = 0; i < vocab; i++) {
            float p = work[i];
            if (p > 0 && p >= floor && bucket(p) == b) {
                order[m++] = i;
            }
        }
        IntArrays.quickSort(order, from, m, byProbabilityDescending);
        return m - from;
    }

    private IllegalStateException noCandidates() {
        return new IllegalStateException("no token can be sampled: every logit is -infinity or NaN after the ban "
                + "list (" + banned.length + " banned ids), bias and penalties");
    }

    /** SplitMix64: tiny, fast, and fully determined by the seed on every JVM. */
    private double nextDouble() {
        long z = (rng += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (z >>> 11) * 0x1.0p-53;
    }

    @Override
    public String toString() {
        return "Sampler[" + config + ", seed " + seed + ", vocab " + vocab + ", " + banned.length + " banned]";
    }
}
