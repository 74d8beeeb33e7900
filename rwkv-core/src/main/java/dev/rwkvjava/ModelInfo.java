package dev.rwkvjava;

import dev.rwkvjava.model.Quantization;

import java.nio.file.Path;
import java.util.Map;

/**
 * What a loaded model is.
 *
 * @param format         the weights file format, e.g. "safetensors", "GGUF"
 * @param naming         the tensor naming family, e.g. "blinkdl", "huggingface", "fla", "llama.cpp"
 * @param dtypes         number of the file's tensors per element type as the model holds them, in the order of the
 *                       types' names, e.g. {F32=52}, or {F32=30, Q8_0=22} after quantization on load
 * @param parameterCount total number of stored values
 * @param quantization   the quantization applied on load, or null
 * @param quantized      tensors converted on load
 * @param keptForShape   tensors the quantization covers that kept their stored type (rows not whole blocks)
 * @param streamedBytes  bytes of the weights, as held, that one token reads: every matrix but the per-token
 *                       tables (embedding, DeepEmbed's s_emb)
 */
public record ModelInfo(Path path, String format, RwkvVersion version, String naming, int nEmbd, int nLayer, int heads, int headSize,
                        int vocabSize, int ffnSize, Map<String, Integer> dtypes, long parameterCount, long fileSize,
                        String kernels, int threads, Quantization quantization, int quantized, int keptForShape,
                        long streamedBytes) {
}
