package dev.rwkvjava.convert;

import dev.rwkvjava.io.gguf.GgufHeader;
import dev.rwkvjava.io.gguf.GgufValueType;
import dev.rwkvjava.model.ModelConfig;
import dev.rwkvjava.RwkvVersion;
import dev.rwkvjava.tensor.DType;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A model as GGUF in llama.cpp's own layout for its architectures {@code rwkv6} and {@code rwkv7}, as its
 * {@code convert_hf_to_gguf.py} writes them (data README, section 12.3): llama.cpp's tensor names, the token-shift
 * vectors fused into {@code time_mix_lerp_fused}, the low-rank factors transposed, RWKV-7's {@code r_k} flat and
 * layer 0's dummy {@code time_mix_v0/v1/v2} (copies of the a-LoRA, which llama.cpp requires), the hyper-parameters
 * under llama.cpp's keys, and the tensor types by llama.cpp's rules: vectors, norms, the fused token shift and the
 * decay and token-shift low-rank factors always F32, a row that is not whole blocks of the chosen type F16.
 */
final class LlamaCppLayout {
    /** llama.cpp's context length for RWKV models (it has no limit; the converter writes this). */
    static final long CONTEXT_LENGTH = 1_048_576;
    /** ggml's quantization version of the block layouts written here. */
    static final long QUANTIZATION_VERSION = 2;

    /** Matrices llama.cpp's converter never quantizes (its "always F32" list, for the RWKV tensors). */
    private static final Set<String> ALWAYS_F32 = Set.of("time_mix_lerp_fused.weight", "time_mix_w1.weight",
            "time_mix_w2.weight", "time_mix_decay_w1.weight", "time_mix_decay_w2.weight", "time_mix_first.weight");

    private LlamaCppLayout() {
    }

    /** llama.cpp's architecture name for a version, or an error naming the version when it has none. */
    static String architecture(RwkvVersion v) {
        return switch (v) {
            case V6_0 -> "rwkv6";
            case V7 -> "rwkv7";
            default -> throw new IllegalArgumentException("llama.cpp has no architecture for RWKV " + v.label()
                    + " (its GGUF models are rwkv6 and rwkv7): convert this model to safetensors instead");
        };
    }

    /**
     * The file's plan.
     *
     * @param type       the type of the tensors llama.cpp quantizes, or null to keep each tensor's own
     * @param name       {@code general.name}
     * @param vocabulary adds the {@code tokenizer.*} entries, if the model has a vocabulary to carry
     */
    static FilePlan plan(SourceModel m, DType type, String name, Consumer<GgufHeader> vocabulary) {
        ModelConfig cfg = m.config();
        String arch = architecture(cfg.version());
        boolean v7 = cfg.version() == RwkvVersion.V7;
        List<Named> named = v7 ? v7Tensors(m) : v6Tensors(m);

        List<OutTensor> tensors = new ArrayList<>();
        for (Named n : named) {
            tensors.add(new OutTensor(n.name, n.shape, typeOf(n.name, n.shape, type, n.values), n.values));
        }
        DType main = tensors.stream().filter(t -> t.name().equals("blk.0.time_mix_key.weight")).findFirst()
                .orElseThrow().dtype();

        GgufHeader h = new GgufHeader();
        h.put("general.architecture", GgufValueType.STRING, arch);
        h.put("general.type", GgufValueType.STRING, "model");
        h.put("general.name", GgufValueType.STRING, name);
        h.put("general.size_label", GgufValueType.STRING, sizeLabel(m.parameterCount()));
        u32(h, arch + ".context_length", CONTEXT_LENGTH);
        u32(h, arch + ".embedding_length", cfg.nEmbd());
        u32(h, arch + ".block_count", cfg.nLayer());
        h.put(arch + ".attention.layer_norm_epsilon", GgufValueType.FLOAT32, cfg.layerNormEps());
        if (!v7) {
            u32(h, arch + ".rescale_every_n_layers", 0);
        }
        u32(h, arch + ".wkv.head_size", cfg.headSize());
        if (v7) {
            u32(h, arch + ".attention.decay_lora_rank", m.dim("DW"));
            u32(h, arch + ".attention.iclr_lora_rank", m.dim("DA"));
            u32(h, arch + ".attention.value_residual_mix_lora_rank", m.dim("DV"));
            u32(h, arch + ".attention.gate_lora_rank", m.dim("DG"));
        } else {
            u32(h, arch + ".time_mix_extra_dim", m.dim("DMIX"));
            u32(h, arch + ".time_decay_extra_dim", m.dim("DDECAY"));
        }
        u32(h, arch + ".feed_forward_length", cfg.ffnSize());
        u32(h, "general.file_type", fileType(main));
        u32(h, arch + ".attention.head_count", 0);
        u32(h, "general.quantization_version", QUANTIZATION_VERSION);
        vocabulary.accept(h);
        for (OutTensor t : tensors) {
            h.tensor(t.name(), t.shape(), t.dtype());
        }

        FilePlan plan = new FilePlan().bytes(h.bytes());
        for (OutTensor t : tensors) {
            plan.data(t).zeros(GgufHeader.padding(t.bytes(), h.alignment()));
        }
        return plan;
    }

    private static void u32(GgufHeader h, String key, long value) {
        h.put(key, GgufValueType.UINT32, value);
    }

    /**
     * The type llama.cpp's converter gives a tensor: F32 for vectors, norms, anything not named {@code .weight}
     * and its always-F32 list; otherwise the chosen type, or F16 when a row is not whole blocks of it.
     */
    static DType typeOf(String name, long[] shape, DType chosen, ValueSource values) {
        long dims = java.util.Arrays.stream(shape).filter(d -> d != 1).count();
        String local = name.replaceFirst("^blk\\.\\d+\\.", "");
        if (dims <= 1 || name.endsWith("_norm.weight") || !name.endsWith(".weight") || ALWAYS_F32.contains(local)) {
            return DType.F32;
        }
        DType t = chosen != null ? chosen : OutTensor.keptType(values);
        long row = shape[shape.length - 1];
        return row % t.blockElements() == 0 ? t : DType.F16;
    }

    /** llama.cpp's {@code general.file_type} for a file whose matrices are mostly of type {@code t}. */
    static int fileType(DType t) {
        return switch (t) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q4_1 -> 3;
            case Q8_0 -> 7;
            case Q5_0 -> 8;
            case Q5_1 -> 9;
            case Q4_K -> 14;
            case Q5_K -> 16;
            case Q6_K -> 18;
            case BF16 -> 32;
            default -> throw new IllegalArgumentException("GGUF has no file type for " + t);
        };
    }

    /** A parameter count as llama.cpp labels model sizes: at least two significant digits, K/M/B/T. */
    static String sizeLabel(long params) {
        double scaled;
        String suffix;
        if (params >= 1e12) {
            scaled = params / 1e12;
            suffix = "T";
        } else if (params >= 1e9) {
            scaled = params / 1e9;
            suffix = "B";
        } else if (params >= 1e6) {
            scaled = params / 1e6;
            suffix = "M";
        } else {
            scaled = params / 1e3;
            suffix = "K";
        }
        int digits = Long.toString(Math.round(scaled)).length();
        int decimals = Math.max(2 - digits, 0);
        return String.format(Locale.ROOT, "%." + decimals + "f%s", scaled, suffix);
    }

    private record Named(String name, long[] shape, ValueSource values) {
    }

    private static List<Named> v7Tensors(SourceModel m) {
        int c = m.dim("C");
        List<Named> out = new ArrayList<>();
        globalsBefore(m, out);
        for (int i = 0; i < m.config().nLayer(); i++) {
            String b = "blocks." + i + ".";
            String g = "blk." + i + ".";
            norms(m, out, b, g);
            List<ValueSource> lerps = new ArrayList<>();
            for (String x : new String[] {"x_r", "x_w", "x_k", "x_v", "x_a", "x_g"}) {
                lerps.add(m.values(b + "att." + x, c));
            }
            long[] fused = {lerps.size(), 1, 1, c};
            out.add(new Named(g + "time_mix_lerp_fused.weight", fused, new ValueSource.Stacked(lerps, fused)));
            lowRank(m, out, b + "att.w", g + "time_mix_w", c);
            lowRank(m, out, b + "att.a", g + "time_mix_a", c);
            // Layer 0 computes no value residual; llama.cpp still wants its tensors: the a-LoRA's, as its converter.
            lowRank(m, out, b + (i == 0 ? "att.a" : "att.v"), g + "time_mix_v", c);
            transposed(m, out, b + "att.g1", g + "time_mix_g1.weight");
            transposed(m, out, b + "att.g2", g + "time_mix_g2.weight");
            vector(m, out, b + "att.k_k", g + "time_mix_k_k.weight", c);
            vector(m, out, b + "att.k_a", g + "time_mix_k_a.weight", c);
            vector(m, out, b + "att.r_k", g + "time_mix_r_k.weight", c);
            for (String p : new String[] {"receptance", "key", "value", "output"}) {
                same(m, out, b + "att." + p + ".weight", g + "time_mix_" + p + ".weight");
            }
            same(m, out, b + "att.ln_x.weight", g + "time_mix_ln.weight");
            same(m, out, b + "att.ln_x.bias", g + "time_mix_ln.bias");
            vector(m, out, b + "ffn.x_k", g + "channel_mix_lerp_k.weight", c);
            same(m, out, b + "ffn.key.weight", g + "channel_mix_key.weight");
            same(m, out, b + "ffn.value.weight", g + "channel_mix_value.weight");
        }
        globalsAfter(m, out);
        return out;
    }

    private static List<Named> v6Tensors(SourceModel m) {
        int c = m.dim("C");
        List<Named> out = new ArrayList<>();
        globalsBefore(m, out);
        for (int i = 0; i < m.config().nLayer(); i++) {
            String b = "blocks." + i + ".";
            String g = "blk." + i + ".";
            norms(m, out, b, g);
            vector(m, out, b + "att.time_maa_x", g + "time_mix_lerp_x.weight", c);
            List<ValueSource> lerps = new ArrayList<>();
            for (String x : new String[] {"w", "k", "v", "r", "g"}) {
                lerps.add(m.values(b + "att.time_maa_" + x, c));
            }
            long[] fused = {lerps.size(), 1, 1, c};
            out.add(new Named(g + "time_mix_lerp_fused.weight", fused, new ValueSource.Stacked(lerps, fused)));
            transposed(m, out, b + "att.time_maa_w1", g + "time_mix_w1.weight");
            transposed(m, out, b + "att.time_maa_w2", g + "time_mix_w2.weight");
            vector(m, out, b + "att.time_decay", g + "time_mix_decay.weight", c);
            transposed(m, out, b + "att.time_decay_w1", g + "time_mix_decay_w1.weight");
            transposed(m, out, b + "att.time_decay_w2", g + "time_mix_decay_w2.weight");
            ValueSource first = m.values(b + "att.time_faaaa", m.dim("H"), m.dim("N"));
            out.add(new Named(g + "time_mix_first.weight", first.shape(), first));
            for (String p : new String[] {"receptance", "key", "value", "gate", "output"}) {
                same(m, out, b + "att." + p + ".weight", g + "time_mix_" + p + ".weight");
            }
            same(m, out, b + "att.ln_x.weight", g + "time_mix_ln.weight");
            same(m, out, b + "att.ln_x.bias", g + "time_mix_ln.bias");
            vector(m, out, b + "ffn.time_maa_k", g + "channel_mix_lerp_k.weight", c);
            vector(m, out, b + "ffn.time_maa_r", g + "channel_mix_lerp_r.weight", c);
            for (String p : new String[] {"key", "receptance", "value"}) {
                same(m, out, b + "ffn." + p + ".weight", g + "channel_mix_" + p + ".weight");
            }
        }
        globalsAfter(m, out);
        return out;
    }

    private static void globalsBefore(SourceModel m, List<Named> out) {
        same(m, out, "emb.weight", "token_embd.weight");
        same(m, out, "blocks.0.ln0.weight", "token_embd_norm.weight");
        same(m, out, "blocks.0.ln0.bias", "token_embd_norm.bias");
    }

    private static void globalsAfter(SourceModel m, List<Named> out) {
        same(m, out, "ln_out.weight", "output_norm.weight");
        same(m, out, "ln_out.bias", "output_norm.bias");
        same(m, out, "head.weight", "output.weight");
    }

    private static void norms(SourceModel m, List<Named> out, String b, String g) {
        same(m, out, b + "ln1.weight", g + "attn_norm.weight");
        same(m, out, b + "ln1.bias", g + "attn_norm.bias");
        same(m, out, b + "ln2.weight", g + "attn_norm_2.weight");
        same(m, out, b + "ln2.bias", g + "attn_norm_2.bias");
    }

    /** A low-rank triple: the base vector x0, and the factors x1, x2 transposed. */
    private static void lowRank(SourceModel m, List<Named> out, String from, String to, int c) {
        vector(m, out, from + "0", to + "0.weight", c);
        transposed(m, out, from + "1", to + "1.weight");
        transposed(m, out, from + "2", to + "2.weight");
    }

    private static void same(SourceModel m, List<Named> out, String from, String to) {
        ValueSource v = m.values(from);
        out.add(new Named(to, v.shape(), v));
    }

    private static void vector(SourceModel m, List<Named> out, String from, String to, long n) {
        ValueSource v = m.values(from, n);
        out.add(new Named(to, v.shape(), v));
    }

    private static void transposed(SourceModel m, List<Named> out, String from, String to) {
        ValueSource v = ValueSource.transpose(m.values(from));
        out.add(new Named(to, v.shape(), v));
    }
}
