package dev.rwkvjava.model.v6;

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
 * The tensors of RWKV 6.0 (data README, section 5): data-dependent token shift ({@code time_maa_*} with the
 * low-rank {@code time_maa_w1/w2}) and decay ({@code time_decay_w1/w2}), per-channel bonus {@code time_faaaa}.
 * Dimensions: C, V, F, H and N (from {@code time_faaaa} [H, N]), DMIX (the shift's rank, a fifth of
 * {@code time_maa_w1}'s width) and DDECAY (the decay's rank).
 */
public final class V6Schema implements VersionSchema {
    public static final V6Schema INSTANCE = new V6Schema();

    private static final List<TensorSpec> TENSORS;

    static {
        List<TensorSpec> l = new ArrayList<>();
        l.addAll(TensorSpec.embeddingAndNorms());
        for (String m : new String[] {"x", "w", "k", "v", "r", "g"}) {
            l.add(layer("att.time_maa_" + m, uniform(0, 1), "1", "1", "C"));
        }
        l.add(layer("att.time_maa_w1", fanOut(1), "C", "5*DMIX"));
        l.add(layer("att.time_maa_w2", normal(0.02, 0), "5", "DMIX", "C"));
        l.add(layer("att.time_decay", uniform(-6, -1), "1", "1", "C"));
        l.add(layer("att.time_decay_w1", fanOut(1), "C", "DDECAY"));
        l.add(layer("att.time_decay_w2", fanOut(0.1), "DDECAY", "C"));
        l.add(layer("att.time_faaaa", normal(0.3, 0), "H", "N"));
        for (String m : new String[] {"receptance", "key", "value", "output", "gate"}) {
            l.add(layer("att." + m + ".weight", fanIn(1), "C", "C"));
        }
        l.add(layer("att.ln_x.weight", normal(0.1, 1), "C"));
        l.add(layer("att.ln_x.bias", normal(0.05, 0), "C"));
        l.add(layer("ffn.time_maa_k", uniform(0, 1), "1", "1", "C"));
        l.add(layer("ffn.time_maa_r", uniform(0, 1), "1", "1", "C"));
        l.add(layer("ffn.key.weight", fanIn(1), "F", "C"));
        l.add(layer("ffn.receptance.weight", fanIn(1), "C", "C"));
        l.add(layer("ffn.value.weight", fanIn(1), "C", "F"));
        l.addAll(TensorSpec.outputHead());
        TENSORS = List.copyOf(l);
    }

    private V6Schema() {
    }

    @Override
    public RwkvVersion version() {
        return RwkvVersion.V6_0;
    }

    @Override
    public List<TensorSpec> tensors() {
        return TENSORS;
    }

    @Override
    public Map<String, Integer> dimensions(ModelTensors t, int c, int vocab, List<String> problems) {
        Integer f = dev.rwkvjava.model.v5.V5Schema.ffn(t, problems);
        CanonicalTensor bonus = dev.rwkvjava.model.v5.V5Schema.firstInAnyLayer(t, "att.time_faaaa");
        CanonicalTensor maaW1 = t.find("blocks.0.att.time_maa_w1");
        CanonicalTensor decayW1 = t.find("blocks.0.att.time_decay_w1");
        if (bonus == null || bonus.rank() != 2 || bonus.dim(0) * bonus.dim(1) != c) {
            problems.add(bonus == null ? "tensor 'blocks.0.att.time_faaaa' is missing" : "tensor '" + bonus.describe()
                    + "' has shape " + bonus.shapeString() + ", expected [H, N] with H·N = " + c);
            return null;
        }
        if (maaW1 == null || maaW1.rank() != 2 || maaW1.dim(1) % 5 != 0) {
            problems.add(maaW1 == null ? "tensor 'blocks.0.att.time_maa_w1' is missing" : "tensor '"
                    + maaW1.describe() + "' has shape " + maaW1.shapeString() + ", expected [C, 5·D_MIX]");
            return null;
        }
        if (decayW1 == null || decayW1.rank() != 2) {
            problems.add(decayW1 == null ? "tensor 'blocks.0.att.time_decay_w1' is missing" : "tensor '"
                    + decayW1.describe() + "' has shape " + decayW1.shapeString() + ", expected [C, D_DECAY]");
            return null;
        }
        if (f == null) {
            return null;
        }
        Map<String, Integer> d = new HashMap<>(Map.of("C", c, "V", vocab, "F", f));
        d.put("H", VersionSchema.dim(t, bonus, bonus.dim(0)));
        d.put("N", VersionSchema.dim(t, bonus, bonus.dim(1)));
        d.put("DMIX", VersionSchema.dim(t, maaW1, maaW1.dim(1) / 5));
        d.put("DDECAY", VersionSchema.dim(t, decayW1, decayW1.dim(1)));
        return d;
    }
}
