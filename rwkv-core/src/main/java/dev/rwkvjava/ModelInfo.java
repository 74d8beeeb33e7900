package dev.rwkvjava;


import java.nio.file.Path;
import java.util.Map;

/**
 * What a loaded model is.
 *
 * @param path           the weights file (the first shard of a sharded checkpoint)
 * @param format         the weights file format, e.g. "safetensors", "GGUF"
 * @param version        the RWKV architecture generation
 * @param naming         the tensor naming family, e.g. "blinkdl", "huggingface", "fla", "llama.cpp"
 * @param nEmbd          the embedding (residual stream) width
 * @param nLayer         the number of layers
 * @param heads          attention heads per layer (1 for RWKV-4)
 * @param headSize       channels per head
 * @param vocabSize      the number of logits per token
 * @param ffnSize        the hidden width of the channel mix
 * @param dtypes         number of the file's tensors per element type as the model holds them, in the order of the
 *                       types' names, e.g. {F32=52}, or {F32=30, Q8_0=22} after quantization on load
 * @param parameterCount total number of stored values
 * @param fileSize       bytes of the weights file or files
 * @param kernels        the name of the kernels the model runs on (Vector API or scalar)
 * @param threads        the worker threads of the matrix products
 * @param quantization   the lower-case name of the weight type the matrices were converted to on load (see
 *                       {@link RwkvModel.Options#withQuantize(String)}), or null
 * @param quantizationHead the lower-case name of the type the head was converted to on load, or null
 * @param quantized      tensors converted on load
 * @param keptForShape   tensors the quantization covers that kept their stored type (rows not whole blocks)
 * @param streamedBytes  bytes of the weights, as held, that one token reads: every matrix but the per-token
 *                       tables (embedding, DeepEmbed's s_emb)
 */
public record ModelInfo(Path path, String format, RwkvVersion version, String naming, int nEmbd, int nLayer, int heads, int headSize,
                        int vocabSize, int ffnSize, Map<String, Integer> dtypes, long parameterCount, long fileSize,
                        String kernels, int threads, String quantization, String quantizationHead, int quantized, int keptForShape,
                        long streamedBytes) {
}
