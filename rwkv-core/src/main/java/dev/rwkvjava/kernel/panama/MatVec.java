package dev.rwkvjava.kernel.panama;

import static dev.rwkvjava.kernel.panama.PanamaConstants.BITS;
import static dev.rwkvjava.kernel.panama.PanamaConstants.F;
import static dev.rwkvjava.kernel.panama.PanamaConstants.LANES;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.LSHL;

import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.Matrix;
import dev.rwkvjava.tensor.SparseHalves;
import dev.rwkvjava.tensor.WeightReader;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Matrix × vector, the decode hot loop. It is bound by memory bandwidth, so the aim is to keep the loads of
 * weight bytes flowing: a whole 64-byte line of each row per step where C2's inlining budget allows (F32 and
 * BF16; F16, whose decoding costs more operations, takes half a line), and as few vector operations per loaded
 * byte as possible (each one waiting on a load holds a scheduler slot, and fewer loads then stay in flight).
 * Every type takes its range of rows as parts side by side, so that a product reads its matrix as a few long
 * sequential streams that share each load of x: two halves for F32 and BF16 (see f32Pairs), four quarters for
 * F16, whose decoding takes more operations per byte (see f16QuartersRaised); on vectors of at most 256 bits.
 */
final class MatVec {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** The 16-bit paths' vectors: at most 256 bits (see the BF16 and F16 section). */
    private static final VectorSpecies<Float> FH = BITS > 256 ? FloatVector.SPECIES_256 : F;
    private static final VectorSpecies<Integer> IH = FH.withLanes(int.class);
    private static final int HALF_LANES = FH.length();
    /** Two 16-bit weights per int lane: one pair load covers this many columns. */
    private static final int PAIR_STEP = 2 * HALF_LANES;
    /** x in even/odd order for the 16-bit paths, one per thread, grown on demand (never per call). */
    private static final ThreadLocal<float[][]> PERMUTED = ThreadLocal.withInitial(() -> new float[1][0]);
    /** A converted F16 row (see f16Converted), one per thread, grown on demand. */
    private static final ThreadLocal<float[][]> ROW = ThreadLocal.withInitial(() -> new float[1][0]);

    private MatVec() {
    }

    // ---- F32 -------------------------------------------------------------------------------------------------
    //
    // Each dtype's hot loops are methods of their own, called once per product: C2 compiles them as separate
    // units, and a unit that grows past C2's node budget stops inlining and boxes every vector (100x slower).
    // The loops cover whole steps only and the last columns are summed in scalar code: vector code in a block
    // that runs rarely would be a cold call site for C2 once the shapes change (a model's first products never
    // reach it), and at a cold site C2 declines to inline a helper such as fma that it has already compiled on
    // its own; the vectors crossing that call are then boxed, the loop's too.

    static void f32(Matrix w, float[] x, int xOff, float[] y, int yOff, int rowStart, int rowEnd) {
        int half = (rowEnd - rowStart + 1) / 2;
        f32Pairs(w.data(), w.rowOffset(rowStart), w.rowOffset(rowEnd - half), w.cols(), x, xOff, y, yOff + rowStart,
                yOff + rowEnd - half, half);
    }

    /** The F32 loops' loads: half as wide as {@link PanamaConstants#F} (F itself at 128 bits). */
    private static final VectorSpecies<Float> FS = PanamaConstants.HALF_F;
    private static final int SPLIT_LANES = FS.length();

    /**
     * A range of rows as two halves side by side, {@code count} rows from byte b0 (sums to y[y0...]) and as many
     * from b1 (to y[y1...]): row i of the first half with row i of the second, sharing each load of x, so that the
     * matrix is read as two sequential streams. An odd range has its middle row in both halves (computed twice,
     * the same sum): a separate path for a last row would be vector code that runs rarely, which C2 leaves to the
     * slow lower tiers (seen: a one-row path left to C1 made a later 2-thread product 300 times slower). One
     * stream (a row at a time) streams as fast while x stays in the L1 cache, but rows of more than ~2,500
     * columns push x out, and then sharing x pays (768 x 3072: 0.75-0.87 of read bandwidth against 0.68-0.79;
     * 256 x 8192: 0.80-0.85 against 0.57-0.64). Adjacent rows taken together are no substitute: each is a
     * short stream that the prefetchers pick up anew every row (four at a time streamed at 0.55-0.60).
     *
     * <p>The sums are those of {@link MatMat}, operation for operation, so that token mode and sequence mode
     * agree: lane j of an F-wide accumulator sums columns j, j + LANES, ... in order, then one reduction, then the
     * last columns one by one. The accumulator is kept as two half-width chains (lanes below and above LANES / 2):
     * half-width loads streamed at about 1.0 of read bandwidth on a Zen 4 machine where one 512-bit chain reached
     * 0.5-0.85.
     */
    private static void f32Pairs(MemorySegment data, long b0, long b1, int cols, float[] x, int xOff, float[] y,
                                 int y0, int y1, int count) {
        int bound = F.loopBound(cols);
        long rowBytes = 4L * cols;
        for (int r = 0; r < count; r++, b0 += rowBytes, b1 += rowBytes) {
            FloatVector lo0 = FloatVector.zero(FS), hi0 = FloatVector.zero(FS);
            FloatVector lo1 = FloatVector.zero(FS), hi1 = FloatVector.zero(FS);
            for (int c = 0; c < bound; c += LANES) {
                // Offsets written as b0 + 4 * (c + k), not as one offset plus a constant: in that second form C2
                // kept the segment bounds checks in the loop, which then streamed at half the speed.
                FloatVector xl = FloatVector.fromArray(FS, x, xOff + c);
                lo0 = fmaS(FloatVector.fromMemorySegment(FS, data, b0 + 4L * c, LE), xl, lo0);
                lo1 = fmaS(FloatVector.fromMemorySegment(FS, data, b1 + 4L * c, LE), xl, lo1);
                if (FS != F) {
                    FloatVector xh = FloatVector.fromArray(FS, x, xOff + c + SPLIT_LANES);
                    hi0 = fmaS(FloatVector.fromMemorySegment(FS, data, b0 + 4L * (c + SPLIT_LANES), LE), xh, hi0);
                    hi1 = fmaS(FloatVector.fromMemorySegment(FS, data, b1 + 4L * (c + SPLIT_LANES), LE), xh, hi1);
                }
            }
            y[y0 + r] = f32Tail(data, b0, bound, cols, x, xOff, laneSum(lo0, hi0));
            y[y1 + r] = f32Tail(data, b1, bound, cols, x, xOff, laneSum(lo1, hi1));
        }
    }

    /** acc + a · b for the F32 loop, whose vectors are all FS: a call site of its own, as {@link #fmaH} explains. */
    private static FloatVector fmaS(FloatVector a, FloatVector b, FloatVector acc) {
        return PanamaConstants.FMA ? a.lanewise(VectorOperators.FMA, b, acc) : a.mul(b).add(acc);
    }

    /**
     * The sum of the F-wide accumulator whose lower and upper halves are lo and hi, in PanamaConstants.sumF's order
     * (lo + hi lane by lane, then the tree), as matMat sums its tiles.
     */
    private static float laneSum(FloatVector lo, FloatVector hi) {
        return FS == F ? PanamaConstants.sumF(lo) : PanamaConstants.sumHalf(lo.add(hi));
    }

    /**
     * The sum of the FH vector that the caller stored at the front of {@code lanes}, in lane order: in a fixed
     * order, as PanamaConstants.sumF explains, and with fewer vector operations than its tree, which took the BF16
     * loop past C2's inlining budget. The caller stores the vector itself (intoArray is one of the Vector API's own
     * methods, which C2 always inlines): near its node budget C2 declines to inline helpers such as this one, and a
     * vector passed to a helper that is not inlined is boxed (seen with 128-bit vectors after a prefill).
     */
    private static float sumStored(float[] lanes) {
        float s = 0;
        for (int i = 0; i < HALF_LANES; i++) {
            s += lanes[i];
        }
        return s;
    }

    /** Room for the lanes of up to four FH vectors (see sumStored and f16QuartersRaised), one array per thread. */
    private static final ThreadLocal<float[]> LANES_H = ThreadLocal.withInitial(() -> new float[4 * HALF_LANES]);

    /** s plus the products of columns from {@code from} on, one by one (F32 row at byte b). */
    private static float f32Tail(MemorySegment data, long b, int from, int cols, float[] x, int xOff, float s) {
        for (int c = from; c < cols; c++) {
            s += data.get(WeightReader.F32, b + 4L * c) * x[xOff + c];
        }
        return s;
    }

    // ---- BF16 and F16 ------------------------------------------------------------------------------------------
    //
    // One int load carries two weights; the even ones are paired with x's even elements and the odd ones with
    // the odd elements, from a copy of x permuted once per call (see permute). Loads of at most 256 bits: on an
    // AVX-512 machine (Zen 5) these streamed BF16 rows at 34 GB/s on one thread where 512-bit loads reached 22-26
    // (read bandwidth 30-33 GB/s). On AVX2 it is the native width anyway. Rows are taken as in f32Pairs, with
    // separate even and odd sums. The BF16 and F16 loops differ in their decoding and are written out apart on
    // purpose: one loop for both would carry both decodings and one profile shared by two types (see the F32
    // section).

    static void bf16(Matrix w, float[] x, int xOff, float[] y, int yOff, int rowStart, int rowEnd) {
        int cols = w.cols();
        int bound = cols - cols % LINE_STEP;
        float[] xp = permute(x, xOff, bound, 1f);
        int half = (rowEnd - rowStart + 1) / 2;
        bf16Pairs(w.data(), w.rowOffset(rowStart), w.rowOffset(rowEnd - half), 2L * cols, xp, bound, y,
                yOff + rowStart, yOff + rowEnd - half, half);
        addTails(w, x, xOff, y, yOff, rowStart, rowEnd, bound);
    }

    /** Columns per step of the BF16 loop: two pair loads of each row, one 64-byte line at 256 bits. */
    private static final int LINE_STEP = 2 * PAIR_STEP;

    /**
     * The two halves of {@link #f32Pairs} for BF16, a whole cache line of each row per step (as the F32 loop
     * reads): on an Intel server core (Sapphire Rapids class, 13 GB/s read bandwidth on one thread) half a line
     * per step streamed 768-column rows at 0.72-0.82 of read bandwidth, whole lines at 0.95-0.99, with 256-bit
     * vectors and with AVX2 alone alike.
     *
     * <p>The decoding is written out in the loop (a shift for the even elements, a mask for the odd ones), not
     * called: once other kernels' code has grown the profiles C2 parses, it refuses to inline small helpers of
     * ours past its node count (it never refuses the Vector API's own methods, only delays them), and each refused
     * helper boxes its vectors. Seen with 128-bit vectors after the full test suite.
     */
    private static void bf16Pairs(MemorySegment data, long b0, long b1, long rowBytes, float[] xp, int bound,
                                  float[] y, int y0, int y1, int count) {
        float[] lanes = LANES_H.get();
        for (int r = 0; r < count; r++, b0 += rowBytes, b1 += rowBytes) {
            FloatVector e0 = FloatVector.zero(FH), o0 = FloatVector.zero(FH);
            FloatVector e1 = FloatVector.zero(FH), o1 = FloatVector.zero(FH);
            for (int c = 0; c < bound; c += LINE_STEP) {
                FloatVector xe = FloatVector.fromArray(FH, xp, c);
                FloatVector xo = FloatVector.fromArray(FH, xp, c + HALF_LANES);
                IntVector p0 = IntVector.fromMemorySegment(IH, data, b0 + 2L * c, LE);
                IntVector p1 = IntVector.fromMemorySegment(IH, data, b1 + 2L * c, LE);
                e0 = fmaH(p0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), xe, e0);
                o0 = fmaH(p0.lanewise(VectorOperators.AND, 0xFFFF_0000).reinterpretAsFloats(), xo, o0);
                e1 = fmaH(p1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), xe, e1);
                o1 = fmaH(p1.lanewise(VectorOperators.AND, 0xFFFF_0000).reinterpretAsFloats(), xo, o1);
                xe = FloatVector.fromArray(FH, xp, c + PAIR_STEP);
                xo = FloatVector.fromArray(FH, xp, c + PAIR_STEP + HALF_LANES);
                p0 = IntVector.fromMemorySegment(IH, data, b0 + 2L * (c + PAIR_STEP), LE);
                p1 = IntVector.fromMemorySegment(IH, data, b1 + 2L * (c + PAIR_STEP), LE);
                e0 = fmaH(p0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), xe, e0);
                o0 = fmaH(p0.lanewise(VectorOperators.AND, 0xFFFF_0000).reinterpretAsFloats(), xo, o0);
                e1 = fmaH(p1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), xe, e1);
                o1 = fmaH(p1.lanewise(VectorOperators.AND, 0xFFFF_0000).reinterpretAsFloats(), xo, o1);
            }
            e0.add(o0).intoArray(lanes, 0);
            y[y0 + r] = sumStored(lanes);
            e1.add(o1).intoArray(lanes, 0);
            y[y1 + r] = sumStored(lanes);
        }
    }

    /**
     * acc + a · b for the 16-bit loops, whose vectors are all FH. The lanewise call here has a type profile of its
     * own, which sees one vector class; the one inside FloatVector.fma sees every width the process uses (FH, FS and
     * the full-width vectors of matMat), and C2 then parses every class's code at each call: that took the BF16 loop
     * past its inlining budget after a prefill, and matMat's tile after many F32 products. Each width keeps to its
     * own helper (this one, {@link #fmaS}, and PanamaConstants.fma for the full width).
     */
    private static FloatVector fmaH(FloatVector a, FloatVector b, FloatVector acc) {
        return PanamaConstants.FMA ? a.lanewise(VectorOperators.FMA, b, acc) : a.mul(b).add(acc);
    }

    /*
     * F16 pairs are read raised (see HalfFloats): each weight with a non-zero exponent field as its value times
     * 2^-80, against x·2^64 (in the permuted copy), and each row's sum is multiplied by 2^16. Powers of two, so
     * every product and partial sum is the exact one scaled. The halves whose exponent field is zero (zeros and
     * subnormals, a fraction of a percent of trained weights) read as wrong but known values: the matrix lists
     * where they are (scanned once, see Matrix.zeroExponentHalves), and each row's sum then gets their errors
     * times x added. A matrix with an infinite or NaN half, or with too many zero-exponent halves to list, is
     * converted row by row instead, as is every matrix when |x| is too large to scale or x holds a NaN.
     */
    static void f16(Matrix w, float[] x, int xOff, float[] y, int yOff, int rowStart, int rowEnd) {
        int cols = w.cols();
        int bound = cols - cols % PAIR_STEP;
        SparseHalves zeroExponent = w.hasNonFiniteHalves() ? null : w.zeroExponentHalves();
        // maxAbs is NaN when x holds a NaN, and the comparison then fails.
        if (zeroExponent != null && maxAbs(x, xOff, bound) < F16_X_LIMIT) {
            float[] xp = permute(x, xOff, bound, F16_X_SCALE);
            f16QuartersRaised(w.data(), 2L * cols, rowStart, rowEnd, xp, bound, y, yOff);
            correctZeroExponentHalves(zeroExponent, x, xOff, y, yOff, rowStart, rowEnd, bound);
        } else {
            f16Converted(w, x, xOff, y, yOff, rowStart, rowEnd, bound);
        }
        addTails(w, x, xOff, y, yOff, rowStart, rowEnd, bound);
    }

    /** x is scaled by this on the F16 fast path; the row sums are scaled back by {@link #F16_SUM_SCALE}. */
    private static final float F16_X_SCALE = 0x1p64f;
    private static final float F16_SUM_SCALE = 1 / (F16_X_SCALE * HalfFloats.F16_RAISED_SCALE);
    /** Largest |x| the fast path takes: x · 2^64 and its products with raised halves (below 2^-64) stay finite. */
    private static final float F16_X_LIMIT = 0x1p60f;

    /**
     * F16 rows read raised, against x·2^64; the sums are scaled back. The range is taken as four quarters side by
     * side, four sequential streams that share each load of x (f32Pairs takes two halves): the decoding takes
     * several operations per loaded vector, and while those wait on their load they fill the core's scheduler, so
     * that a step's loads alone do not keep enough lines in flight; two more streams do. Measured in two JMH runs
     * (Intel server core, 11 GB/s read bandwidth on one thread, 21 on two), 768-column rows: two halves streamed at
     * 0.74-0.92 of read bandwidth (0.69-0.82 with AVX2 alone), four quarters at 0.83-0.95 (0.83-0.97); longer rows
     * went from 0.90-1.02 to 1.05-1.13 (0.86-0.93 to 1.04-1.10). A range that four does not divide has overlapping
     * quarters (a few rows computed twice, with the same sums); one of fewer than four rows, each of its rows up to
     * four times.
     *
     * <p>Half a line of each row per step: the step's operations are written out in the loop, the decoding
     * included (see bf16Pairs for why), and longer steps would take C2 past its node budget. Each step also reads
     * one byte {@link #AHEAD} bytes further along each stream: a plain load on which nothing waits, which starts
     * the line's transfer early (with two streams it took 768-column rows from 0.62 to 0.74 of read bandwidth on
     * two threads; the BF16 loop, with fewer operations per load, measured no gain from it).
     */
    private static void f16QuartersRaised(MemorySegment data, long rowBytes, int rowStart, int rowEnd, float[] xp,
                                          int bound, float[] y, int yOff) {
        int count = (rowEnd - rowStart + 3) / 4;
        int r1 = Math.min(rowStart + count, rowEnd - count);
        int r2 = Math.min(rowStart + 2 * count, rowEnd - count);
        int r3 = rowEnd - count;
        long b0 = rowStart * rowBytes;
        long b1 = r1 * rowBytes;
        long b2 = r2 * rowBytes;
        long b3 = r3 * rowBytes;
        IntVector mask = HalfFloats.f16Mask(IH);
        IntVector raise = HalfFloats.f16Raise(IH);
        float[] lanes = LANES_H.get();
        // Where each row's touching starts, capped so that the row's last touch (under 2 * bound bytes further)
        // stays inside the segment: near its end the touches fall on bytes already read, which costs nothing.
        // Capped once per row, not per touch: fewer operations per step (with two streams, 768 x 768 on one
        // thread went from 9.0-9.4 to 9.7-9.8 GB/s).
        long lastStart = data.byteSize() - 2L * bound;
        int touched = 0;
        for (int r = 0; r < count; r++, b0 += rowBytes, b1 += rowBytes, b2 += rowBytes, b3 += rowBytes) {
            FloatVector e0 = FloatVector.zero(FH), o0 = FloatVector.zero(FH);
            FloatVector e1 = FloatVector.zero(FH), o1 = FloatVector.zero(FH);
            FloatVector e2 = FloatVector.zero(FH), o2 = FloatVector.zero(FH);
            FloatVector e3 = FloatVector.zero(FH), o3 = FloatVector.zero(FH);
            long t0 = Math.min(b0 + AHEAD, lastStart);
            long t1 = Math.min(b1 + AHEAD, lastStart);
            long t2 = Math.min(b2 + AHEAD, lastStart);
            long t3 = Math.min(b3 + AHEAD, lastStart);
            for (int c = 0; c < bound; c += PAIR_STEP) {
                touched += data.get(ValueLayout.JAVA_BYTE, t0 + 2L * c);
                touched += data.get(ValueLayout.JAVA_BYTE, t1 + 2L * c);
                touched += data.get(ValueLayout.JAVA_BYTE, t2 + 2L * c);
                touched += data.get(ValueLayout.JAVA_BYTE, t3 + 2L * c);
                FloatVector xe = FloatVector.fromArray(FH, xp, c);
                FloatVector xo = FloatVector.fromArray(FH, xp, c + HALF_LANES);
                // Low halves: shifted to the top, then arithmetically back by 3 so that the sign stays in bit 31;
                // high halves: only the arithmetic shift. Then the mask and the raise (see HalfFloats). The fused
                // multiply-add is written out too: C2 refused to inline fmaH here (NodeCountInliningCutoff).
                IntVector p0 = IntVector.fromMemorySegment(IH, data, b0 + 2L * c, LE);
                IntVector p1 = IntVector.fromMemorySegment(IH, data, b1 + 2L * c, LE);
                IntVector p2 = IntVector.fromMemorySegment(IH, data, b2 + 2L * c, LE);
                IntVector p3 = IntVector.fromMemorySegment(IH, data, b3 + 2L * c, LE);
                FloatVector w = p0.lanewise(LSHL, 16).lanewise(ASHR, 3).and(mask).or(raise).reinterpretAsFloats();
                e0 = PanamaConstants.FMA ? w.lanewise(VectorOperators.FMA, xe, e0) : w.mul(xe).add(e0);
                w = p0.lanewise(ASHR, 3).and(mask).or(raise).reinterpretAsFloats();
                o0 = PanamaConstants.FMA ? w.lanewise(VectorOperators.FMA, xo, o0) : w.mul(xo).add(o0);
                w = p1.lanewise(LSHL, 16).lanewise(ASHR, 3).and(mask).or(raise).reinterpretAsFloats();
                e1 = PanamaConstants.FMA ? w.lanewise(VectorOperators.FMA, xe, e1) : w.mul(xe).add(e1);
                w = p1.lanewise(ASHR, 3).and(mask).or(raise).reinterpretAsFloats();
                o1 = PanamaConstants.FMA ? w.lanewise(VectorOperators.FMA, xo, o1) : w.mul(xo).add(o1);
                w = p2.lanewise(LSHL, 16).lanewise(ASHR, 3).and(mask).or(raise).reinterpretAsFloats();
                e2 = PanamaConstants.FMA ? w.lanewise(VectorOperators.FMA, xe, e2) : w.mul(xe).add(e2);
                w = p2.lanewise(ASHR, 3).and(mask).or(raise).reinterpretAsFloats();
                o2 = PanamaConstants.FMA ? w.lanewise(VectorOperators.FMA, xo, o2) : w.mul(xo).add(o2);
                w = p3.lanewise(LSHL, 16).lanewise(ASHR, 3).and(mask).or(raise).reinterpretAsFloats();
                e3 = PanamaConstants.FMA ? w.lanewise(VectorOperators.FMA, xe, e3) : w.mul(xe).add(e3);
                w = p3.lanewise(ASHR, 3).and(mask).or(raise).reinterpretAsFloats();
                o3 = PanamaConstants.FMA ? w.lanewise(VectorOperators.FMA, xo, o3) : w.mul(xo).add(o3);
            }
            // The row sums, each in lane order (see sumStored), computed here: as a call per row (C2 declines
            // to inline it here) they took 768-column rows from 11.5 to 10.6 GB/s on one thread.
            e0.add(o0).intoArray(lanes, 0);
            e1.add(o1).intoArray(lanes, HALF_LANES);
            e2.add(o2).intoArray(lanes, 2 * HALF_LANES);
            e3.add(o3).intoArray(lanes, 3 * HALF_LANES);
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (int i = 0; i < HALF_LANES; i++) {
                s0 += lanes[i];
                s1 += lanes[HALF_LANES + i];
                s2 += lanes[2 * HALF_LANES + i];
                s3 += lanes[3 * HALF_LANES + i];
            }
            y[yOff + rowStart + r] = s0 * F16_SUM_SCALE;
            y[yOff + r1 + r] = s1 * F16_SUM_SCALE;
            y[yOff + r2 + r] = s2 * F16_SUM_SCALE;
            y[yOff + r3 + r] = s3 * F16_SUM_SCALE;
        }
        touchSink = touched;
    }

    /** How far ahead of the F16 loop's loads it touches each row: 256 to 8192 measured alike. */
    private static final long AHEAD = 1024;
    /** Where the F16 loop leaves the sum of the bytes it touched, so that the JIT keeps the touching loads. */
    private static int touchSink;

    /** Adds to each row's sum the errors of its listed halves (those before {@code bound}) times x. */
    private static void correctZeroExponentHalves(SparseHalves listed, float[] x, int xOff, float[] y,
                                                  int yOff, int rowStart, int rowEnd, int bound) {
        for (int r = rowStart; r < rowEnd; r++) {
            int end = listed.end(r);
            int i = listed.start(r);
            if (i == end) {
                continue;
            }
            float s = 0;
            for (int c; i < end && (c = listed.col(i)) < bound; i++) {
                s += HalfFloats.raisedF16Error(listed.bits(i)) * x[xOff + c];
            }
            y[yOff + r] += s;
        }
    }

    /** Each row converted to floats exactly, then summed in order (a rare path: see f16). */
    private static void f16Converted(Matrix w, float[] x, int xOff, float[] y, int yOff, int rowStart, int rowEnd,
                                     int bound) {
        float[] row = scratch(bound);
        for (int r = rowStart; r < rowEnd; r++) {
            HalfFloats.toFloats(w.data(), DType.F16, (long) r * w.cols(), row, 0, bound);
            float s = 0;
            for (int c = 0; c < bound; c++) {
                s += row[c] * x[xOff + c];
            }
            y[yOff + r] = s;
        }
    }

    private static void addTails(Matrix w, float[] x, int xOff, float[] y, int yOff, int rowStart, int rowEnd,
                                 int bound) {
        if (bound < w.cols()) {
            for (int r = rowStart; r < rowEnd; r++) {
                y[yOff + r] += tail(w, r, x, xOff, bound);
            }
        }
    }

    private static float maxAbs(float[] x, int off, int n) {
        float m = 0;
        for (int i = off; i < off + n; i++) {
            m = Math.max(m, Math.abs(x[i]));
        }
        return m;
    }

    /** Row r's columns from {@code from} on, scalar (only for widths that are not a multiple of the step). */
    private static float tail(Matrix w, int r, float[] x, int xOff, int from) {
        int cols = w.cols();
        long base = (long) r * cols;
        float s = 0;
        for (int c = from; c < cols; c++) {
            s += WeightReader.get(w.data(), w.dtype(), base + c) * x[xOff + c];
        }
        return s;
    }

    /**
     * Copies x[xOff .. xOff + bound) times {@code scale} (a power of two) into a per-thread buffer so that each
     * block of PAIR_STEP values holds the even-indexed ones first, then the odd-indexed ones: the order in which
     * pair loads deliver weights.
     */
    private static float[] permute(float[] x, int xOff, int bound, float scale) {
        float[] xp = grown(PERMUTED.get(), bound);
        for (int c = 0; c < bound; c += PAIR_STEP) {
            for (int j = 0; j < HALF_LANES; j++) {
                xp[c + j] = x[xOff + c + 2 * j] * scale;
                xp[c + HALF_LANES + j] = x[xOff + c + 2 * j + 1] * scale;
            }
        }
        return xp;
    }

    private static float[] scratch(int n) {
        return grown(ROW.get(), n);
    }

    /** holder[0], replaced by a larger array first if it is shorter than n. */
    private static float[] grown(float[][] holder, int n) {
        if (holder[0].length < n) {
            holder[0] = new float[Math.max(n, 2 * holder[0].length)];
        }
        return holder[0];
    }
}
