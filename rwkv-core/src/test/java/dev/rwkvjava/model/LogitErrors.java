package dev.rwkvjava.model;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.state.State;
import dev.rwkvjava.testutil.ReferenceCase;
import dev.rwkvjava.testutil.TestData;

import java.util.List;

/**
 * How far a model's logits are from a reference folder's on the same tokens: the largest absolute difference,
 * and the Kullback-Leibler divergence KL(reference ‖ model) of the next-token distributions (natural log), mean
 * and largest over the compared rows. Each case is fed in sequence mode from its initial state.
 */
record LogitErrors(double maxAbs, double klMean, double klMax, int rows, boolean allFinite) {

    /** Errors of {@code model} on {@code cases} of {@code referenceFolder} (e.g. {@code reference/tiny-rwkv-4v0-660K.f32}). */
    static LogitErrors of(RwkvModel model, String referenceFolder, List<String> cases) {
        double maxAbs = 0;
        double klSum = 0;
        double klMax = 0;
        int rows = 0;
        boolean finite = true;
        int v = model.vocabSize();
        for (String name : cases) {
            ReferenceCase ref = ReferenceCase.read(TestData.file(referenceFolder + "/" + name + ".safetensors"));
            State s = model.newState();
            for (int i = 0; i < ref.initState().size(); i++) {
                s.setTensor(i, ref.initState().get(i));
            }
            float[] all = model.forwardAll(ref.tokens(), s);
            for (float x : all) {
                finite &= Float.isFinite(x);
            }
            for (int i = 0; i < ref.positions().length; i++) {
                float[] expected = ref.logits()[i];
                int off = ref.positions()[i] * v;
                for (int j = 0; j < v; j++) {
                    maxAbs = Math.max(maxAbs, Math.abs((double) all[off + j] - expected[j]));
                }
                double kl = kl(expected, all, off, v);
                klSum += kl;
                klMax = Math.max(klMax, kl);
                rows++;
            }
        }
        return new LogitErrors(maxAbs, klSum / rows, klMax, rows, finite);
    }

    /** KL(softmax(p) ‖ softmax(q[off, off + n))), in double. */
    static double kl(float[] p, float[] q, int off, int n) {
        double pMax = Double.NEGATIVE_INFINITY;
        double qMax = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            pMax = Math.max(pMax, p[j]);
            qMax = Math.max(qMax, q[off + j]);
        }
        double pSum = 0;
        double qSum = 0;
        for (int j = 0; j < n; j++) {
            pSum += Math.exp(p[j] - pMax);
            qSum += Math.exp(q[off + j] - qMax);
        }
        double pLog = pMax + Math.log(pSum);
        double qLog = qMax + Math.log(qSum);
        double kl = 0;
        for (int j = 0; j < n; j++) {
            double lp = p[j] - pLog;
            double lq = q[off + j] - qLog;
            kl += Math.exp(lp) * (lp - lq);
        }
        return Math.max(0, kl);
    }
}
