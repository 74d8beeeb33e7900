package dev.rwkvjava.kernel.panama;

import dev.rwkvjava.kernel.KernelChecks;
import dev.rwkvjava.kernel.Kernels;
import dev.rwkvjava.tensor.BF16Type;
import dev.rwkvjava.tensor.Matrix;

/**
 * Kernels on the Java Vector API ({@code jdk.incubator.vector}). Loaded reflectively by
 * {@link dev.rwkvjava.kernel.KernelProvider} only when that module is present; nothing outside this package
 * refers to a vector type.
 *
 * <p>The vector width is the CPU's preferred one, or {@code -Drwkv.vectorBitSize=128|256|512} (narrower widths
 * exist for testing). FMA follows HotSpot's {@code UseFMA} unless {@code -Drwkv.useFMA=true|false} says otherwise.
 * The work is split by concern: {@link WeightVectors} (per weight type: decode products and decoding, with
 * {@link MatVec}'s shared parts), {@link MatMat} (prefill), {@link FewRows} (BF16 decode batches),
 * {@link Elementwise} (the rest), {@link Recurrence} (the RWKV-5/6 and 7 head states), {@link HalfFloats} (F16/BF16
 * bit tricks).
 */
public final class PanamaKernels implements Kernels {
    private final String name;
    /**
     * BF16 products of up to this many activation rows (decode batches) go to {@link FewRows}, which is faster than
     * MatMat's decoding to floats for few rows and about as fast at this many (see the README's Serving section).
     */
    private static final int FEW_ROWS = 16;

    /** Initializes the vector constants now, so that an unusable Vector API fails here and not mid-inference. */
    public PanamaKernels() {
        name = "panama-" + PanamaConstants.BITS + (PanamaConstants.FMA ? " (FMA)" : " (no FMA)");
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public float sumForBandwidth(java.lang.foreign.MemorySegment data, long from, long to) {
        return ReadBandwidth.sum(data, from, to);
    }

    @Override
    public void matVec(Matrix w, float[] x, int xOff, float[] y, int yOff, int rowStart, int rowEnd) {
        KernelChecks.matVec(w, x, xOff, y, yOff, rowStart, rowEnd);
        WeightVectors.of(w.type()).matVec(w, x, xOff, y, yOff, rowStart, rowEnd);
    }

    @Override
    public void matMat(Matrix w, float[] x, int xOff, int xStride, int n,
                       float[] y, int yOff, int yStride, int rowStart, int rowEnd, float[] scratch) {
        KernelChecks.rows(w, rowStart, rowEnd);
        if (n <= 0) {
            return;
        }
        KernelChecks.matMat(w, x, xOff, xStride, n, y, yOff, yStride, rowStart, rowEnd, scratch);
        if (n <= FEW_ROWS && w.type() instanceof BF16Type) {
            FewRows.bf16(w, x, xOff, xStride, n, y, yOff, yStride, rowStart, rowEnd);
            return;
        }
        MatMat.matMat(w, x, xOff, xStride, n, y, yOff, yStride, rowStart, rowEnd, scratch);
    }

    @Override
    public int matMatScratchSize(int cols) {
        return MatMat.scratchSize(cols);
    }

    @Override
    public void readRow(Matrix w, int r, float[] out, int outOff) {
        KernelChecks.rows(w, r, r + 1);
        KernelChecks.range(out, outOff, w.cols(), "out");
        WeightVectors.of(w.type()).toFloats(w.data(), w.rowOffset(r), out, outOff, w.cols());
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        return Elementwise.dot(a, aOff, b, bOff, n);
    }

    @Override
    public void layerNorm(float[] x, int xOff, float[] weight, float[] bias, float eps, float[] out, int outOff, int n) {
        Elementwise.layerNorm(x, xOff, weight, bias, eps, out, outOff, n);
    }

    @Override
    public void groupNorm(float[] x, int xOff, int groups, float[] weight, float[] bias, float eps,
                          float[] out, int outOff, int n) {
        Elementwise.groupNorm(x, xOff, groups, weight, bias, eps, out, outOff, n);
    }

    @Override
    public void lerp(float[] a, int aOff, float[] b, int bOff, float[] t, float[] out, int outOff, int n) {
        Elementwise.lerp(a, aOff, b, bOff, t, out, outOff, n);
    }

    @Override
    public void mul(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        Elementwise.mul(a, aOff, b, bOff, out, outOff, n);
    }

    @Override
    public void addInPlace(float[] a, int aOff, float[] b, int bOff, int n) {
        Elementwise.addInPlace(a, aOff, b, bOff, n);
    }

    @Override
    public void sigmoidInPlace(float[] x, int off, int n) {
        Elementwise.sigmoidInPlace(x, off, n);
    }

    @Override
    public void expInPlace(float[] x, int off, int n, float scale) {
        Elementwise.expInPlace(x, off, n, scale);
    }

    @Override
    public void reluSquareInPlace(float[] x, int off, int n) {
        Elementwise.reluSquareInPlace(x, off, n);
    }

    @Override
    public void wkv5(float[] r, float[] k, float[] v, int rkvOff, float[] decay, int decayOff, float[] bonus,
                     float[] state, int stateOff, float[] out, int outOff, int heads, int headSize) {
        Recurrence.wkv5(r, k, v, rkvOff, decay, decayOff, bonus, state, stateOff, out, outOff, heads, headSize);
    }

    @Override
    public void wkv7(float[] state, int sOff, float[] r, float[] w, float[] k, float[] v, float[] kk, float[] b,
                     int off, float[] out, int outOff, int n) {
        Recurrence.wkv7(state, sOff, r, w, k, v, kk, b, off, out, outOff, n);
    }

    @Override
    public void wkv4(float[] k, float[] v, int kvOff, float[] u, float[] w,
                     float[] state, int aaOff, int bbOff, int ppOff, float[] out, int outOff, int n) {
        Elementwise.wkv4(k, v, kvOff, u, w, state, aaOff, bbOff, ppOff, out, outOff, n);
    }
}
