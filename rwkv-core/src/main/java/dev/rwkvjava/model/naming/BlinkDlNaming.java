package dev.rwkvjava.model.naming;

import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.io.TensorStore;

import java.util.ArrayList;
import java.util.List;

/** BlinkDL's own names ({@code emb.weight}, {@code blocks.N.att.key.weight}, ...): the canonical ones, kept as is. */
public final class BlinkDlNaming implements NamingFamily {
    static final BlinkDlNaming INSTANCE = new BlinkDlNaming();

    private BlinkDlNaming() {
    }

    @Override
    public String label() {
        return "blinkdl";
    }

    @Override
    public List<CanonicalTensor> canonical(TensorStore store) {
        List<CanonicalTensor> out = new ArrayList<>();
        for (TensorInfo t : store.tensors()) {
            out.add(CanonicalTensor.same(t.name(), t));
        }
        return out;
    }
}
