package dev.rwkvjava.model.v4;

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

/** The tensors of RWKV-4 (data README, section 5). Dimensions: C, V, and the FFN width F. */
public final class V4Schema implements VersionSchema {
    public static final V4Schema INSTANCE = new V4Schema();

    private static final List<TensorSpec> TENSORS;

    static {
        List<TensorSpec> l = new ArrayList<>(TensorSpec.embeddingAndNorms());
        l.add(layer("att.time_decay", uniform(-5, 3), "C"));
        l.add(layer("att.time_first", normal(0.5, 0), "C"));
        for (String m : new String[] {"k", "v", "r"}) {
            l.add(layer("att.time_mix_" + m, uniform(0, 1), "1", "1", "C"));
        }
        for (String m : new String[] {"key", "value", "receptance", "output"}) {
            l.add(layer("att." + m + ".weight", fanIn(1), "C", "C"));
        }
        l.add(layer("ffn.time_mix_k", uniform(0, 1), "1", "1", "C"));
        l.add(layer("ffn.time_mix_r", uniform(0, 1), "1", "1", "C"));
        l.add(layer("ffn.key.weight", fanIn(1), "F", "C"));
        l.add(layer("ffn.receptance.weight", fanIn(1), "C", "C"));
        l.add(layer("ffn.value.weight", fanIn(1), "C", "F"));
        l.addAll(TensorSpec.outputHead());
        TENSORS = List.copyOf(l);
    }

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
