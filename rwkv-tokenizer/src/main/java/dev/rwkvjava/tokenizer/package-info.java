/**
 * Tokenizers for RWKV models, independent of the inference engine.
 *
 * <ul>
 * <li>{@link dev.rwkvjava.tokenizer.Tokenizer}: encode text or bytes, decode ids to bytes or text, and a
 * {@link dev.rwkvjava.tokenizer.StreamingDecoder} for token-by-token output.</li>
 * <li>{@link dev.rwkvjava.tokenizer.Tokenizers}: load a tokenizer file, or pick the right one for a model.</li>
 * <li>{@link dev.rwkvjava.tokenizer.world.WorldTokenizer}: RWKV World ({@code rwkv_vocab_v20230424.txt}).</li>
 * <li>{@link dev.rwkvjava.tokenizer.bpe.BpeTokenizer}: Hugging Face {@code tokenizer.json} byte-level BPE
 * (GPT-NeoX-20B of the RWKV-4 Pile models).</li>
 * <li>{@link dev.rwkvjava.tokenizer.ByteTokenizer}: vocabulary-256 models.</li>
 * </ul>
 */
package dev.rwkvjava.tokenizer;
