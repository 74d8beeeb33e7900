package dev.rwkvjava.kernel.panama;

import static dev.rwkvjava.kernel.panama.MatVec.FH;
import static dev.rwkvjava.kernel.panama.MatVec.HALF_LANES;
import static dev.rwkvjava.kernel.panama.MatVec.IH;
import static dev.rwkvjava.kernel.panama.MatVec.LE;
import static dev.rwkvjava.kernel.panama.MatVec.PAIR_STEP;
import static dev.rwkvjava.kernel.panama.MatVec.addTails;
import static dev.rwkvjava.kernel.panama.MatVec.fmaH;
import static dev.rwkvjava.kernel.panama.MatVec.permute;
import static dev.rwkvjava.kernel.panama.PanamaConstants.F;
import static dev.rwkvjava.kernel.panama.PanamaConstants.LANES;

import dev.rwkvjava.tensor.BF16Type;
import dev.rwkvjava.tensor.Matrix;
import dev.rwkvjava.tensor.WeightReader;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

/**
 * The Vector API kernels of {@link BF16Type} weights.
 *
 * <p>One int load carries two weights; the even ones are paired with x's even elements and the odd ones with the
 * odd elements, from a copy of x permuted once per call (see MatVec.permute). Loads of at most 256 bits: on
 * AVX-512 machines they stream BF16 rows faster than 512-bit loads, and on AVX2 it is the native width anyway.
 * Rows are taken as in F32Vectors, with
 * separate even and odd sums. The BF16 and F16 loops differ in their decoding and are written out apart on
 * purpose: one loop for both would carry both decodings and one profile shared by two types.
 */
final class BF16Vectors extends WeightVectors {

    @Override
    void matVec(Matrix w, float[] x, int xOff, float[] y, int yOff, int rowStart, int rowEnd) {
        bf16(w, x, xOff, y, yOff, rowStart, rowEnd);
    }

    @Override
    void toFloats(MemorySegment data, long offset, float[] out, int outOff, int n) {
        // One method per width: a loop that the other width's calls leave cold would be compiled with its helper
        // calls left out of line, boxing a vector per step.
        int done = PanamaConstants.BITS >= 256 ? bf16ToFloats(data, offset, out, outOff, n)
                : bf16ToFloatsScalar(data, offset, out, outOff, n);
        BF16Type.INSTANCE.decode(data, offset + 2L * done, out, outOff + done, n - done);
    }

    private static void bf16(Matrix w, float[] x, int xOff, float[] y, int yOff, int rowStart, int rowEnd) {
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
     * The two halves of {@link F32Vectors} for BF16, a whole cache line of each row per step (as the F32 loop
     * reads): half a line per step leaves read bandwidth unused on Intel server cores, with 256-bit vectors and
     * with AVX2 alone alike.
     *
     * <p>The decoding is written out in the loop (a shift for the even elements, a mask for the odd ones), not
     * called: once other kernels' code has grown the profiles C2 parses, it refuses to inline small helpers of
     * ours past its node count (it never refuses the Vector API's own methods, only delays them), and each refused
     * helper boxes its vectors. Seen with 128-bit vectors after the full test suite.
     */
    private static void bf16Pairs(MemorySegment data, long b0, long b1, long rowBytes, float[] xp, int bound,
                                  float[] y, int y0, int y1, int count) {
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
            // Each row's sum in lane order, read lane by lane (see WeightVectors).
            FloatVector v0 = e0.lanewise(VectorOperators.ADD, o0);
            FloatVector v1 = e1.lanewise(VectorOperators.ADD, o1);
            float s0 = v0.lane(0) + v0.lane(1) + v0.lane(2) + v0.lane(3);
            float s1 = v1.lane(0) + v1.lane(1) + v1.lane(2) + v1.lane(3);
            if (HALF_LANES == 8) {
                s0 = s0 + v0.lane(4) + v0.lane(5) + v0.lane(6) + v0.lane(7);
                s1 = s1 + v1.lane(4) + v1.lane(5) + v1.lane(6) + v1.lane(7);
            }
            y[y0 + r] = s0;
            y[y1 + r] = s1;
        }
        MatVec.faultable(data);
    }


    /** BF16 through {@link HalfFloats#loadWidened}: at 256 bits and more, where its half-width short vectors compile. */
    private static int bf16ToFloats(MemorySegment data, long offset, float[] out, int outOff, int n) {
        int bound = F.loopBound(n);
        long base = offset;
        for (int i = 0; i < bound; i += LANES) {
            HalfFloats.loadWidened(data, base + 2L * i).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()
                    .intoArray(out, outOff + i);
        }
        MatVec.faultable(data);
        return bound;
    }

    /**
     * BF16 one element at a time, for 128-bit vectors: loadWidened's would be 64-bit short vectors, which C2 does not
     * compile on x86 without AVX (every vector would be boxed, allocating on every product). C2 vectorises this loop
     * itself; at 256 bits and more it is slower than the widened loads, hence the split.
     */
    private static int bf16ToFloatsScalar(MemorySegment data, long offset, float[] out, int outOff, int n) {
        long base = offset;
        for (int i = 0; i < n; i++) {
            out[outOff + i] = Float.intBitsToFloat(data.get(WeightReader.I16, base + 2L * i) << 16);
        }
        return n;
    }
}
