package dev.rwkvjava.kernel;

import dev.rwkvjava.tensor.Matrix;
import dev.rwkvjava.tensor.WeightType;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A quick start-up probe: every kernel once on small odd-sized inputs (so vector bodies and scalar tails both
 * run), compared with {@link ScalarKernels}. It catches an incubator API that changed under us (as a
 * {@link LinkageError}) or a kernel that computes nonsense on this JVM, before any model runs. Takes well under a
 * millisecond of kernel time once compiled; in a fresh JVM the cost is class loading and interpreted vector code,
 * so the matrix kernels are checked per weight type ({@link #matrixMismatch}), for the types a model uses.
 */
final class KernelSelfCheck {
    private static final int N = 37;
    private static final int ROWS = 9;
    private static final int TOKENS = 5;
    private static final float TOLERANCE = 1e-4f;

    private KernelSelfCheck() {
    }

    /** Null when candidate agrees with the scalar kernels in every kernel and weight type, else what differed. */
    static String mismatch(Kernels candidate) {
        String m = elementwiseMismatch(candidate);
        for (WeightType type : WeightType.all()) {
            if (m == null) {
                m = matrixMismatch(candidate, type);
            }
        }
        return m;
    }

    /** Null when candidate's kernels other than the matrix ones agree with the scalar kernels, else what differed. */
    static String elementwiseMismatch(Kernels candidate) {
        Kernels ref = new ScalarKernels();
        SplittableRandom rnd = new SplittableRandom(42);
        float[] a = random(rnd, N);
        float[] b = random(rnd, N);
        float[] t = random(rnd, N);
        String m;

        if ((m = compare("dot", new float[] {ref.dot(a, 0, b, 0, N)}, new float[] {candidate.dot(a, 0, b, 0, N)})) != null) {
            return m;
        }
        float[] e = new float[N];
        float[] c = new float[N];
        ref.layerNorm(a, 0, b, t, 1e-5f, e, 0, N);
        candidate.layerNorm(a, 0, b, t, 1e-5f, c, 0, N);
        if ((m = compare("layerNorm", e, c)) != null) {
            return m;
        }
        float[] g = random(rnd, 3 * N);
        float[] gw = random(rnd, 3 * N);
        float[] ge = new float[3 * N];
        float[] gc = new float[3 * N];
        ref.groupNorm(g, 0, 3, gw, gw, 1e-5f, ge, 0, 3 * N);
        candidate.groupNorm(g, 0, 3, gw, gw, 1e-5f, gc, 0, 3 * N);
        if ((m = compare("groupNorm", ge, gc)) != null) {
            return m;
        }
        ref.lerp(a, 0, b, 0, t, e, 0, N);
        candidate.lerp(a, 0, b, 0, t, c, 0, N);
        if ((m = compare("lerp", e, c)) != null) {
            return m;
        }
        ref.mul(a, 0, b, 0, e, 0, N);
        candidate.mul(a, 0, b, 0, c, 0, N);
        if ((m = compare("mul", e, c)) != null) {
            return m;
        }
        e = a.clone();
        c = a.clone();
        ref.addInPlace(e, 0, b, 0, N);
        candidate.addInPlace(c, 0, b, 0, N);
        if ((m = compare("addInPlace", e, c)) != null) {
            return m;
        }
        e = a.clone();
        c = a.clone();
        ref.sigmoidInPlace(e, 0, N);
        candidate.sigmoidInPlace(c, 0, N);
        if ((m = compare("sigmoidInPlace", e, c)) != null) {
            return m;
        }
        e = a.clone();
        c = a.clone();
        ref.reluSquareInPlace(e, 0, N);
        candidate.reluSquareInPlace(c, 0, N);
        if ((m = compare("reluSquareInPlace", e, c)) != null) {
            return m;
        }
        float[] se = new float[3 * N];
        Arrays.fill(se, 2 * N, 3 * N, -1e38f);
        float[] sc = se.clone();
        float[] w = new float[N];
        Arrays.fill(w, -0.5f);
        for (int step = 0; step < 2; step++) {
            ref.wkv4(a, b, 0, t, w, se, 0, N, 2 * N, e, 0, N);
            candidate.wkv4(a, b, 0, t, w, sc, 0, N, 2 * N, c, 0, N);
            if ((m = compare("wkv4", e, c)) != null || (m = compare("wkv4 state", se, sc)) != null) {
                return m;
            }
        }
        return null;
    }

    /** Null when candidate's matVec, matMat and readRow on weights of {@code type} agree with the scalar kernels. */
    static String matrixMismatch(Kernels candidate, WeightType type) {
        SplittableRandom rnd = new SplittableRandom(43 + type.dtype().ordinal());
        return checkMatrix(new ScalarKernels(), candidate, matrix(rnd, type), rnd);
    }

    private static String checkMatrix(Kernels ref, Kernels candidate, Matrix w, SplittableRandom rnd) {
        String m;
        int cols = w.cols();
        float[] x = random(rnd, cols * TOKENS);
        float[] e = new float[ROWS * TOKENS];
        float[] c = new float[ROWS * TOKENS];
        ref.matVec(w, x, 0, e, 0, 0, ROWS);
        candidate.matVec(w, x, 0, c, 0, 0, ROWS);
        if ((m = compare("matVec " + w.dtype(), e, c)) != null) {
            return m;
        }
        ref.matMat(w, x, 0, cols, TOKENS, e, 0, ROWS, 0, ROWS, new float[ref.matMatScratchSize(cols)]);
        candidate.matMat(w, x, 0, cols, TOKENS, c, 0, ROWS, 0, ROWS, new float[candidate.matMatScratchSize(cols)]);
        if ((m = compare("matMat " + w.dtype(), e, c)) != null) {
            return m;
        }
        e = new float[cols];
        c = new float[cols];
        ref.readRow(w, ROWS - 1, e, 0);
        candidate.readRow(w, ROWS - 1, c, 0);
        return compare("readRow " + w.dtype(), e, c);
    }

    /** ROWS rows of random values, N columns (odd, so that vector tails run) or two blocks of a block type. */
    private static Matrix matrix(SplittableRandom rnd, WeightType type) {
        int cols = type.blockElements() == 1 ? N : 2 * type.blockElements();
        return Matrix.of("self-check " + type, type, random(rnd, ROWS * cols), ROWS, cols);
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (2 * rnd.nextDouble() - 1);
        }
        return a;
    }

    /** Values here are of order one, so one absolute-plus-relative tolerance fits all kernels. */
    private static String compare(String what, float[] expected, float[] actual) {
        for (int i = 0; i < expected.length; i++) {
            float d = Math.abs(expected[i] - actual[i]);
            if (!(d <= TOLERANCE * (1 + Math.abs(expected[i])))) {
                return what + " differs at " + i + ": expected " + expected[i] + ", got " + actual[i];
            }
        }
        return null;
    }
}
