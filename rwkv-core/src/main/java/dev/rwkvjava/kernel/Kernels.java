package dev.rwkvjava.kernel;

import dev.rwkvjava.tensor.Matrix;

/**
 * The numeric primitives the forward passes are made of. Every method works on a range given by offsets and
 * lengths, single-threaded; {@link WorkerPool} splits the large products across threads.
 *
 * <p>Two implementations exist: {@link ScalarKernels} (plain Java, always available, the reference) and a
 * Vector API one in {@code kernel.panama}, loaded by {@link KernelProvider} only when {@code jdk.incubator.vector}
 * is present. Weights are read in place (F32, F16 or BF16); everything else is float32.
 */
public interface Kernels {

    /** A short name for logs: "scalar", "panama-256", ... */
    String name();

    /** {@code y[yOff + r] = W[r, :] · x[xOff .. xOff + cols)} for r in [rowStart, rowEnd). */
    void matVec(Matrix w, float[] x, int xOff, float[] y, int yOff, int rowStart, int rowEnd);

    /**
     * Matrix × matrix for a chunk of n activation rows: for t in [0, n) and r in [rowStart, rowEnd),
     * {@code y[yOff + t*yStride + r] = W[r, :] · x[xOff + t*xStride ..]}. Each weight row is read once per call,
     * not once per activation row.
     *
     * @param scratch at least {@link #matMatScratchSize(int)} floats, private to the calling thread
     */
    void matMat(Matrix w, float[] x, int xOff, int xStride, int n,
                float[] y, int yOff, int yStride, int rowStart, int rowEnd, float[] scratch);

    /** Converts row r of w to floats into {@code out[outOff .. outOff + w.cols())} (e.g. an embedding lookup). */
    void readRow(Matrix w, int r, float[] out, int outOff);

    /**
     * Floats of scratch that {@link #matMat} wants for a matrix with {@code cols} columns (it works with as few as
     * {@code cols}, more slowly). Ask the kernels in use: implementations differ.
     */
    default int matMatScratchSize(int cols) {
        return 8 * cols;
    }

    /** Σ a[aOff+i]·b[bOff+i], i in [0, n). */
    float dot(float[] a, int aOff, float[] b, int bOff, int n);

    /** out = (x - mean) / sqrt(var + eps) · weight + bias over n values (weight and bias start at 0). */
    void layerNorm(float[] x, int xOff, float[] weight, float[] bias, float eps, float[] out, int outOff, int n);

    /**
     * Group norm: n values split into {@code groups} equal groups, each normalised on its own, then scaled by
     * weight and shifted by bias (both of length n).
     */
    void groupNorm(float[] x, int xOff, int groups, float[] weight, float[] bias, float eps,
                   float[] out, int outOff, int n);

    /** out = a + (b - a)·t, element-wise over n values (t starts at 0). */
    void lerp(float[] a, int aOff, float[] b, int bOff, float[] t, float[] out, int outOff, int n);

    /** out = a · b element-wise. */
    void mul(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n);

    /** a += b element-wise. */
    void addInPlace(float[] a, int aOff, float[] b, int bOff, int n);

    /** x = 1 / (1 + exp(-x)) in place. */
    void sigmoidInPlace(float[] x, int off, int n);

    /** x = max(x, 0)² in place. */
    void reluSquareInPlace(float[] x, int off, int n);

    /**
     * One RWKV-4 WKV step over n channels with the running-maximum exponent trick. Reads k and v at
     * {@code kvOff}, the bonus u and the log-decay w (already -exp(time_decay)) from 0, and the state triples
     * aa, bb, pp at their offsets in {@code state}; writes the wkv output and updates the state. Every exp is
     * taken of a non-positive difference.
     */
    void wkv4(float[] k, float[] v, int kvOff, float[] u, float[] w,
              float[] state, int aaOff, int bbOff, int ppOff, float[] out, int outOff, int n);
}
