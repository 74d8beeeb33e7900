package dev.rwkvjava.model.v7;

import dev.rwkvjava.model.ModelTensors;
import dev.rwkvjava.RwkvVersion;
import dev.rwkvjava.model.TensorSpec;
import dev.rwkvjava.model.VersionSchema;
import dev.rwkvjava.model.naming.CanonicalTensor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.rwkvjava.model.TensorSpec.Init.fanIn;
import static dev.rwkvjava.model.TensorSpec.Init.fanOut;
import static dev.rwkvjava.model.TensorSpec.Init.normal;
import static dev.rwkvjava.model.TensorSpec.Init.uniform;
import static dev.rwkvjava.model.TensorSpec.layer;

/**
 * The tensors of RWKV-7 and RWKV-7 DeepEmbed. Dimensions: C, V, F, H and N (from layer 0's {@code att.r_k}
 * [H, N]), and the ranks of the low-rank decay (DW), in-context learning rate (DA), value residual (DV) and gate
 * (DG) products, each from its down-projection [C, D]. Layer 0 has no {@code v0/v1/v2} (its value is v_first).
 * DeepEmbed adds to every FFN a per-token R × R matrix (R = 32).
 */
public final class V7Schema implements VersionSchema {
    /** DeepEmbed's rank R: every token has an R × R matrix (the reference hard-codes 32). */
    public static final int DEEPEMBED_RANK = 32;
    /** The DeepEmbed tensors of every FFN. */
    static final List<String> DEEPEMBED = List.of("ffn.s_emb.weight", "ffn.s_emb_x.weight", "ffn.s0", "ffn.s1", "ffn.s2");

    public static final V7Schema V7 = new V7Schema(RwkvVersion.V7);
    public static final V7Schema DEEP_EMBED = new V7Schema(RwkvVersion.V7_DEEPEMBED);

    private final RwkvVersion version;
    private final List<TensorSpec> tensors;

    private V7Schema(RwkvVersion version) {
        this.version = version;
        List<TensorSpec> l = new ArrayList<>();
        l.addAll(TensorSpec.embeddingAndNorms());
        for (String m : new String[] {"x_r", "x_w", "x_k", "x_v", "x_a", "x_g"}) {
            l.add(layer("att." + m, uniform(0, 1), "1", "1", "C"));
        }
        l.add(layer("att.w0", uniform(-6.5, -1.5), "1", "1", "C"));
        lowRank(l, "att.w", "DW", TensorSpec.Scope.EVERY_LAYER);
        l.add(layer("att.a0", normal(0.3, 0), "1", "1", "C"));
        lowRank(l, "att.a", "DA", TensorSpec.Scope.EVERY_LAYER);
        l.add(new TensorSpec("att.v0", TensorSpec.Scope.LATER_LAYERS, new String[] {"1", "1", "C"}, normal(0.3, 1)));
        lowRank(l, "att.v", "DV", TensorSpec.Scope.LATER_LAYERS);
        lowRank(l, "att.g", "DG", TensorSpec.Scope.EVERY_LAYER);
        l.add(layer("att.k_k", normal(0.1, 0.85), "1", "1", "C"));
        l.add(layer("att.k_a", normal(0.1, 1), "1", "1", "C"));
        l.add(layer("att.r_k", normal(0.3, 0), "H", "N"));
        for (String m : new String[] {"receptance", "key", "value", "output"}) {
            l.add(layer("att." + m + ".weight", fanIn(1), "C", "C"));
        }
        l.add(layer("att.ln_x.weight", normal(0.1, 1), "C"));
        l.add(layer("att.ln_x.bias", normal(0.05, 0), "C"));
        l.add(layer("ffn.x_k", uniform(0, 1), "1", "1", "C"));
        l.add(layer("ffn.key.weight", fanIn(1), "F", "C"));
        l.add(layer("ffn.value.weight", fanIn(1), "C", "F"));
        if (version == RwkvVersion.V7_DEEPEMBED) {
            String r = Integer.toString(DEEPEMBED_RANK);
            l.add(layer("ffn.s_emb.weight", normal(0.125, 0), "V", r + "*" + r));
            l.add(layer("ffn.s_emb_x.weight", fanIn(0.125), r + "*" + r, "C"));
            l.add(layer("ffn.s1", fanOut(1), "C", r));
            l.add(layer("ffn.s0", normal(0.1, 1), "F"));
            l.add(layer("ffn.s2", fanOut(0.4), r, "F"));
        }
        l.addAll(TensorSpec.outputHead());
        this.tensors = List.copyOf(l);
    }

    /** A low-rank pair {@code prefix1} [C, D] (applied as x·W) and {@code prefix2} [D, C]. */
    private static void lowRank(List<TensorSpec> l, String prefix, String rank, TensorSpec.Scope scope) {
        l.add(new TensorSpec(prefix + "1", scope, new String[] {"C", rank}, fanOut(1)));
        l.add(new TensorSpec(prefix + "2", scope, new String[] {rank, "C"}, fanOut(0.1)));
    }

    @Override
    public RwkvVersion version() {
        return version;
    }

    @Override
    public List<TensorSpec> tensors() {
        return tensors;
    }

    /** Whether any layer holds a DeepEmbed tensor (then every layer must hold all of them). */
    public static boolean hasDeepEmbedTensors(ModelTensors t) {
        for (String n : t.names()) {
            for (String s : DEEPEMBED) {
                if (n.startsWith("blocks.") && n.endsWith("." + s)) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public Map<String, Integer> dimensions(ModelTensors t, int c, int vocab, List<String> problems) {
        Map<String, Integer> d = new HashMap<>(Map.of("C", c, "V", vocab));
        CanonicalTensor key = t.find("blocks.0.ffn.key.weight");
        if (key == null || key.rank() != 2) {
            problems.add("tensor 'blocks.0.ffn.key.weight' is missing or not [ffn, " + c + "]");
            return null;
        }
        d.put("F", VersionSchema.dim(t, key, key.dim(0)));
        CanonicalTensor rk = t.find("blocks.0.att.r_k");
        if (rk == null) {
            problems.add("tensor 'blocks.0.att.r_k' is missing");
            return null;
        }
        if (rk.rank() != 2 || rk.dim(0) * rk.dim(1) != c) {
            problems.add("tensor '" + rk.describe() + "' has shape " + rk.shapeString()
                    + ", expected [heads, head_size] with heads · head_size = " + c);
            return null;
        }
        d.put("H", VersionSchema.dim(t, rk, rk.dim(0)));
        d.put("N", VersionSchema.dim(t, rk, rk.dim(1)));
        boolean ok = rank(t, d, "DW", "blocks.0.att.w1", c, problems);
        ok &= rank(t, d, "DA", "blocks.0.att.a1", c, problems);
        ok &= rank(t, d, "DG", "blocks.0.att.g1", c, problems);
        if (t.has("blocks.1.ln1.weight")) {
            ok &= rank(t, d, "DV", "blocks.1.att.v1", c, problems);
        } else {
            d.put("DV", 1);
        }
        return ok ? d : null;
    }

    /** A rank read from a down-projection [C, D]. */
    private static boolean rank(ModelTensors t, Map<String, Integer> d, String key, String name, int c,
                                List<String> problems) {
        CanonicalTensor down = t.find(name);
        if (down == null || down.rank() != 2 || down.dim(0) != c) {
            problems.add("tensor '" + name + "' is " + (down == null ? "missing" : "of shape " + down.shapeString())
                    + ", expected [" + c + ", rank]");
            return false;
        }
        d.put(key, VersionSchema.dim(t, down, down.dim(1)));
        return true;
    }
}
