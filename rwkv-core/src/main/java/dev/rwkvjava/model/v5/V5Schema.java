package dev.rwkvjava.model.v5;

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
import static dev.rwkvjava.model.TensorSpec.Init.normal;
import static dev.rwkvjava.model.TensorSpec.Init.uniform;
import static dev.rwkvjava.model.TensorSpec.layer;

/**
 * The tensors of RWKV 5.0, 5.1 and 5.2 (data README, section 5). The three differ in the gate (5.1 on) and in the
 * decay: one per head [H] up to 5.1, one per channel [H, N] in 5.2. Up to 5.1 the bonus is {@code time_first}
 * (used as exp(u)) or, in later checkpoints of those versions, {@code time_faaaa}, either [H]; 5.2 has
 * {@code time_faaaa} [H, N]. Dimensions: C, V, F, the head count H (from the decay) and head size N = C / H.
 */
public final class V5Schema implements VersionSchema {
    private static final String BONUS = "att.time_first";

    private final RwkvVersion version;
    private final List<TensorSpec> tensors;

    private V5Schema(RwkvVersion version) {
        this.version = version;
        boolean gated = version != RwkvVersion.V5_0;
        boolean perChannel = version == RwkvVersion.V5_2;
        List<TensorSpec> l = new ArrayList<>();
        l.addAll(TensorSpec.embeddingAndNorms());
        for (String m : gated ? new String[] {"k", "v", "r", "g"} : new String[] {"k", "v", "r"}) {
            l.add(layer("att.time_mix_" + m, uniform(0, 1), "1", "1", "C"));
        }
        if (perChannel) {
            l.add(layer("att.time_decay", uniform(-6, -1), "H", "N"));
            l.add(layer("att.time_faaaa", normal(0.3, 0), "H", "N"));
        } else {
            l.add(layer("att.time_decay", uniform(-6, -1), "H"));
            l.add(layer(BONUS, normal(0.3, 0), "H"));
        }
        for (String m : new String[] {"receptance", "key", "value", "output"}) {
            l.add(layer("att." + m + ".weight", fanIn(1), "C", "C"));
        }
        if (gated) {
            l.add(layer("att.gate.weight", fanIn(1), "C", "C"));
        }
        l.add(layer("att.ln_x.weight", normal(0.1, 1), "C"));
        l.add(layer("att.ln_x.bias", normal(0.05, 0), "C"));
        l.add(layer("ffn.time_mix_k", uniform(0, 1), "1", "1", "C"));
        l.add(layer("ffn.time_mix_r", uniform(0, 1), "1", "1", "C"));
        l.add(layer("ffn.key.weight", fanIn(1), "F", "C"));
        l.add(layer("ffn.receptance.weight", fanIn(1), "C", "C"));
        l.add(layer("ffn.value.weight", fanIn(1), "C", "F"));
        l.addAll(TensorSpec.outputHead());
        this.tensors = List.copyOf(l);
    }

    /** The schema of one of the three versions. */
    public static V5Schema of(RwkvVersion version) {
        return switch (version) {
            case V5_0, V5_1, V5_2 -> new V5Schema(version);
            default -> throw new IllegalArgumentException("not an RWKV-5 version: " + version);
        };
    }

    @Override
    public RwkvVersion version() {
        return version;
    }

    @Override
    public List<TensorSpec> tensors() {
        return tensors;
    }

    @Override
    public Map<String, Integer> dimensions(ModelTensors t, int c, int vocab, List<String> problems) {
        Integer f = ffn(t, problems);
        CanonicalTensor decay = firstInAnyLayer(t, "att.time_decay");
        if (decay == null) {
            problems.add("tensor 'blocks.0.att.time_decay' is missing");
            return null;
        }
        boolean perChannel = version == RwkvVersion.V5_2;
        long heads = decay.rank() == 0 ? 0 : decay.dim(0);
        boolean ok = heads > 0 && c % heads == 0
                && (perChannel ? decay.hasShape(heads, c / heads) : decay.elementCount() == heads);
        if (!ok) {
            problems.add("tensor '" + decay.describe() + "' has shape " + decay.shapeString() + ", expected "
                    + (perChannel ? "[H, N] with H·N = " : "[H] with H dividing ") + c);
            return null;
        }
        if (f == null) {
            return null;
        }
        Map<String, Integer> d = new HashMap<>(Map.of("C", c, "V", vocab, "F", f));
        d.put("H", (int) heads);
        d.put("N", c / (int) heads);
        return d;
    }

    /** Up to 5.1 the bonus is {@code time_first} or {@code time_faaaa}: exactly one of them. */
    @Override
    public void check(ModelTensors t, Map<String, Integer> dims, int layers, List<String> problems) {
        for (TensorSpec s : tensors) {
            if (s.name().equals(BONUS)) {
                continue;
            }
            for (int i = 0; i < (s.scope() == TensorSpec.Scope.GLOBAL ? 1 : layers); i++) {
                if (s.scope() == TensorSpec.Scope.GLOBAL || s.scope().in(i)) {
                    VersionSchema.expect(t, s.nameIn(i), s.shape(dims), problems);
                }
            }
        }
        if (version == RwkvVersion.V5_2) {
            return;
        }
        long[] shape = {dims.get("H")};
        for (int i = 0; i < layers; i++) {
            String p = "blocks." + i + ".att.";
            boolean first = t.has(p + "time_first");
            boolean faaaa = t.has(p + "time_faaaa");
            if (first && faaaa) {
                problems.add("both '" + p + "time_first' and '" + p + "time_faaaa' are present (one bonus expected)");
            } else if (!first && !faaaa) {
                problems.add("tensor '" + p + "time_first' (or '" + p + "time_faaaa') is missing");
            } else {
                VersionSchema.expect(t, p + (first ? "time_first" : "time_faaaa"), shape, problems);
            }
        }
    }

    /** The FFN width F from layer 0's key matrix [F, C] (RWKV-5 and 6), or null with a problem recorded. */
    public static Integer ffn(ModelTensors t, List<String> problems) {
        CanonicalTensor k = t.find("blocks.0.ffn.key.weight");
        if (k == null || k.rank() != 2) {
            problems.add(k == null ? "tensor 'blocks.0.ffn.key.weight' is missing"
                    : "tensor '" + k.describe() + "' has shape " + k.shapeString() + ", expected [F, C]");
            return null;
        }
        return VersionSchema.dim(t, k, k.dim(0));
    }

    /** The tensor {@code blocks.i.<suffix>} of the first layer that has it, or null. */
    public static CanonicalTensor firstInAnyLayer(ModelTensors t, String suffix) {
        for (int i = 0; t.has("blocks." + i + ".ln1.weight") || i == 0; i++) {
            CanonicalTensor info = t.find("blocks." + i + "." + suffix);
            if (info != null) {
                return info;
            }
        }
        return null;
    }
}
