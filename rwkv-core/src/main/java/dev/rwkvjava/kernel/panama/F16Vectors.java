package dev.rwkvjava.kernel.panama;

import static dev.rwkvjava.kernel.panama.MatVec.HALF_LANES;
import static dev.rwkvjava.kernel.panama.MatVec.IH;
import static dev.rwkvjava.kernel.panama.MatVec.FH;
import static dev.rwkvjava.kernel.panama.MatVec.LE;
import static dev.rwkvjava.kernel.panama.MatVec.PAIR_STEP;
import static dev.rwkvjava.kernel.panama.MatVec.addTails;
import static dev.rwkvjava.kernel.panama.MatVec.maxAbs;
import static dev.rwkvjava.kernel.panama.MatVec.permute;
import static dev.rwkvjava.kernel.panama.MatVec.scratch;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.LSHL;

import dev.rwkvjava.tensor.F16Type;
import dev.rwkvjava.tensor.Matrix;
import dev.rwkvjava.tensor.SparseHalves;
import dev.rwkvjava.tensor.WeightReader;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** The Vector API kernels of {@link F16Type} weights: pairs of halves read raised (see HalfFloats). */
final class F16Vectors extends WeightVectors {

    @Override
    void matVec(Matrix w, float[] x, int xOff, float[] y, int yOff, int rowStart, int rowEnd) {
        f16(w, x, xOff, y, yOff, rowStart, rowEnd);
    }

    @Override
    void toFloats(MemorySegment data, long offset, float[] out, int outOff, int n) {
        f16ToFloats(data, offset, out, outOff, n);
    }

    /*
     * F16 pairs are read raised (see HalfFloats): each weight with a non-zero exponent field as its value times
     * 2^-80, against x·2^64 (in the permuted copy), and each row's sum is multiplied by 2^16. Powers of two, so
     * every product and partial sum is the exact one scaled. The halves whose exponent field is zero (zeros and
     * subnormals, a fraction of a percent of trained weights) read as wrong but known values: the matrix lists
     * where they are (scanned once, see F16Type.zeroExponentHalves), and each row's sum then gets their errors
     * times x added. A matrix with an infinite or NaN half, or with too many zero-exponent halves to list, is
     * converted row by row instead, as is every matrix when |x| is too large to scale or x holds a NaN.
     */
    private static void f16(Matrix w, float[] x, int xOff, float[] y, int yOff, int rowStart, int rowEnd) {
        int cols = w.cols();
        int bound = cols - cols % PAIR_STEP;
        SparseHalves zeroExponent = F16Type.hasNonFiniteHalves(w) ? null : F16Type.zeroExponentHalves(w);
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
     * side, four sequential streams that share each load of x (F32Vectors takes two halves): the decoding takes
     * several operations per loaded vector, and while those wait on their load they fill the core's scheduler, so
     * that a step's loads alone do not keep enough lines in flight; two more streams do, with AVX-512 and AVX2
     * alike, for short rows and long ones. A range that four does not divide has overlapping
     * quarters (a few rows computed twice, with the same sums); one of fewer than four rows, each of its rows up to
     * four times.
     *
     * <p>Half a line of each row per step: the step's operations are written out in the loop, the decoding
     * included (see BF16Vectors.bf16Pairs for why), and longer steps would take C2 past its node budget. Each step also reads
     * one byte {@link #AHEAD} bytes further along each stream: a plain load on which nothing waits, which starts
     * the line's transfer early (the BF16 loop, with fewer operations per load, gains nothing from it).
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
        // Where each row's touching starts, capped so that the row's last touch (under 2 * bound bytes further)
        // stays inside the segment: near its end the touches fall on bytes already read, which costs nothing.
        // Capped once per row, not per touch: fewer operations per step, which this loop is bound by.
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
            // The row sums, each in lane order and read lane by lane (see WeightVectors), computed here: C2
            // declines to inline a call per row here, and the call costs bandwidth.
            FloatVector v0 = e0.lanewise(VectorOperators.ADD, o0);
            FloatVector v1 = e1.lanewise(VectorOperators.ADD, o1);
            FloatVector v2 = e2.lanewise(VectorOperators.ADD, o2);
            FloatVector v3 = e3.lanewise(VectorOperators.ADD, o3);
            float s0 = v0.lane(0) + v0.lane(1) + v0.lane(2) + v0.lane(3);
            float s1 = v1.lane(0) + v1.lane(1) + v1.lane(2) + v1.lane(3);
            float s2 = v2.lane(0) + v2.lane(1) + v2.lane(2) + v2.lane(3);
            float s3 = v3.lane(0) + v3.lane(1) + v3.lane(2) + v3.lane(3);
            if (HALF_LANES == 8) {
                s0 = s0 + v0.lane(4) + v0.lane(5) + v0.lane(6) + v0.lane(7);
                s1 = s1 + v1.lane(4) + v1.lane(5) + v1.lane(6) + v1.lane(7);
                s2 = s2 + v2.lane(4) + v2.lane(5) + v2.lane(6) + v2.lane(7);
                s3 = s3 + v3.lane(4) + v3.lane(5) + v3.lane(6) + v3.lane(7);
            }
            y[yOff + rowStart + r] = s0 * F16_SUM_SCALE;
            y[yOff + r1 + r] = s1 * F16_SUM_SCALE;
            y[yOff + r2 + r] = s2 * F16_SUM_SCALE;
            y[yOff + r3 + r] = s3 * F16_SUM_SCALE;
        }
        touchSink = touched;
        MatVec.faultable(data);
    }

    /** How far ahead of the F16 loop's loads it touches each row (not critical: a wide range works alike). */
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
            f16ToFloats(w.data(), w.rowOffset(r), row, 0, bound);
            float s = 0;
            for (int c = 0; c < bound; c++) {
                s += row[c] * x[xOff + c];
            }
            y[yOff + r] = s;
        }
    }

    /**
     * F16 one element at a time through Float.float16ToFloat, which C2 compiles to the CPU's conversion
     * instruction and vectorises (a few hundredths of a nanosecond per element): exact for every half, and never
     * a subnormal float on the way.
     */
    private static int f16ToFloats(MemorySegment data, long offset, float[] out, int outOff, int n) {
        long base = offset;
        for (int i = 0; i < n; i++) {
            out[outOff + i] = Float.float16ToFloat(data.get(WeightReader.I16, base + 2L * i));
        }
        MatVec.faultable(data);
        return n;
    }
}
