/**
 * Hugging Face {@code tokenizer.json} byte-level BPE: added tokens, Unicode normalization, the GPT-2
 * pre-tokenizer, merges by rank, ByteLevel decoding.
 */
package dev.rwkvjava.tokenizer.bpe;
