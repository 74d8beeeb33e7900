package dev.rwkvjava.model.naming;

import dev.rwkvjava.io.ModelFormat;
import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.io.TensorStore;

import java.util.List;

/**
 * A naming family: how one kind of checkpoint names and lays out the tensors of an RWKV model. Each family maps a
 * file's tensors onto the canonical BlinkDL tensors (names and shapes as the official {@code model.py} loads them);
 * the loader sees only canonical tensors. The family of a file is decided here and nowhere else.
 */
public sealed interface NamingFamily
        permits BlinkDlNaming, HuggingFaceNaming, FlaNaming, LlamaCppNaming, RwkvCppNaming {

    /** A short name for messages and {@code info}: "blinkdl", "huggingface", "fla", "llama.cpp", "rwkv.cpp". */
    String label();

    /**
     * The canonical tensors of a store of this family. Tensors the family does not use (a converter's dummies,
     * unrelated extras) are left out.
     *
     * @throws dev.rwkvjava.ModelFileException when the file cannot be of this family after all
     */
    List<CanonicalTensor> canonical(TensorStore store);

    /**
     * Every how many layers the forward pass halves the residual stream, for files whose converter divided each
     * layer's output projections by 2^(layer / n) so that half-precision activations cannot overflow (llama.cpp's
     * RWKV-6 conversions); 0 for files holding the trained weights as they are.
     */
    default int rescaleEvery(TensorStore store) {
        return 0;
    }

    /** The family of a store: by its format where the format implies one, else by its tensor names. */
    static NamingFamily of(TensorStore store) {
        if (store.format() == ModelFormat.GGUF) {
            return LlamaCppNaming.INSTANCE;
        }
        if (store.format() == ModelFormat.RWKV_CPP) {
            return RwkvCppNaming.INSTANCE;
        }
        boolean hf = false;
        boolean fla = false;
        for (TensorInfo t : store.tensors()) {
            hf |= t.name().startsWith("rwkv.");
            fla |= t.name().startsWith("model.layers.") || t.name().equals("model.embeddings.weight");
        }
        return hf ? HuggingFaceNaming.INSTANCE : fla ? FlaNaming.INSTANCE : BlinkDlNaming.INSTANCE;
    }
}
