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
    /** The one state of a chunk of one sequence, in the form {@link #blocks} takes (no allocation per call). */
    private final float[][] chunkState = new float[1][];

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

    /**
     * Runs every block over rows [0, n) of {@link #x}; tokens are there for versions whose blocks need the ids.
     * {@code states} holds one state (the rows are a chunk of one sequence) or n (row t is the next token of the
     * sequence whose state is {@code states[t]}); {@link TokenShift} reads both forms.
     */
    protected abstract void blocks(int[] tokens, int off, int n, float[][] states);

    @Override
    public final void forward(int[] tokens, int off, int n, float[] state, float[] logits, int logitsOff,
                              boolean allRows) {
        int c = cfg.nEmbd();
        for (int t = 0; t < n; t++) {
            embedding.lookup(k, tokens[off + t], x, t * c);
        }
        chunkState[0] = state;
        try {
            blocks(tokens, off, n, chunkState);
        } finally {
            chunkState[0] = null;
        }
        if (logits != null) {
            int first = allRows ? 0 : n - 1;
            int rows = allRows ? n : 1;
            head.queue(k, proj, x, first, rows, headIn, logits, logitsOff);
            proj.run(rows);
        }
    }

    @Override
    public final void forwardBatch(int[] tokens, int n, float[][] states, float[] logits) {
        if (n < 1 || n > maxChunk || states.length != n || tokens.length < n) {
            throw new IllegalArgumentException("a batch of " + n + " rows needs 1.." + maxChunk + " rows, as many "
                    + "states (got " + states.length + ") and tokens (got " + tokens.length + ")");
        }
        int c = cfg.nEmbd();
        for (int t = 0; t < n; t++) {
            embedding.lookup(k, tokens[t], x, t * c);
        }
        blocks(tokens, 0, n, states);
        if (logits != null) {
            head.queue(k, proj, x, 0, n, headIn, logits, 0);
            proj.run(n);
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
