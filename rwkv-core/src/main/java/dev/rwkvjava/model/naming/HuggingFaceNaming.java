package dev.rwkvjava.model.naming;

import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.io.TensorStore;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hugging Face transformers names ({@code rwkv.embeddings.weight}, {@code rwkv.blocks.N.attention.key.weight},
 * {@code feed_forward.*}, {@code pre_ln}) as the RWKV-4 ({@code RwkvForCausalLM}) and the RWKV-5/6 ("Eagle",
 * "Finch" {@code -HF}) checkpoints use them. Shapes are BlinkDL's; only the names differ.
 */
public final class HuggingFaceNaming implements NamingFamily {
    static final HuggingFaceNaming INSTANCE = new HuggingFaceNaming();

    private static final Pattern BLOCK = Pattern.compile("rwkv\\.blocks\\.(\\d+)\\.(.+)");
    /** Renames within a block, first match wins (RWKV-4's spelled-out time-mix names before the general ones). */
    private static final String[][] BLOCK_RENAMES = {
            {"pre_ln.", "ln0."},
            {"attention.time_mix_key", "att.time_mix_k"},
            {"attention.time_mix_value", "att.time_mix_v"},
            {"attention.time_mix_receptance", "att.time_mix_r"},
            {"attention.time_mix_gate", "att.time_mix_g"},
            {"attention.", "att."},
            {"feed_forward.time_mix_key", "ffn.time_mix_k"},
            {"feed_forward.time_mix_receptance", "ffn.time_mix_r"},
            {"feed_forward.", "ffn."}};

    private HuggingFaceNaming() {
    }

    @Override
    public String label() {
        return "huggingface";
    }

    @Override
    public List<CanonicalTensor> canonical(TensorStore store) {
        List<CanonicalTensor> out = new ArrayList<>();
        for (TensorInfo t : store.tensors()) {
            String c = canonicalName(t.name());
            if (c != null) {
                out.add(CanonicalTensor.same(c, t));
            }
        }
        return out;
    }

    /** The BlinkDL name of a transformers name, or null when it has none. */
    static String canonicalName(String name) {
        if (name.equals("rwkv.embeddings.weight")) {
            return "emb.weight";
        }
        if (name.startsWith("rwkv.ln_out.")) {
            return name.substring("rwkv.".length());
        }
        if (name.equals("head.weight")) {
            return name;
        }
        Matcher m = BLOCK.matcher(name);
        if (!m.matches()) {
            return null;
        }
        String rest = m.group(2);
        for (String[] r : BLOCK_RENAMES) {
            if (rest.startsWith(r[0])) {
                rest = r[1] + rest.substring(r[0].length());
                break;
            }
        }
        return "blocks." + m.group(1) + "." + rest;
    }
}
