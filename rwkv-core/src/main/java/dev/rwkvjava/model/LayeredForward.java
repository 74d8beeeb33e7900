package dev.rwkvjava.model;

import dev.rwkvjava.kernel.Kernels;

/**
 * What every version's forward pass shares: embed the chunk's tokens into the residual stream x [T, C], run the
 * version's blocks over it, then the output head for the rows asked for. Subclasses implement only the blocks.
 */
public abstract class LayeredForward implements ForwardPass {
    protected final ModelConfig cfg;
    protected final Kernels k;
    protected final Projections proj;
    protected final int maxChunk;
    /** The residual stream of the current chunk, row-major [T, C]. */
    protected final float[] x;
    private final float[] headIn;
    private final Embedding embedding;
    private final OutputHead head;

    protected LayeredForward(ModelConfig cfg, Kernels kernels, Projections proj, int maxChunk, Embedding embedding,
                             OutputHead head) {
        this.cfg = cfg;
        this.embedding = embedding;
        this.head = head;
        this.k = kernels;
        this.proj = proj;
        this.maxChunk = maxChunk;
        this.x = new float[maxChunk * cfg.nEmbd()];
        this.headIn = new float[maxChunk * cfg.nEmbd()];
    }

    /** Runs every block over rows [0, n) of {@link #x}; tokens are there for versions whose blocks need the ids. */
    protected abstract void blocks(int[] tokens, int off, int n, float[] state);

    @Override
    public final void forward(int[] tokens, int off, int n, float[] state, float[] logits, int logitsOff,
                              boolean allRows) {
        int c = cfg.nEmbd();
        for (int t = 0; t < n; t++) {
            embedding.lookup(k, tokens[off + t], x, t * c);
        }
        blocks(tokens, off, n, state);
        if (logits != null) {
            int first = allRows ? 0 : n - 1;
            int rows = allRows ? n : 1;
            head.queue(k, proj, x, first, rows, headIn, logits, logitsOff);
            proj.run(rows);
        }
    }

    @Override
    public final ModelConfig config() {
        return cfg;
    }

    @Override
    public final int maxChunk() {
        return maxChunk;
    }

    @Override
    public final long matrixProductNanos() {
        return proj.elapsedNanos();
    }

    @Override
    public void close() {
        // Weights belong to the model's file; nothing else to release.
    }
}
