package dev.rwkvjava.model;

import dev.rwkvjava.kernel.Kernels;
import dev.rwkvjava.tensor.Matrix;

/** Final layer norm and the vocabulary projection. */
public final class OutputHead {
    private final LayerNorm lnOut;
    private final Matrix head;
    private final float eps;

    public OutputHead(ModelTensors t, int vocab, int c, float eps) {
        this.lnOut = LayerNorm.load(t, "ln_out", c);
        this.head = t.matrix("head.weight", vocab, c);
        this.eps = eps;
    }

    public Matrix matrix() {
        return head;
    }

    /**
     * Logits for rows [first, first+count) of the hidden states x [*, C]: normalises them into {@code normed}
     * (row-major, from 0) and queues the head product writing {@code logits} rows from {@code logitsOff}.
     */
    public void queue(Kernels k, Projections p, float[] x, int first, int count, float[] normed, float[] logits,
                      int logitsOff) {
        int c = head.cols();
        for (int i = 0; i < count; i++) {
            k.layerNorm(x, (first + i) * c, lnOut.weight(), lnOut.bias(), eps, normed, i * c, c);
        }
        p.add(head, normed, 0, logits, logitsOff, head.rows());
    }
}
