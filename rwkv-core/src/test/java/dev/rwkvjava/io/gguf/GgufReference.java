package dev.rwkvjava.io.gguf;

import dev.rwkvjava.testutil.ModelFiles;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The value a GGUF tensor must hold, made from the BlinkDL tensors of the {@code .f32.safetensors} model by the
 * converter's mapping as the data set's README (section 12.3.4) states it: renames, transposes, the stacked lerp
 * vectors, flattened vectors, the v6 w2 with its last two dims swapped, and layer 0's dummy v-LoRA (copies of the
 * a-LoRA) in rwkv7 files.
 */
final class GgufReference {
    /** Expected shape (PyTorch order) and row-major values. */
    record Expected(long[] shape, float[] values) {
    }

    private static final Pattern LAYER = Pattern.compile("blk\\.(\\d+)\\.(.+)");

    private final List<ModelFiles.Tensor> source;
    private final String arch;
    private final Set<String> used = new HashSet<>();

    GgufReference(List<ModelFiles.Tensor> source, String arch) {
        this.source = source;
        this.arch = arch;
    }

    /** Names of the source tensors used so far. */
    Set<String> used() {
        return used;
    }

    Expected of(String ggufName) {
        switch (ggufName) {
            case "token_embd.weight":
                return same("emb.weight");
            case "output.weight":
                return same("head.weight");
            case "token_embd_norm.weight":
                return same("blocks.0.ln0.weight");
            case "token_embd_norm.bias":
                return same("blocks.0.ln0.bias");
            case "output_norm.weight":
                return same("ln_out.weight");
            case "output_norm.bias":
                return same("ln_out.bias");
            default:
                break;
        }
        Matcher m = LAYER.matcher(ggufName);
        if (!m.matches()) {
            throw new AssertionError("unexpected GGUF tensor " + ggufName);
        }
        int layer = Integer.parseInt(m.group(1));
        String b = "blocks." + layer + ".";
        String rest = m.group(2);
        switch (rest) {
            case "attn_norm.weight", "attn_norm.bias":
                return same(b + "ln1." + suffix(rest));
            case "attn_norm_2.weight", "attn_norm_2.bias":
                return same(b + "ln2." + suffix(rest));
            case "time_mix_ln.weight", "time_mix_ln.bias":
                return same(b + "att.ln_x." + suffix(rest));
            case "time_mix_receptance.weight", "time_mix_key.weight", "time_mix_value.weight",
                 "time_mix_output.weight", "time_mix_gate.weight":
                return same(b + "att." + rest.substring("time_mix_".length()));
            case "channel_mix_key.weight", "channel_mix_value.weight", "channel_mix_receptance.weight":
                return same(b + "ffn." + rest.substring("channel_mix_".length()));
            default:
                break;
        }
        return arch.equals("rwkv7") ? rwkv7(layer, b, rest) : rwkv6(b, rest);
    }

    private Expected rwkv7(int layer, String b, String rest) {
        String stem = rest.substring(0, rest.length() - ".weight".length());
        switch (stem) {
            case "time_mix_lerp_fused":
                return stacked(b + "att.x_", "r", "w", "k", "v", "a", "g");
            case "time_mix_k_k", "time_mix_k_a", "time_mix_r_k":
                return flat(b + "att." + stem.substring("time_mix_".length()));
            case "channel_mix_lerp_k":
                return flat(b + "ffn.x_k");
            default:
                break;
        }
        Matcher lora = Pattern.compile("time_mix_([wavg])([012])").matcher(stem);
        if (!lora.matches()) {
            throw new AssertionError("unexpected rwkv7 tensor " + rest);
        }
        String which = lora.group(1);
        if (which.equals("v") && layer == 0) {
            which = "a"; // layer 0's v-LoRA is a copy of its a-LoRA
        }
        String name = b + "att." + which + lora.group(2);
        return lora.group(2).equals("0") ? flat(name) : transposed(name);
    }

    private Expected rwkv6(String b, String rest) {
        String stem = rest.substring(0, rest.length() - ".weight".length());
        return switch (stem) {
            case "time_mix_lerp_x" -> flat(b + "att.time_maa_x");
            case "time_mix_lerp_fused" -> stacked(b + "att.time_maa_", "w", "k", "v", "r", "g");
            case "time_mix_w1" -> transposed(b + "att.time_maa_w1");
            case "time_mix_w2" -> lastTwoSwapped(b + "att.time_maa_w2");
            case "time_mix_decay" -> flat(b + "att.time_decay");
            case "time_mix_decay_w1" -> transposed(b + "att.time_decay_w1");
            case "time_mix_decay_w2" -> transposed(b + "att.time_decay_w2");
            case "time_mix_first" -> same(b + "att.time_faaaa");
            case "channel_mix_lerp_k" -> flat(b + "ffn.time_maa_k");
            case "channel_mix_lerp_r" -> flat(b + "ffn.time_maa_r");
            default -> throw new AssertionError("unexpected rwkv6 tensor " + rest);
        };
    }

    private static String suffix(String rest) {
        return rest.substring(rest.lastIndexOf('.') + 1);
    }

    private ModelFiles.Tensor get(String name) {
        used.add(name);
        return ModelFiles.get(source, name);
    }

    private Expected same(String name) {
        ModelFiles.Tensor t = get(name);
        return new Expected(t.shape(), t.data());
    }

    private Expected flat(String name) {
        ModelFiles.Tensor t = get(name);
        return new Expected(new long[] {t.data().length}, t.data());
    }

    private Expected transposed(String name) {
        ModelFiles.Tensor t = get(name);
        int rows = (int) t.shape()[0];
        int cols = (int) t.shape()[1];
        float[] out = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[c * rows + r] = t.data()[r * cols + c];
            }
        }
        return new Expected(new long[] {cols, rows}, out);
    }

    private Expected lastTwoSwapped(String name) {
        ModelFiles.Tensor t = get(name);
        int n0 = (int) t.shape()[0];
        int n1 = (int) t.shape()[1];
        int n2 = (int) t.shape()[2];
        float[] out = new float[n0 * n1 * n2];
        for (int i = 0; i < n0; i++) {
            for (int j = 0; j < n1; j++) {
                for (int k = 0; k < n2; k++) {
                    out[(i * n2 + k) * n1 + j] = t.data()[(i * n1 + j) * n2 + k];
                }
            }
        }
        return new Expected(new long[] {n0, n2, n1}, out);
    }

    private Expected stacked(String prefix, String... parts) {
        float[][] vs = new float[parts.length][];
        for (int i = 0; i < parts.length; i++) {
            vs[i] = get(prefix + parts[i]).data();
        }
        int c = vs[0].length;
        float[] out = new float[parts.length * c];
        for (int i = 0; i < parts.length; i++) {
            System.arraycopy(vs[i], 0, out, i * c, c);
        }
        return new Expected(new long[] {parts.length, 1, 1, c}, out);
    }
}
