package dev.rwkvjava;

import dev.rwkvjava.model.RwkvVersion;

import java.nio.file.Path;
import java.util.Map;

/**
 * What a loaded model is.
 *
 * @param format         the weights file format, e.g. "safetensors", "GGUF"
 * @param naming         the tensor naming family, e.g. "blinkdl", "huggingface", "fla", "llama.cpp"
 * @param dtypes         number of tensors per stored element type, e.g. {F32=52}
 * @param parameterCount total number of stored values
 */
public record ModelInfo(Path path, String format, RwkvVersion version, String naming, int nEmbd, int nLayer, int heads, int headSize,
                        int vocabSize, int ffnSize, Map<String, Integer> dtypes, long parameterCount, long fileSize,
                        String kernels, int threads) {
}
