package dev.rwkvjava.model;

import java.util.regex.Pattern;

/**
 * What a weight matrix does in the model, as far as quantization cares: how much of the bytes a token reads it
 * holds, and how directly its rounding errors reach the logits or the recurrent state. Told from the canonical
 * (BlinkDL) tensor name, for every RWKV version.
 */
public enum WeightRole {
    /** Tables read one row per token: the token embedding, and DeepEmbed's per-token {@code ffn.s_emb}. */
    EMBEDDING,
    /** The vocabulary projection {@code head.weight}: one of the largest matrices, read whole every token. */
    HEAD,
    /**
     * The linear layers of time mixing and channel mixing ({@code att.*.weight}, {@code ffn.*.weight}, DeepEmbed's
     * {@code ffn.s_emb_x}): most of a model's bytes.
     */
    PROJECTION,
    /**
     * The small low-rank factors that compute the decay, which sets how fast the recurrent state forgets:
     * RWKV-7's {@code att.w1}/{@code w2}, RWKV-6's {@code att.time_decay_w1}/{@code w2}.
     */
    DECAY_LOW_RANK,
    /**
     * The other low-rank factors: RWKV-7's {@code att.a1/a2} (in-context learning rate), {@code v1/v2} (value
     * residual), {@code g1/g2} (output gate), RWKV-6's token-shift mixes {@code att.time_maa_w1/w2}, DeepEmbed's
     * {@code ffn.s1/s2}.
     */
    LOW_RANK;

    private static final Pattern DECAY = Pattern.compile("blocks\\.\\d+\\.att\\.(w[12]|time_decay_w[12])");
    private static final Pattern LORA = Pattern.compile(
            "blocks\\.\\d+\\.(att\\.([avg][12]|time_maa_w[12])|ffn\\.s[12])");
    private static final Pattern TABLE = Pattern.compile("blocks\\.\\d+\\.ffn\\.s_emb\\.weight");

    /** The role of the canonical tensor {@code name}; any matrix not named otherwise is a projection. */
    public static WeightRole of(String name) {
        if (name.equals("emb.weight") || TABLE.matcher(name).matches()) {
            return EMBEDDING;
        }
        if (name.equals("head.weight")) {
            return HEAD;
        }
        if (DECAY.matcher(name).matches()) {
            return DECAY_LOW_RANK;
        }
        if (LORA.matcher(name).matches()) {
            return LOW_RANK;
        }
        return PROJECTION;
    }
}
