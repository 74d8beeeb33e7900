package dev.rwkvjava.kernel.panama;

import static dev.rwkvjava.kernel.panama.MatVec.LE;
import static dev.rwkvjava.kernel.panama.PanamaConstants.F;
import static dev.rwkvjava.kernel.panama.PanamaConstants.LANES;

import dev.rwkvjava.tensor.F32Type;
import dev.rwkvjava.tensor.Matrix;
import dev.rwkvjava.tensor.WeightReader;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;

/** The Vector API kernels of {@link F32Type} weights. */
final class F32Vectors extends WeightVectors {

    @Override
    void matVec(Matrix w, float[] x, int xOff, float[] y, int yOff, int rowStart, int rowEnd) {
        f32(w, x, xOff, y, yOff, rowStart, rowEnd);
    }

    @Override
    void toFloats(MemorySegment data, long offset, float[] out, int outOff, int n) {
        int done = f32ToFloats(data, offset, out, outOff, n);
        F32Type.INSTANCE.decode(data, offset + 4L * done, out, outOff + done, n - done);
    }

    private static void f32(Matrix w, float[] x, int xOff, float[] y, int yOff, int rowStart, int rowEnd) {
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
     * slow lower tiers, where a later product would then run. One stream (a row at a time) streams as fast while x
     * stays in the L1 cache, but long rows push x out, and then sharing x pays. Adjacent rows taken together are no
     * substitute: each is a short stream that the prefetchers pick up anew every row.
     *
     * <p>The sums are those of {@link MatMat}, operation for operation, so that token mode and sequence mode
     * agree: lane j of an F-wide accumulator sums columns j, j + LANES, ... in order, then one reduction, then the
     * last columns one by one. The accumulator is kept as two half-width chains (lanes below and above LANES / 2):
     * half-width loads keep more loads in flight than one 512-bit chain (the README's speed section has figures).
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
        MatVec.faultable(data);
    }

    /** acc + a · b for the F32 loop, whose vectors are all FS: a call site of its own, as {@link MatVec#fmaH} explains. */
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


    /** s plus the products of columns from {@code from} on, one by one (F32 row at byte b). */
    private static float f32Tail(MemorySegment data, long b, int from, int cols, float[] x, int xOff, float s) {
        for (int c = from; c < cols; c++) {
            s += data.get(WeightReader.F32, b + 4L * c) * x[xOff + c];
        }
        return s;
    }

    /** The whole vectors of {@link #toFloats} for F32; returns how many elements it converted. */
    private static int f32ToFloats(MemorySegment data, long offset, float[] out, int outOff, int n) {
        int bound = F.loopBound(n);
        long base = offset;
        for (int i = 0; i < bound; i += LANES) {
            FloatVector.fromMemorySegment(F, data, base + 4L * i, LE).intoArray(out, outOff + i);
        }
        MatVec.faultable(data);
        return bound;
    }
}
