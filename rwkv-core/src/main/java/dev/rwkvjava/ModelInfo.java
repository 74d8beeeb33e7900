package dev.rwkvjava;

import dev.rwkvjava.model.Naming;
import dev.rwkvjava.model.RwkvVersion;

import java.nio.file.Path;
import java.util.Map;

/**
 * What a loaded model is.
 *
 * @param dtypes         number of tensors per stored element type, e.g. {F32=52}
 * @param parameterCount total number of stored values
 */
public record ModelInfo(Path path, RwkvVersion version, Naming naming, int nEmbd, int nLayer, int heads, int headSize,
                        int vocabSize, int ffnSize, Map<String, Integer> dtypes, long parameterCount, long fileSize,
                        String kernels, int threads) {
}
