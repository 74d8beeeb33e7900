package dev.rwkvjava.model;

import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tensor naming families. The engine works with BlinkDL names ({@code emb.weight}, {@code blocks.N.att.key.weight},
 * ...); files in Hugging Face transformers naming ({@code rwkv.embeddings.weight}, ...) are mapped onto them.
 */
public enum Naming {
    BLINKDL("blinkdl"),
    HUGGING_FACE("huggingface");

    private static final Pattern HF_BLOCK = Pattern.compile("rwkv\\.blocks\\.(\\d+)\\.(.+)");
    private static final List<String[]> HF_BLOCK_RENAMES = List.of(
            new String[] {"pre_ln.", "ln0."},
            new String[] {"attention.time_mix_key", "att.time_mix_k"},
            new String[] {"attention.time_mix_value", "att.time_mix_v"},
            new String[] {"attention.time_mix_receptance", "att.time_mix_r"},
            new String[] {"attention.", "att."},
            new String[] {"feed_forward.time_mix_key", "ffn.time_mix_k"},
            new String[] {"feed_forward.time_mix_receptance", "ffn.time_mix_r"},
            new String[] {"feed_forward.", "ffn."});

    private final String label;

    Naming(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** The family of a file, from its tensor names. */
    public static Naming of(Collection<String> names) {
        for (String n : names) {
            if (n.startsWith("rwkv.")) {
                return HUGGING_FACE;
            }
        }
        return BLINKDL;
    }

    /** The BlinkDL name for a tensor name of this family (null when the name has no counterpart). */
    public String canonical(String name) {
        if (this == BLINKDL) {
            return name;
        }
        if (name.equals("rwkv.embeddings.weight")) {
            return "emb.weight";
        }
        if (name.startsWith("rwkv.ln_out.")) {
            return name.substring("rwkv.".length());
        }
        if (name.equals("head.weight")) {
            return name;
        }
        Matcher m = HF_BLOCK.matcher(name);
        if (m.matches()) {
            String rest = m.group(2);
            for (String[] r : HF_BLOCK_RENAMES) {
                if (rest.startsWith(r[0])) {
                    rest = r[1] + rest.substring(r[0].length());
                    break;
                }
            }
            return "blocks." + m.group(1) + "." + rest;
        }
        return null;
    }
}
