package dev.rwkvjava.synthetic;

import dev.rwkvjava.io.SafetensorsWriter;
import dev.rwkvjava.io.SafetensorsWriter.Entry;
import dev.rwkvjava.RwkvVersion;
import dev.rwkvjava.model.TensorSpec;
import dev.rwkvjava.model.VersionDetector;
import dev.rwkvjava.tensor.DType;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Seeded random-weight models with the exact shapes of real checkpoints, written as safetensors so that
 * benchmarks exercise the real loader. Values have realistic magnitudes (layer-norm weights near 1, matrices
 * with standard deviation 1/sqrt(fan_in), decays in the ranges trained models have), so the numerics behave like
 * a real model's; the text they produce is of course meaningless.
 */
public final class SyntheticModels {

    /**
     * A model shape. Version-specific generators read what they need: RWKV-7 also has a head size and the ranks of
     * its low-rank decay (w), in-context learning rate (a), value residual (v) and gate (g) products.
     */
    public record Spec(String name, String version, int nEmbd, int nLayer, int vocab, int ffn,
                       int headSize, int rankW, int rankA, int rankV, int rankG) {
        Spec(String name, String version, int nEmbd, int nLayer, int vocab, int ffn) {
            this(name, version, nEmbd, nLayer, vocab, ffn, 0, 0, 0, 0, 0);
        }
    }

    private static final Map<String, Spec> SPECS = new LinkedHashMap<>();

    static {
        register(new Spec("v4-tiny", "4", 64, 2, 300, 128));
        register(new Spec("v4-169m", "4", 768, 12, 50277, 3072));
        register(new Spec("v4-430m", "4", 1024, 24, 50277, 4096));
        // Ranks as in the released RWKV-7 0.1B (L12-D768) and 1.5B (L24-D2048) checkpoints.
        register(new Spec("v7-tiny", "7", 128, 2, 300, 512, 64, 32, 32, 16, 64));
        register(new Spec("v7-0.1b", "7", 768, 12, 65536, 3072, 64, 64, 64, 32, 128));
        register(new Spec("v7-1.5b", "7", 2048, 24, 65536, 8192, 64, 96, 96, 64, 256));
    }

    private SyntheticModels() {
    }

    /** Adds a shape to the catalogue. */
    static void register(Spec spec) {
        SPECS.put(spec.name(), spec);
    }

    /** Names of the known shapes. */
    public static List<String> names() {
        return List.copyOf(SPECS.keySet());
    }

    public static Spec spec(String name) {
        Spec s = SPECS.get(name.toLowerCase(Locale.ROOT));
        if (s == null) {
            throw new IllegalArgumentException("unknown synthetic model '" + name + "'; known: " + names());
        }
        return s;
    }

    /** Writes the model with weights of the given type (F32, F16 or BF16). */
    public static void write(Spec spec, DType dtype, long seed, Path file) {
        if (!dtype.isWeightType() || dtype.isBlockType()) {
            throw new IllegalArgumentException("weights must be F32, F16 or BF16, not " + dtype);
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("rwkv_version", spec.version());
        meta.put("source", "synthetic " + spec.name() + " seed " + seed);
        SafetensorsWriter.write(file, entries(spec, dtype, seed), meta);
    }

    /**
     * Every tensor of the spec's version schema, in its order: the tensors outside the blocks that come first,
     * then each layer's, then the rest. Values are drawn as the schema's {@link TensorSpec.Init} says.
     */
    static List<Entry> entries(Spec s, DType dt, long seed) {
        RwkvVersion version = Arrays.stream(RwkvVersion.values()).filter(v -> v.label().equals(s.version()))
                .findFirst().orElseThrow(() -> new IllegalArgumentException("no RWKV version " + s.version()));
        List<TensorSpec> tensors = VersionDetector.schema(version).tensors();
        Map<String, Integer> dims = dims(s);
        Gen g = new Gen(dt, seed);
        List<Entry> e = new ArrayList<>();
        int firstLayered = 0;
        while (tensors.get(firstLayered).scope() == TensorSpec.Scope.GLOBAL) {
            firstLayered++;
        }
        for (TensorSpec t : tensors.subList(0, firstLayered)) {
            e.add(g.draw(t.name(), t.init(), t.shape(dims)));
        }
        for (int i = 0; i < s.nLayer(); i++) {
            for (TensorSpec t : tensors.subList(firstLayered, tensors.size())) {
                if (t.scope().in(i)) {
                    e.add(g.draw(t.nameIn(i), t.init(), t.shape(dims)));
                }
            }
        }
        for (TensorSpec t : tensors.subList(firstLayered, tensors.size())) {
            if (t.scope() == TensorSpec.Scope.GLOBAL) {
                e.add(g.draw(t.name(), t.init(), t.shape(dims)));
            }
        }
        return e;
    }

    /** The schema's dimensions for a spec. */
    private static Map<String, Integer> dims(Spec s) {
        Map<String, Integer> d = new HashMap<>(Map.of("C", s.nEmbd(), "V", s.vocab(), "F", s.ffn()));
        if (s.headSize() > 0) {
            d.put("N", s.headSize());
            d.put("H", s.nEmbd() / s.headSize());
            d.put("DW", s.rankW());
            d.put("DA", s.rankA());
            d.put("DV", s.rankV());
            d.put("DG", s.rankG());
        }
        return d;
    }

    /**
     * Draws tensors lazily (each when the writer asks for it) from per-tensor seeds, so a model is the same
     * whatever the order tensors are written in.
     */
    static final class Gen {
        private final DType dtype;
        private final long seed;
        private int counter;

        Gen(DType dtype, long seed) {
            this.dtype = dtype;
            this.seed = seed;
        }

        /** A tensor drawn as {@code init} says. */
        Entry draw(String name, TensorSpec.Init init, long[] shape) {
            return init.kind() == TensorSpec.Init.Kind.UNIFORM ? uniform(name, init.scale(), init.shift(), shape)
                    : normal(name, init.std(shape), init.shift(), shape);
        }

        /** Approximately normal values (sum of uniforms), fast enough for hundreds of millions of draws. */
        Entry normal(String name, double std, double mean, long... shape) {
            long s = seed * 1_000_003L + counter++;
            // The sum of 4 uniforms on [-1, 1) has variance 4/3.
            double k = std / Math.sqrt(4.0 / 3.0);
            return Entry.stream(name, dtype, shape, () -> {
                SplittableRandom r = new SplittableRandom(s);
                return (buf, n) -> {
                    for (int i = 0; i < n; i++) {
                        double u = (r.nextDouble() * 2 - 1) + (r.nextDouble() * 2 - 1)
                                + (r.nextDouble() * 2 - 1) + (r.nextDouble() * 2 - 1);
                        buf[i] = (float) (mean + k * u);
                    }
                };
            });
        }

        Entry uniform(String name, double lo, double hi, long... shape) {
            long s = seed * 1_000_003L + counter++;
            return Entry.stream(name, dtype, shape, () -> {
                SplittableRandom r = new SplittableRandom(s);
                return (buf, n) -> {
                    for (int i = 0; i < n; i++) {
                        buf[i] = (float) (lo + (hi - lo) * r.nextDouble());
                    }
                };
            });
        }
    }
}
