package dev.rwkvjava.convert;

import dev.rwkvjava.io.rwkvcpp.RwkvCppFile;
import dev.rwkvjava.RwkvVersion;
import dev.rwkvjava.model.naming.Layout;
import dev.rwkvjava.tensor.DType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A model as rwkv.cpp's {@code .bin} (file version 101), laid out as its {@code convert_pytorch_to_ggml.py} writes
 * it and, for the block types, as its quantize tool then turns an FP32 file into a quantized one (data README,
 * section 4.3): BlinkDL names in checkpoint order; {@code time_*} vectors squeezed; RWKV-4's decay stored as
 * −exp(w), RWKV-5's as exp(−exp(w)) and its 5.0 bonus as exp(u), with the per-head shapes [H, N, 1] / [H, 1, 1];
 * RWKV-6's low-rank factors transposed and its decay and bonus as [H, N, 1]; RWKV-7's token-shift vectors fused into
 * {@code att.x_rwkvag} and its low-rank factors transposed. Types: FP16 for the matrices except the small ones the
 * converter keeps in FP32; a block type for the two-dimensional tensors other than the embedding, the head and
 * RWKV-7's low-rank factors and {@code r_k}, everything else FP32.
 */
final class RwkvCppLayout {
    /** Names whose tensors rwkv.cpp's FP16 files keep in FP32. */
    private static final List<String> FP32_IN_FP16 = List.of(".time_", ".k_k", ".k_a", ".r_k", ".x_rwkvag", ".x_k",
            ".w0", ".a0", ".v0");
    /** Names whose two-dimensional tensors rwkv.cpp's quantize tool leaves unquantized. */
    private static final List<String> NOT_QUANTIZED = List.of("att.v1", "att.v2", "att.g1", "att.g2", "att.a1",
            "att.a2", "att.w1", "att.w2", "att.r_k");
    private static final List<String> V7_TRANSPOSED = List.of(".w1", ".w2", ".a1", ".a2", ".v1", ".v2", ".g1", ".g2");

    private RwkvCppLayout() {
    }

    /** rwkv.cpp's type ids (its {@code rwkv_type}) for the types it stores. */
    static int typeId(DType t) {
        return switch (t) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q4_1 -> 3;
            case Q5_0 -> 7;
            case Q5_1 -> 8;
            case Q8_0 -> 9;
            case Q4_K -> 13;
            case Q5_K -> 14;
            case Q6_K -> 15;
            default -> throw new IllegalArgumentException("rwkv.cpp has no type " + t);
        };
    }

    /**
     * The file's plan.
     *
     * @param type F32, F16 or a block type; null for F16 when every matrix of the input is F16, else F32
     */
    static FilePlan plan(SourceModel m, DType type) {
        RwkvVersion v = m.config().version();
        if (v == RwkvVersion.V7_DEEPEMBED) {
            throw new IllegalArgumentException("rwkv.cpp has no RWKV " + v.label() + " (DeepEmbed): convert this "
                    + "model to safetensors or GGUF instead");
        }
        if (type == DType.BF16) {
            throw new IllegalArgumentException("rwkv.cpp has no BF16 type; use f32 or f16");
        }
        if (type == null) {
            type = allMatricesF16(m) ? DType.F16 : DType.F32;
        }
        typeId(type);
        List<OutTensor> tensors = tensors(m, type);

        FilePlan plan = new FilePlan();
        ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(RwkvCppFile.MAGIC).putInt(RwkvCppFile.VERSION_101).putInt(m.config().vocabSize())
                .putInt(m.config().nEmbd()).putInt(m.config().nLayer()).putInt(typeId(type));
        plan.bytes(h.array());
        for (OutTensor t : tensors) {
            byte[] name = t.name().getBytes(StandardCharsets.UTF_8);
            long[] s = t.shape();
            ByteBuffer th = ByteBuffer.allocate(12 + 4 * s.length + name.length).order(ByteOrder.LITTLE_ENDIAN);
            th.putInt(s.length).putInt(name.length).putInt(typeId(t.dtype()));
            for (int d = s.length - 1; d >= 0; d--) {
                th.putInt(Math.toIntExact(s[d]));
            }
            th.put(name);
            plan.bytes(th.array()).data(t);
        }
        return plan;
    }

    private static boolean allMatricesF16(SourceModel m) {
        for (SourceModel.Named n : m.schemaTensors()) {
            if (n.shape().length == 2 && n.shape()[0] > 1 && OutTensor.keptType(m.values(n.name())) != DType.F16) {
                return false;
            }
        }
        return true;
    }

    private static List<OutTensor> tensors(SourceModel m, DType type) {
        RwkvVersion v = m.config().version();
        boolean v7 = v == RwkvVersion.V7;
        boolean v6 = v == RwkvVersion.V6_0;
        boolean v5 = v == RwkvVersion.V5_0 || v == RwkvVersion.V5_1 || v == RwkvVersion.V5_2;
        boolean gate = v == RwkvVersion.V5_1 || v == RwkvVersion.V5_2;
        int heads = m.config().heads();
        List<OutTensor> out = new ArrayList<>();
        for (SourceModel.Named n : m.schemaTensors()) {
            String k = n.name();
            if (v7 && k.contains(".att.x_")) {
                if (!k.endsWith(".att.x_r")) {
                    continue; // fused into x_rwkvag where x_r stands
                }
                String b = k.substring(0, k.length() - "x_r".length());
                List<ValueSource> parts = new ArrayList<>();
                for (String x : new String[] {"x_r", "x_w", "x_k", "x_v", "x_a", "x_g"}) {
                    parts.add(m.values(b + x));
                }
                long c = m.dim("C");
                long[] fused = {6, 1, c};
                out.add(tensor(b + "x_rwkvag", new ValueSource.Stacked(parts, fused), type));
                continue;
            }
            ValueSource t = m.values(k, n.shape());
            if (k.contains(".time_")) {
                t = ValueSource.reshape(t, squeezed(t.shape()));
            }
            if (v7) {
                if (V7_TRANSPOSED.stream().anyMatch(k::contains)) {
                    t = ValueSource.transpose(t);
                }
            } else if (v6) {
                if (k.contains(".time_faaaa")) {
                    t = ValueSource.reshape(t, append(t.shape(), 1));
                }
                if (k.contains(".time_maa_w1") || k.contains(".time_decay_w") || k.contains(".time_maa_w2")) {
                    t = ValueSource.transpose(t);
                }
                if (k.contains(".time_decay") && !k.contains("_w")) {
                    t = ValueSource.reshape(t, new long[] {heads, t.count() / heads, 1});
                }
            } else if (v5) {
                if (k.contains(".time_decay")) {
                    t = ValueSource.applied(t, Layout.ValueForm.EXP_NEG_EXP);
                    t = ValueSource.reshape(t, gate ? append(t.shape(), 1) : new long[] {t.count(), 1, 1});
                }
                if (k.contains(".time_first")) {
                    t = ValueSource.reshape(ValueSource.applied(t, Layout.ValueForm.EXP), new long[] {t.count(), 1, 1});
                }
                if (k.contains(".time_faaaa")) {
                    t = ValueSource.reshape(t, append(t.shape(), 1));
                }
            } else if (k.contains(".time_decay")) {
                t = ValueSource.applied(t, Layout.ValueForm.NEG_EXP);
            }
            out.add(tensor(k, t, type));
        }
        return out;
    }

    /** The tensor in the type rwkv.cpp gives it in a file of {@code type}. */
    private static OutTensor tensor(String name, ValueSource v, DType type) {
        int rank = v.shape().length;
        DType t = DType.F32;
        if (type == DType.F16) {
            if (rank > 1 && FP32_IN_FP16.stream().noneMatch(name::contains)) {
                t = DType.F16;
            }
        } else if (type.isBlockType() && rank == 2 && !name.equals("emb.weight") && !name.equals("head.weight")
                && NOT_QUANTIZED.stream().noneMatch(name::contains)) {
            long row = v.shape()[1];
            if (row % type.blockElements() != 0) {
                throw new IllegalArgumentException(name + ": rows of " + row + " values are not whole " + type
                        + " blocks of " + type.blockElements() + " (rwkv.cpp quantizes every such matrix)");
            }
            t = type;
        }
        return new OutTensor(name, v.shape(), t, v);
    }

    private static long[] squeezed(long[] s) {
        long[] o = Arrays.stream(s).filter(d -> d != 1).toArray();
        return o.length == 0 ? new long[] {1} : o;
    }

    private static long[] append(long[] s, long d) {
        long[] o = Arrays.copyOf(s, s.length + 1);
        o[s.length] = d;
        return o;
    }
}
