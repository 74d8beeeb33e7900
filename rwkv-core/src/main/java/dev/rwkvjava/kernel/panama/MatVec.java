package dev.rwkvjava.kernel.panama;

import static dev.rwkvjava.kernel.panama.PanamaConstants.BITS;
import static dev.rwkvjava.kernel.panama.PanamaConstants.F;

import dev.rwkvjava.tensor.Matrix;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * What the matrix × vector loops of the weight types share. Matrix × vector is the decode hot loop and bound by
 * memory bandwidth, so the aim of every type's loop is to keep the loads of weight bytes flowing: a whole 64-byte
 * line of each row per step where C2's inlining budget allows, and as few vector operations per loaded byte as
 * possible (each one waiting on a load holds a scheduler slot, and fewer loads then stay in flight). Every type
 * takes its range of rows as parts side by side, so that a product reads its matrix as a few long sequential
 * streams that share each load of x (see F32Vectors, BF16Vectors, F16Vectors).
 *
 * <p>Each type's hot loops are methods of their own, called once per product: C2 compiles them as separate units,
 * and a unit that grows past C2's node budget stops inlining and boxes every vector (100x slower). The loops cover
 * whole steps only and the last columns are summed in scalar code: vector code in a block that runs rarely would
 * be a cold call site for C2 once the shapes change (a model's first products never reach it), and at a cold site
 * C2 declines to inline a helper such as fma that it has already compiled on its own; the vectors crossing that
 * call are then boxed, the loop's too.
 */
final class MatVec {
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** The 16-bit paths' vectors: at most 256 bits (see the BF16 and F16 section). */
    static final VectorSpecies<Float> FH = BITS > 256 ? FloatVector.SPECIES_256 : F;
    static final VectorSpecies<Integer> IH = FH.withLanes(int.class);
    static final int HALF_LANES = FH.length();
    /** Two 16-bit weights per int lane: one pair load covers this many columns. */
    static final int PAIR_STEP = 2 * HALF_LANES;
    /** x in even/odd order for the 16-bit paths, one per thread, grown on demand (never per call). */
    static final ThreadLocal<float[][]> PERMUTED = ThreadLocal.withInitial(() -> new float[1][0]);
    /** A converted F16 row (see f16Converted), one per thread, grown on demand. */
    static final ThreadLocal<float[][]> ROW = ThreadLocal.withInitial(() -> new float[1][0]);
    /** The sums of {@link #runSums}, one array per thread, grown on demand. */
    private static final ThreadLocal<float[][]> RUN_SUMS = ThreadLocal.withInitial(() -> new float[1][0]);

    private MatVec() {
    }

    /**
     * acc + a · b for the 16-bit loops, whose vectors are all FH. The lanewise call here has a type profile of its
     * own, which sees one vector class; the one inside FloatVector.fma sees every width the process uses (FH, FS and
     * the full-width vectors of matMat), and C2 then parses every class's code at each call: that took the BF16 loop
     * past its inlining budget after a prefill, and matMat's tile after many F32 products. Each width keeps to its
     * own helper (this one, {@link #fmaS}, and PanamaConstants.fma for the full width).
     */
    static FloatVector fmaH(FloatVector a, FloatVector b, FloatVector acc) {
        return PanamaConstants.FMA ? a.lanewise(VectorOperators.FMA, b, acc) : a.mul(b).add(acc);
    }


    /**
     * Reads a byte of {@code data} with a scalar access. Every method that loads weights as vectors ends with this
     * call: HotSpot turns a fault in a compiled method that makes scalar memory-segment accesses (a read of a mapped
     * file that another process truncated) into an {@link InternalError} the engine reports, but a method whose
     * only accesses are vector loads is not known to make such accesses, and a fault there kills the JVM. At the end
     * of the method the read is compiled into every compilation of its loops, on-stack replacement ones included.
     */
    static void faultable(MemorySegment data) {
        if (data.byteSize() > 0) {
            data.get(ValueLayout.JAVA_BYTE, 0);
        }
    }

    static void addTails(Matrix w, float[] x, int xOff, float[] y, int yOff, int rowStart, int rowEnd,
                                 int bound) {
        if (bound < w.cols()) {
            for (int r = rowStart; r < rowEnd; r++) {
                y[yOff + r] += tail(w, r, x, xOff, bound);
            }
        }
    }

    static float maxAbs(float[] x, int off, int n) {
        float m = 0;
        for (int i = off; i < off + n; i++) {
            m = Math.max(m, Math.abs(x[i]));
        }
        return m;
    }

    /** Row r's columns from {@code from} on, scalar (only for widths that are not a multiple of the step). */
    static float tail(Matrix w, int r, float[] x, int xOff, int from) {
        int cols = w.cols();
        long base = (long) r * cols;
        float s = 0;
        for (int c = from; c < cols; c++) {
            s += w.type().get(w.data(), base + c) * x[xOff + c];
        }
        return s;
    }

    /**
     * Copies x[xOff .. xOff + bound) times {@code scale} (a power of two) into a per-thread buffer so that each
     * block of PAIR_STEP values holds the even-indexed ones first, then the odd-indexed ones: the order in which
     * pair loads deliver weights.
     */
    static float[] permute(float[] x, int xOff, int bound, float scale) {
        float[] xp = grown(PERMUTED.get(), bound);
        for (int c = 0; c < bound; c += PAIR_STEP) {
            for (int j = 0; j < HALF_LANES; j++) {
                xp[c + j] = x[xOff + c + 2 * j] * scale;
                xp[c + HALF_LANES + j] = x[xOff + c + 2 * j + 1] * scale;
            }
        }
        return xp;
    }

    static float[] scratch(int n) {
        return grown(ROW.get(), n);
    }

    /**
     * The sums of x over each of its first {@code runs} runs of 32 values, in this thread's array (permuted x gives
     * the same sums: the block kernels' permutations stay within runs of 32).
     */
    static float[] runSums(float[] x, int runs) {
        float[] sums = grown(RUN_SUMS.get(), runs);
        for (int j = 0; j < runs; j++) {
            float s = 0;
            for (int c = 32 * j, end = c + 32; c < end; c++) {
                s += x[c];
            }
            sums[j] = s;
        }
        return sums;
    }

    /** holder[0], replaced by a larger array first if it is shorter than n. */
    static float[] grown(float[][] holder, int n) {
        if (holder[0].length < n) {
            holder[0] = new float[Math.max(n, 2 * holder[0].length)];
        }
        return holder[0];
    }
}