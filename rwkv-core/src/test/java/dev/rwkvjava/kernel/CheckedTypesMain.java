package dev.rwkvjava.kernel;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.synthetic.SyntheticModels;
import dev.rwkvjava.tensor.DType;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Loads a synthetic BF16 model first thing in a fresh JVM and prints the weight types whose matrix kernels were
 * self-checked, then the model's own weight types; {@link KernelProviderTest} runs it.
 */
public final class CheckedTypesMain {
    private CheckedTypesMain() {
    }

    public static void main(String[] args) throws Exception {
        Path file = Files.createTempFile("rwkv-checked-types", ".safetensors");
        try {
            SyntheticModels.write(SyntheticModels.spec("v4-tiny"), DType.BF16, 2, file);
            try (RwkvModel m = RwkvModel.load(file)) {
                System.out.println(KernelProvider.checkedTypes().stream().map(t -> t.dtype().name()).toList());
                System.out.println(m.info().dtypes().keySet());
                System.out.println(m.info().kernels());
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
