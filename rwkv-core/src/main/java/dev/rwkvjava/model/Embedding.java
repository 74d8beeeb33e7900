package dev.rwkvjava.model;

import dev.rwkvjava.kernel.Kernels;
import dev.rwkvjava.tensor.Matrix;

/** Token embedding followed by layer 0's ln0, as every RWKV version begins. */
public final class Embedding {
    private final Matrix table;
    private final LayerNorm ln0;
    private final float eps;

    public Embedding(ModelTensors t, int vocab, int c, float eps) {
        this.table = t.matrix("emb.weight", vocab, c);
        this.ln0 = LayerNorm.load(t, "blocks.0.ln0", c);
        this.eps = eps;
    }

    public Matrix table() {
        return table;
    }

    /** Writes LN0(emb[token]) into {@code out[off .. off+C)}. */
    public void lookup(Kernels k, int token, float[] out, int off) {
        table.row(token, out, off);
        k.layerNorm(out, off, ln0.weight(), ln0.bias(), eps, out, off, table.cols());
    }
}
