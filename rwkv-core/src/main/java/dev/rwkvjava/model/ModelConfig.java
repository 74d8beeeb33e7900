package dev.rwkvjava.model;

import dev.rwkvjava.RwkvVersion;

/**
 * Dimensions of a model, read from its tensors.
 *
 * @param heads    number of attention heads (0 for RWKV-4, which has none)
 * @param headSize channels per head (0 for RWKV-4)
 */
public record ModelConfig(RwkvVersion version, int nEmbd, int nLayer, int vocabSize, int ffnSize,
                          int heads, int headSize, float layerNormEps) {
}
