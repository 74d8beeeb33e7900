package dev.rwkvjava.kernel;

import dev.rwkvjava.tensor.Matrix;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

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

    /**
     * The sum of the floats at bytes [from, to) of {@code data} (to − from a multiple of
     * {@link MemoryBandwidth#GRAIN}), read as fast as these kernels read memory, in an unspecified order: what
     * {@link MemoryBandwidth} times. Not used by inference.
     */
    default float sumForBandwidth(MemorySegment data, long from, long to) {
        ValueLayout.OfFloat f = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (long i = from; i < to; i += 16) {
            s0 += data.get(f, i);
            s1 += data.get(f, i + 4);
            s2 += data.get(f, i + 8);
            s3 += data.get(f, i + 12);
        }
        return (s0 + s1) + (s2 + s3);
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

    /** out = a - b element-wise. */
    default void sub(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        KernelDefaults.sub(a, aOff, b, bOff, out, outOff, n);
    }

    /** x = tanh(x) in place. */
    default void tanhInPlace(float[] x, int off, int n) {
        KernelDefaults.tanhInPlace(x, off, n);
    }

    /** x = x·σ(x) (SiLU) in place. */
    default void siluInPlace(float[] x, int off, int n) {
        KernelDefaults.siluInPlace(x, off, n);
    }

    /** x = exp(-exp(x)) in place: the RWKV-5/6 per-step decay from its log-log form. */
    default void expNegExpInPlace(float[] x, int off, int n) {
        KernelDefaults.expNegExpInPlace(x, off, n);
    }

    /**
     * One RWKV-5/6 WKV step for {@code heads} heads of {@code headSize} channels. Per head, with S the state
     * matrix [key i, value j] (row-major at {@code stateOff + h·N²}) and r, k, v, decay, bonus this head's
     * slices: {@code out[j] = Σ_i r[i]·(bonus[i]·k[i]·v[j] + S[i][j])}, then {@code S[i][j] = k[i]·v[j] +
     * decay[i]·S[i][j]}. r, k, v are read at {@code rkvOff}, decay at {@code decayOff}, bonus from 0.
     */
    default void wkv5(float[] r, float[] k, float[] v, int rkvOff, float[] decay, int decayOff, float[] bonus,
                      float[] state, int stateOff, float[] out, int outOff, int heads, int headSize) {
        KernelDefaults.wkv5(r, k, v, rkvOff, decay, decayOff, bonus, state, stateOff, out, outOff, heads, headSize);
    }

    /** x = exp(scale·x) in place. */
    default void expInPlace(float[] x, int off, int n, float scale) {
        for (int i = off; i < off + n; i++) {
            x[i] = (float) Math.exp(scale * x[i]);
        }
    }

    /** x = x / max(‖x‖₂, eps) in place over n values (PyTorch's F.normalize). */
    default void l2Normalize(float[] x, int off, int n, float eps) {
        float norm = Math.max((float) Math.sqrt(dot(x, off, x, off, n)), eps);
        for (int i = off; i < off + n; i++) {
            x[i] /= norm;
        }
    }

    /**
     * One RWKV-7 step of one head with n channels. The head's state S is n × n at {@code sOff}, row i for value
     * channel i, column j for key channel j (the reference's [value, key] order). Reads the receptance r, decay w,
     * key k, value v, normalised key kk and b = kk·a at {@code off}, then
     * <pre>
     *   S = S·diag(w) − (S·kk) bᵀ + v kᵀ,    out[i] = Σ_j S[i][j]·r[j]
     * </pre>
     */
    default void wkv7(float[] state, int sOff, float[] r, float[] w, float[] k, float[] v, float[] kk, float[] b,
                      int off, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            int row = sOff + i * n;
            float sa = -dot(state, row, kk, off, n);
            float vi = v[off + i];
            for (int j = 0; j < n; j++) {
                state[row + j] = state[row + j] * w[off + j] + sa * b[off + j] + vi * k[off + j];
            }
            out[outOff + i] = dot(state, row, r, off, n);
        }
    }

    /**
     * One RWKV-4 WKV step over n channels with the running-maximum exponent trick. Reads k and v at
     * {@code kvOff}, the bonus u and the log-decay w (already -exp(time_decay)) from 0, and the state triples
     * aa, bb, pp at their offsets in {@code state}; writes the wkv output and updates the state. Every exp is
     * taken of a non-positive difference.
     */
    void wkv4(float[] k, float[] v, int kvOff, float[] u, float[] w,
              float[] state, int aaOff, int bbOff, int ppOff, float[] out, int outOff, int n);
}
