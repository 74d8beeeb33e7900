package dev.rwkvjava.model.v7;

import dev.rwkvjava.kernel.Kernels;
import dev.rwkvjava.model.ModelConfig;
import dev.rwkvjava.model.ModelTensors;
import dev.rwkvjava.model.Projections;

import dev.rwkvjava.tensor.Matrix;

import java.util.Arrays;

/**
 * The FFN gate of RWKV-7 DeepEmbed, the only part in which it differs from RWKV-7. The squared-ReLU hidden
 * vector of a token with id t is multiplied, channel by channel, by
 * <pre>
 *   gate = s2ᵀ (Mᵀ (s1ᵀ x)) + s0,    M = E_t viewed as R × R (row-major),    E_t = s_emb[t] + s_emb_x · e_t
 * </pre>
 * where x is the token's FFN input (the ln2 output) and e_t its embedding after ln0. E_t is formed per token
 * rather than folding s_emb_x into the table at load, which would copy V × R² floats per layer.
 */
final class DeepEmbedGate {
    private static final int R = V7Schema.DEEPEMBED_RANK;
    private static final int RR = R * R;

    /**
     * One layer's gate: {@code table} s_emb [V, R²] and {@code fromEmb} s_emb_x [R², C] read in place;
     * {@code down} = s1ᵀ [R, C] and {@code up} = s2ᵀ [F, R] transposed on the heap; {@code bias} s0 [F].
     */
    record Weights(Matrix table, Matrix fromEmb, Matrix down, Matrix up, float[] bias) {
        static Weights load(ModelTensors t, int layer, ModelConfig cfg) {
            String p = "blocks." + layer + ".ffn.";
            int c = cfg.nEmbd();
            int f = cfg.ffnSize();
            return new Weights(t.matrix(p + "s_emb.weight", cfg.vocabSize(), RR), t.matrix(p + "s_emb_x.weight", RR, c),
                    t.transposedMatrix(p + "s1", c, R), t.transposedMatrix(p + "s2", R, f),
                    t.vector(p + "s0", f));
        }
    }

    private final Kernels k;
    private final int f;
    // Scratch for a chunk: embeddings [T, C], token matrices [T, R²], s1ᵀx and Mᵀ(s1ᵀx) [T, R], gates [T, F].
    private final float[] emb, matrices, y, u, gate, tableRow;

    DeepEmbedGate(ModelConfig cfg, Kernels kernels, int maxChunk) {
        this.k = kernels;
        this.f = cfg.ffnSize();
        emb = new float[maxChunk * cfg.nEmbd()];
        matrices = new float[maxChunk * RR];
        y = new float[maxChunk * R];
        u = new float[maxChunk * R];
        gate = new float[maxChunk * f];
        tableRow = new float[RR];
    }

    /** Keeps the chunk's embeddings e_t (the input of block 0, rows [0, n) of x). */
    void keepEmbeddings(float[] x, int n, int c) {
        System.arraycopy(x, 0, emb, 0, n * c);
    }

    /** Queues the products that need only the FFN input x [T, C]: s_emb_x · e_t and s1ᵀ x. */
    void queue(Weights w, Projections p, float[] x) {
        p.add(w.fromEmb(), emb, matrices).add(w.down(), x, y);
    }

    /** Once the queued products ran: multiplies hidden [T, F] by the gate of each token {@code tokens[off + t]}. */
    void apply(Weights w, Projections p, int[] tokens, int off, int n, float[] hidden) {
        for (int t = 0; t < n; t++) {
            w.table().row(tokens[off + t], tableRow, 0);
            k.addInPlace(matrices, t * RR, tableRow, 0, RR);
            int m = t * RR;
            int o = t * R;
            Arrays.fill(u, o, o + R, 0f);
            for (int a = 0; a < R; a++) {
                float ya = y[o + a];
                for (int b = 0; b < R; b++) {
                    u[o + b] += ya * matrices[m + a * R + b];
                }
            }
        }
        p.add(w.up(), u, gate).run(n);
        for (int t = 0; t < n; t++) {
            k.addInPlace(gate, t * f, w.bias(), 0, f);
        }
        k.mul(hidden, 0, gate, 0, hidden, 0, n * f);
    }
}
