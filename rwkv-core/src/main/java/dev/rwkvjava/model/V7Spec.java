package dev.rwkvjava.model;

import dev.rwkvjava.model.naming.CanonicalTensor;

import java.util.List;

import static dev.rwkvjava.model.VersionDetector.expect;

/**
 * The tensors of RWKV-7 and RWKV-7 DeepEmbed, with their shapes. Head count and head size come from layer 0's
 * {@code att.r_k} [H, N]; the low-rank (LoRA) sizes from each {@code att.{w,a,v,g}1} [C, D]. Layer 0 has no
 * {@code v0/v1/v2} (its value is v_first).
 */
public final class V7Spec {
    /** DeepEmbed's rank R: every token has an R × R matrix (the reference hard-codes 32). */
    public static final int DEEPEMBED_RANK = 32;

    /** The DeepEmbed tensors of every FFN. */
    static final List<String> DEEPEMBED = List.of("ffn.s_emb.weight", "ffn.s_emb_x.weight", "ffn.s0", "ffn.s1", "ffn.s2");

    /** The dimensions the check found (heads 0 when layer 0's r_k does not give them). */
    record Dims(int ffn, int heads, int headSize) {
    }

    private V7Spec() {
    }

    /** Whether any layer holds a DeepEmbed tensor (then every layer must hold all of them). */
    static boolean hasDeepEmbedTensors(ModelTensors t) {
        for (String n : t.names()) {
            for (String s : DEEPEMBED) {
                if (n.startsWith("blocks.") && n.endsWith("." + s)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Checks every tensor of the version, appending a problem per missing or mis-shaped one. */
    static Dims check(ModelTensors t, RwkvVersion version, int layers, int c, int vocab, List<String> problems) {
        VersionDetector.common(t, c, vocab, layers, problems);
        CanonicalTensor key = t.find("blocks.0.ffn.key.weight");
        int ffn = key == null || key.rank() != 2 ? 0 : (int) key.dim(0);
        if (ffn <= 0) {
            problems.add("tensor 'blocks.0.ffn.key.weight' is missing or not [ffn, " + c + "]");
        }
        Dims d = new Dims(ffn, 0, 0);
        CanonicalTensor rk = t.find("blocks.0.att.r_k");
        if (rk == null) {
            problems.add("tensor 'blocks.0.att.r_k' is missing");
        } else if (rk.rank() != 2 || rk.dim(0) * rk.dim(1) != c) {
            problems.add("tensor 'blocks.0.att.r_k' has shape " + rk.shapeString()
                    + ", expected [heads, head_size] with heads · head_size = " + c);
        } else {
            d = new Dims(ffn, (int) rk.dim(0), (int) rk.dim(1));
        }
        for (int i = 0; i < layers; i++) {
            String p = "blocks." + i + ".";
            layer(t, p, i, c, d, problems);
            if (version == RwkvVersion.V7_DEEPEMBED) {
                deepEmbed(t, p, c, vocab, ffn, problems);
            }
        }
        return d;
    }

    private static void layer(ModelTensors t, String p, int i, int c, Dims d, List<String> problems) {
        for (String s : new String[] {"att.x_r", "att.x_w", "att.x_k", "att.x_v", "att.x_a", "att.x_g",
                "att.w0", "att.a0", "att.k_k", "att.k_a", "att.ln_x.weight", "att.ln_x.bias", "ffn.x_k"}) {
            expect(t, p + s, problems, c);
        }
        if (d.heads() > 0) {
            expect(t, p + "att.r_k", problems, d.heads(), d.headSize());
        }
        for (String s : new String[] {"att.receptance", "att.key", "att.value", "att.output"}) {
            expect(t, p + s + ".weight", problems, c, c);
        }
        lora(t, p + "att.w", c, problems);
        lora(t, p + "att.a", c, problems);
        lora(t, p + "att.g", c, problems);
        if (i > 0) {
            expect(t, p + "att.v0", problems, c);
            lora(t, p + "att.v", c, problems);
        }
        if (d.ffn() > 0) {
            expect(t, p + "ffn.key.weight", problems, d.ffn(), c);
            expect(t, p + "ffn.value.weight", problems, c, d.ffn());
        }
    }

    /** A low-rank pair {@code prefix1} [C, D] and {@code prefix2} [D, C], D read from the first. */
    private static void lora(ModelTensors t, String prefix, int c, List<String> problems) {
        CanonicalTensor down = t.find(prefix + "1");
        if (down == null || down.rank() != 2 || down.dim(0) != c) {
            problems.add("tensor '" + prefix + "1' is " + (down == null ? "missing" : "of shape " + down.shapeString())
                    + ", expected [" + c + ", rank]");
            return;
        }
        expect(t, prefix + "2", problems, down.dim(1), c);
    }

    private static void deepEmbed(ModelTensors t, String p, int c, int vocab, int ffn, List<String> problems) {
        int rr = DEEPEMBED_RANK * DEEPEMBED_RANK;
        expect(t, p + "ffn.s_emb.weight", problems, vocab, rr);
        expect(t, p + "ffn.s_emb_x.weight", problems, rr, c);
        expect(t, p + "ffn.s1", problems, c, DEEPEMBED_RANK);
        if (ffn > 0) {
            expect(t, p + "ffn.s0", problems, ffn);
            expect(t, p + "ffn.s2", problems, DEEPEMBED_RANK, ffn);
        }
    }
}
