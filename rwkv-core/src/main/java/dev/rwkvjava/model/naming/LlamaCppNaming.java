package dev.rwkvjava.model.naming;

import dev.rwkvjava.ModelFileException;
import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.io.TensorStore;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * llama.cpp's GGUF names for the architectures {@code rwkv6} and {@code rwkv7} ({@code token_embd},
 * {@code blk.N.time_mix_*}, {@code blk.N.channel_mix_*}), as its {@code convert_hf_to_gguf.py} writes them. Its
 * layouts differ from BlinkDL's in three ways, each undone here: the token-shift vectors are fused into one tensor
 * {@code time_mix_lerp_fused} (parts, used as slices in place), the low-rank factors are stored transposed (used in
 * place as the W·x matrices of the low-rank products), and RWKV-7's {@code r_k} is flat (a reshape). Layer 0 of
 * {@code rwkv7} carries dummy {@code time_mix_v0/v1/v2} (copies of the a-LoRA that llama.cpp needs and never uses):
 * they are left out.
 */
public final class LlamaCppNaming implements NamingFamily {
    static final LlamaCppNaming INSTANCE = new LlamaCppNaming();

    private static final Pattern LAYER = Pattern.compile("blk\\.(\\d+)\\.(.+)");
    /** RWKV-7's fused token-shift vectors, in their stacking order. */
    private static final String[] V7_LERPS = {"x_r", "x_w", "x_k", "x_v", "x_a", "x_g"};
    /** RWKV-6's fused token-shift vectors, in their stacking order (w, k, v, r, g). */
    private static final String[] V6_LERPS = {"time_maa_w", "time_maa_k", "time_maa_v", "time_maa_r", "time_maa_g"};

    private static final Map<String, String> GLOBAL = Map.of(
            "token_embd.weight", "emb.weight",
            "output.weight", "head.weight",
            "output_norm.weight", "ln_out.weight",
            "output_norm.bias", "ln_out.bias",
            "token_embd_norm.weight", "blocks.0.ln0.weight",
            "token_embd_norm.bias", "blocks.0.ln0.bias");

    /** Per-layer names that map one to one, without a layout change. */
    private static final Map<String, String> V7_LAYER = Map.ofEntries(
            Map.entry("attn_norm.weight", "ln1.weight"), Map.entry("attn_norm.bias", "ln1.bias"),
            Map.entry("attn_norm_2.weight", "ln2.weight"), Map.entry("attn_norm_2.bias", "ln2.bias"),
            Map.entry("time_mix_w0.weight", "att.w0"), Map.entry("time_mix_a0.weight", "att.a0"),
            Map.entry("time_mix_v0.weight", "att.v0"),
            Map.entry("time_mix_k_k.weight", "att.k_k"), Map.entry("time_mix_k_a.weight", "att.k_a"),
            Map.entry("time_mix_receptance.weight", "att.receptance.weight"),
            Map.entry("time_mix_key.weight", "att.key.weight"), Map.entry("time_mix_value.weight", "att.value.weight"),
            Map.entry("time_mix_output.weight", "att.output.weight"),
            Map.entry("time_mix_ln.weight", "att.ln_x.weight"), Map.entry("time_mix_ln.bias", "att.ln_x.bias"),
            Map.entry("channel_mix_lerp_k.weight", "ffn.x_k"),
            Map.entry("channel_mix_key.weight", "ffn.key.weight"),
            Map.entry("channel_mix_value.weight", "ffn.value.weight"));

    private static final Map<String, String> V6_LAYER = Map.ofEntries(
            Map.entry("attn_norm.weight", "ln1.weight"), Map.entry("attn_norm.bias", "ln1.bias"),
            Map.entry("attn_norm_2.weight", "ln2.weight"), Map.entry("attn_norm_2.bias", "ln2.bias"),
            Map.entry("time_mix_lerp_x.weight", "att.time_maa_x"),
            Map.entry("time_mix_decay.weight", "att.time_decay"),
            Map.entry("time_mix_first.weight", "att.time_faaaa"),
            Map.entry("time_mix_receptance.weight", "att.receptance.weight"),
            Map.entry("time_mix_key.weight", "att.key.weight"), Map.entry("time_mix_value.weight", "att.value.weight"),
            Map.entry("time_mix_gate.weight", "att.gate.weight"),
            Map.entry("time_mix_output.weight", "att.output.weight"),
            Map.entry("time_mix_ln.weight", "att.ln_x.weight"), Map.entry("time_mix_ln.bias", "att.ln_x.bias"),
            Map.entry("channel_mix_lerp_k.weight", "ffn.time_maa_k"),
            Map.entry("channel_mix_lerp_r.weight", "ffn.time_maa_r"),
            Map.entry("channel_mix_key.weight", "ffn.key.weight"),
            Map.entry("channel_mix_receptance.weight", "ffn.receptance.weight"),
            Map.entry("channel_mix_value.weight", "ffn.value.weight"));

    /** Low-rank factors stored transposed: GGUF name → BlinkDL name. */
    private static final Map<String, String> V7_TRANSPOSED = Map.of(
            "time_mix_w1.weight", "att.w1", "time_mix_w2.weight", "att.w2",
            "time_mix_a1.weight", "att.a1", "time_mix_a2.weight", "att.a2",
            "time_mix_v1.weight", "att.v1", "time_mix_v2.weight", "att.v2",
            "time_mix_g1.weight", "att.g1", "time_mix_g2.weight", "att.g2");

    private static final Map<String, String> V6_TRANSPOSED = Map.of(
            "time_mix_w1.weight", "att.time_maa_w1", "time_mix_w2.weight", "att.time_maa_w2",
            "time_mix_decay_w1.weight", "att.time_decay_w1", "time_mix_decay_w2.weight", "att.time_decay_w2");

    private LlamaCppNaming() {
    }

    @Override
    public String label() {
        return "llama.cpp";
    }

    /**
     * {@code A.rescale_every_n_layers}: llama.cpp's converter divides RWKV-6's {@code time_mix_output} and
     * {@code channel_mix_value} of layer i by 2^(i / n) and its engine halves the hidden state after every n-th
     * layer. Its RWKV-7 graph has no such step, so a non-zero value there is refused.
     */
    @Override
    public int rescaleEvery(TensorStore store) {
        String arch = store.metadata().get("general.architecture");
        String value = store.metadata().get(arch + ".rescale_every_n_layers");
        if (value == null || value.equals("0")) {
            return 0;
        }
        int n;
        try {
            n = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (!"rwkv6".equals(arch) || n < 0) {
            throw new ModelFileException(store.path(), null, arch + ".rescale_every_n_layers is " + value
                    + ": " + (n < 0 ? "not a layer count" : "llama.cpp's " + arch + " models are never rescaled"));
        }
        return n;
    }

    @Override
    public List<CanonicalTensor> canonical(TensorStore store) {
        Map<String, String> meta = store.metadata();
        String arch = meta.get("general.architecture");
        boolean v7 = "rwkv7".equals(arch);
        if (!v7 && !"rwkv6".equals(arch)) {
            throw new ModelFileException(store.path(), null, "GGUF architecture '" + arch
                    + "' is not an RWKV model this engine runs (rwkv6 or rwkv7)");
        }
        rescaleEvery(store);
        int headSize = headSize(store, arch);
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
            if (v7 && m.group(1).equals("0") && rest.matches("time_mix_v[012]\\.weight")) {
                continue;
            }
            String same = (v7 ? V7_LAYER : V6_LAYER).get(rest);
            String transposed = (v7 ? V7_TRANSPOSED : V6_TRANSPOSED).get(rest);
            if (same != null) {
                out.add(CanonicalTensor.same(prefix + same, t));
            } else if (transposed != null && t.rank() >= 2) {
                long[] s = t.shape();
                long last = s[s.length - 1];
                s[s.length - 1] = s[s.length - 2];
                s[s.length - 2] = last;
                out.add(new CanonicalTensor(prefix + transposed, s, t, Layout.TRANSPOSED));
            } else if (rest.equals("time_mix_lerp_fused.weight")) {
                String[] parts = v7 ? V7_LERPS : V6_LERPS;
                long c = t.dim(t.rank() - 1);
                if (t.dim(0) != parts.length || t.elementCount() != parts.length * c) {
                    throw new ModelFileException(store.path(), t.name(), "shape " + t.shapeString() + " where ["
                            + parts.length + ", 1, 1, C] was expected");
                }
                for (int i = 0; i < parts.length; i++) {
                    out.add(new CanonicalTensor(prefix + "att." + parts[i], new long[] {1, 1, c}, t,
                            new Layout.Part(i, parts.length)));
                }
            } else if (v7 && rest.equals("time_mix_r_k.weight") && headSize > 0 && t.rank() == 1
                    && t.dim(0) % headSize == 0) {
                out.add(new CanonicalTensor(prefix + "att.r_k", new long[] {t.dim(0) / headSize, headSize}, t,
                        Layout.SAME));
            } else {
                // Unknown to this table: kept under its own name, so a check that misses a tensor can name it.
                out.add(CanonicalTensor.same(t.name(), t));
            }
        }
        return out;
    }

    /** The head size from the metadata ({@code ARCH.wkv.head_size}); 0 when absent. */
    private static int headSize(TensorStore store, String arch) {
        String v = store.metadata().get(arch + ".wkv.head_size");
        if (v == null) {
            return 0;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n <= 0 || n > 4096) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new ModelFileException(store.path(), null, arch + ".wkv.head_size is '" + v
                    + "', not a head size");
        }
    }
}
