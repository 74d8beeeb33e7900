/**
 * Tokenizers for RWKV models: the RWKV World vocabulary, Hugging Face byte-level BPE ({@code tokenizer.json}) and
 * raw bytes, behind one {@link dev.rwkvjava.tokenizer.Tokenizer} interface.
 */
// fastutil is an automatic module (no descriptor).
@SuppressWarnings("requires-automatic")
module dev.rwkvjava.tokenizer {
    requires com.fasterxml.jackson.databind;
    requires it.unimi.dsi.fastutil;

    exports dev.rwkvjava.tokenizer;
    exports dev.rwkvjava.tokenizer.bpe;
    exports dev.rwkvjava.tokenizer.world;
    // tokenizer.internal (the token table the tokenizers share) stays inside.
}
