package dev.rwkvjava.model.v4;

import dev.rwkvjava.model.ChannelMix;
import dev.rwkvjava.model.Embedding;
import dev.rwkvjava.model.LayerNorm;
import dev.rwkvjava.model.ModelConfig;
import dev.rwkvjava.model.ModelTensors;
import dev.rwkvjava.model.OutputHead;
import dev.rwkvjava.model.TokenShift;
import dev.rwkvjava.tensor.Matrix;

/** The tensors of an RWKV-4 model, typed and shape-checked; matrices stay in the mapped file. */
record V4Weights(Embedding embedding, Layer[] layers, OutputHead head) {

    /**
     * One block. {@code decay} is already -exp(time_decay), the per-step log-decay the recurrence adds;
     * the time-mix vectors weight the current token (the previous one gets 1 - mix).
     */
    record Layer(LayerNorm ln1,
                 float[] decay, float[] bonus, float[] attMixK, float[] attMixV, float[] attMixR,
                 Matrix attKey, Matrix attValue, Matrix attReceptance, Matrix attOutput,
                 ChannelMix.Weights ffn) {
    }

    static V4Weights load(ModelTensors t, ModelConfig cfg) {
        int c = cfg.nEmbd();
        int f = cfg.ffnSize();
        Layer[] layers = new Layer[cfg.nLayer()];
        for (int i = 0; i < layers.length; i++) {
            String p = "blocks." + i + ".";
            float[] decay = t.vector(p + "att.time_decay", c);
            for (int j = 0; j < c; j++) {
                decay[j] = (float) -Math.exp(decay[j]);
            }
            layers[i] = new Layer(
                    LayerNorm.load(t, p + "ln1", c),
                    decay, t.vector(p + "att.time_first", c),
                    t.vector(p + "att.time_mix_k", c), t.vector(p + "att.time_mix_v", c), t.vector(p + "att.time_mix_r", c),
                    t.matrix(p + "att.key.weight", c, c), t.matrix(p + "att.value.weight", c, c),
                    t.matrix(p + "att.receptance.weight", c, c), t.matrix(p + "att.output.weight", c, c),
                    ChannelMix.Weights.load(t, i, c, f, TokenShift.MIX));
        }
        float eps = cfg.layerNormEps();
        return new V4Weights(new Embedding(t, cfg.vocabSize(), c, eps), layers,
                new OutputHead(t, cfg.vocabSize(), c, eps));
    }
}
