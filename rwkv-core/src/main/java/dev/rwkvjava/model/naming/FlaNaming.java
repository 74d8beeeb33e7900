package dev.rwkvjava.model.naming;

import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.io.TensorStore;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * flash-linear-attention's RWKV-7 ({@code RWKV7ForCausalLM}, the "fla-hub" checkpoints): {@code model.layers.N.attn.*}
 * with the projections as {@code {r,k,v,o}_proj}, the low-rank factors as {@code nn.Linear} pairs
 * {@code {w,a,v,g}_lora.lora.{0,2}} (weights stored [out, in], so transposed against BlinkDL's [in, out]; the
 * base vectors w0/a0/v0 as the second layer's bias), and the norms renamed. The transposed factors are used in
 * place: they are already the W·x matrices the low-rank products want.
 */
public final class FlaNaming implements NamingFamily {
    static final FlaNaming INSTANCE = new FlaNaming();

    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)");
    private static final Pattern LORA = Pattern.compile("attn\\.([wavg])_lora\\.lora\\.([02])\\.(weight|bias)");
    private static final Map<String, String> GLOBAL = Map.of(
            "model.embeddings.weight", "emb.weight",
            "model.norm.weight", "ln_out.weight",
            "model.norm.bias", "ln_out.bias",
            "lm_head.weight", "head.weight");
    private static final String[][] LAYER_RENAMES = {
            {"pre_norm.", "ln0."},
            {"attn_norm.", "ln1."},
            {"ffn_norm.", "ln2."},
            {"attn.r_proj.", "att.receptance."},
            {"attn.k_proj.", "att.key."},
            {"attn.v_proj.", "att.value."},
            {"attn.o_proj.", "att.output."},
            {"attn.g_norm.", "att.ln_x."},
            {"attn.", "att."},
            {"ffn.", "ffn."}};

    private FlaNaming() {
    }

    @Override
    public String label() {
        return "fla";
    }

    @Override
    public List<CanonicalTensor> canonical(TensorStore store) {
        List<CanonicalTensor> out = new ArrayList<>();
        for (TensorInfo t : store.tensors()) {
            String global = GLOBAL.get(t.name());
            if (global != null) {
                out.add(CanonicalTensor.same(global, t));
                continue;
            }
            Matcher m = LAYER.matcher(t.name());
            if (!m.matches()) {
                continue;
            }
            String prefix = "blocks." + m.group(1) + ".";
            String rest = m.group(2);
            Matcher lora = LORA.matcher(rest);
            if (lora.matches()) {
                String x = lora.group(1);
                if (lora.group(3).equals("bias")) {
                    // Only the up-projection has a bias: the base vector x0.
                    if (lora.group(2).equals("2")) {
                        out.add(CanonicalTensor.same(prefix + "att." + x + "0", t));
                    }
                } else if (t.rank() == 2) {
                    String name = prefix + "att." + x + (lora.group(2).equals("0") ? "1" : "2");
                    out.add(new CanonicalTensor(name, new long[] {t.dim(1), t.dim(0)}, t, Layout.TRANSPOSED));
                }
                continue;
            }
            for (String[] r : LAYER_RENAMES) {
                if (rest.startsWith(r[0])) {
                    out.add(CanonicalTensor.same(prefix + r[1] + rest.substring(r[0].length()), t));
                    break;
                }
            }
        }
        return out;
    }
}
