package dev.rwkvjava.model.v4;

import dev.rwkvjava.model.ModelTensors;
import dev.rwkvjava.model.RwkvVersion;
import dev.rwkvjava.model.TensorSpec;
import dev.rwkvjava.model.VersionSchema;
import dev.rwkvjava.model.naming.CanonicalTensor;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.rwkvjava.model.TensorSpec.Init.fanIn;
import static dev.rwkvjava.model.TensorSpec.Init.normal;
import static dev.rwkvjava.model.TensorSpec.Init.uniform;
import static dev.rwkvjava.model.TensorSpec.global;
import static dev.rwkvjava.model.TensorSpec.layer;

/** The tensors of RWKV-4 (data README, section 5). Dimensions: C, V, and the FFN width F. */
public final class V4Schema implements VersionSchema {
    public static final V4Schema INSTANCE = new V4Schema();

    private static final List<TensorSpec> TENSORS = List.of(
            global("emb.weight", normal(0.1, 0), "V", "C"),
            new TensorSpec("ln0.weight", TensorSpec.Scope.FIRST_LAYER, new String[] {"C"}, normal(0.1, 1)),
            new TensorSpec("ln0.bias", TensorSpec.Scope.FIRST_LAYER, new String[] {"C"}, normal(0.05, 0)),
            layer("ln1.weight", normal(0.1, 1), "C"),
            layer("ln1.bias", normal(0.05, 0), "C"),
            layer("ln2.weight", normal(0.1, 1), "C"),
            layer("ln2.bias", normal(0.05, 0), "C"),
            layer("att.time_decay", uniform(-5, 3), "C"),
            layer("att.time_first", normal(0.5, 0), "C"),
            layer("att.time_mix_k", uniform(0, 1), "1", "1", "C"),
            layer("att.time_mix_v", uniform(0, 1), "1", "1", "C"),
            layer("att.time_mix_r", uniform(0, 1), "1", "1", "C"),
            layer("att.key.weight", fanIn(1), "C", "C"),
            layer("att.value.weight", fanIn(1), "C", "C"),
            layer("att.receptance.weight", fanIn(1), "C", "C"),
            layer("att.output.weight", fanIn(1), "C", "C"),
            layer("ffn.time_mix_k", uniform(0, 1), "1", "1", "C"),
            layer("ffn.time_mix_r", uniform(0, 1), "1", "1", "C"),
            layer("ffn.key.weight", fanIn(1), "F", "C"),
            layer("ffn.receptance.weight", fanIn(1), "C", "C"),
            layer("ffn.value.weight", fanIn(1), "C", "F"),
            global("ln_out.weight", normal(0.1, 1), "C"),
            global("ln_out.bias", normal(0.05, 0), "C"),
            global("head.weight", fanIn(3), "V", "C"));

    private V4Schema() {
    }

    @Override
    public RwkvVersion version() {
        return RwkvVersion.V4;
    }

    @Override
    public List<TensorSpec> tensors() {
        return TENSORS;
    }

    @Override
    public Map<String, Integer> dimensions(ModelTensors t, int c, int vocab, List<String> problems) {
        Map<String, Integer> d = new HashMap<>(Map.of("C", c, "V", vocab));
        CanonicalTensor k = t.find("blocks.0.ffn.key.weight");
        if (k == null || k.rank() != 2) {
            problems.add(k == null ? "tensor 'blocks.0.ffn.key.weight' is missing"
                    : "tensor '" + k.describe() + "' has shape " + k.shapeString() + ", expected [F, C]");
            return null;
        }
        d.put("F", VersionSchema.dim(t, k, k.dim(0)));
        return d;
    }
}
