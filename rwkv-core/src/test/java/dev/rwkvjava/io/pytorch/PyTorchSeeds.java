package dev.rwkvjava.io.pytorch;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Writes small torch.save-style checkpoints for the fuzzers' seeds (see dev.rwkvjava.fuzz.FuzzSeeds). */
public final class PyTorchSeeds {
    private PyTorchSeeds() {
    }

    /**
     * One tensor: its name, torch storage class ({@code FloatStorage}, {@code HalfStorage}, {@code BFloat16Storage}),
     * shape and little-endian data.
     */
    public record Tensor(String name, String storage, long[] shape, byte[] data) {
    }

    /** An {@code OrderedDict} of the tensors, each over a storage of its own, in a current torch.save archive. */
    public static byte[] checkpoint(List<Tensor> tensors) {
        PickleBuilder p = new PickleBuilder().proto(2).orderedDict().mark();
        Map<String, byte[]> storages = new LinkedHashMap<>();
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            String key = Integer.toString(i);
            p.str(t.name()).tensor(t.storage(), key, t.shape());
            storages.put(key, t.data());
        }
        p.setitems().stop();
        return Checkpoints.archive(p.bytes(), storages, false).bytes();
    }
}
