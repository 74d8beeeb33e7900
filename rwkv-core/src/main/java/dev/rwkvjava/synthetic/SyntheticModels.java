package dev.rwkvjava.synthetic;

import dev.rwkvjava.io.SafetensorsWriter;
import dev.rwkvjava.io.SafetensorsWriter.Entry;
import dev.rwkvjava.tensor.DType;

import java.nio.file.Path;
import java.util.ArrayList;
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
        List<Entry> entries = switch (spec.version()) {
            case "4" -> v4(spec, dtype, seed);
            case "7" -> v7(spec, dtype, seed);
            default -> throw new IllegalArgumentException("no generator for RWKV " + spec.version());
        };
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("rwkv_version", spec.version());
        meta.put("source", "synthetic " + spec.name() + " seed " + seed);
        SafetensorsWriter.write(file, entries, meta);
    }

    private static List<Entry> v4(Spec s, DType dt, long seed) {
        Gen g = new Gen(dt, seed);
        int c = s.nEmbd();
        int f = s.ffn();
        List<Entry> e = new ArrayList<>();
        e.add(g.normal("emb.weight", 0.1, 0, s.vocab(), c));
        for (int i = 0; i < s.nLayer(); i++) {
            String p = "blocks." + i + ".";
            if (i == 0) {
                g.layerNorm(e, p + "ln0", c);
            }
            g.layerNorm(e, p + "ln1", c);
            g.layerNorm(e, p + "ln2", c);
            e.add(g.uniform(p + "att.time_decay", -5, 3, c));
            e.add(g.normal(p + "att.time_first", 0.5, 0, c));
            for (String m : new String[] {"att.time_mix_k", "att.time_mix_v", "att.time_mix_r"}) {
                e.add(g.uniform(p + m, 0, 1, 1, 1, c));
            }
            for (String m : new String[] {"att.key", "att.value", "att.receptance", "att.output"}) {
                e.add(g.linear(p + m + ".weight", c, c));
            }
            e.add(g.uniform(p + "ffn.time_mix_k", 0, 1, 1, 1, c));
            e.add(g.uniform(p + "ffn.time_mix_r", 0, 1, 1, 1, c));
            e.add(g.linear(p + "ffn.key.weight", f, c));
            e.add(g.linear(p + "ffn.receptance.weight", c, c));
            e.add(g.linear(p + "ffn.value.weight", c, f));
        }
        g.layerNorm(e, "ln_out", c);
        e.add(g.normal("head.weight", 3.0 / Math.sqrt(c), 0, s.vocab(), c));
        return e;
    }

    private static List<Entry> v7(Spec s, DType dt, long seed) {
        Gen g = new Gen(dt, seed);
        int c = s.nEmbd();
        int f = s.ffn();
        int heads = c / s.headSize();
        List<Entry> e = new ArrayList<>();
        e.add(g.normal("emb.weight", 0.1, 0, s.vocab(), c));
        for (int i = 0; i < s.nLayer(); i++) {
            String p = "blocks." + i + ".";
            if (i == 0) {
                g.layerNorm(e, p + "ln0", c);
            }
            g.layerNorm(e, p + "ln1", c);
            g.layerNorm(e, p + "ln2", c);
            for (String m : new String[] {"x_r", "x_w", "x_k", "x_v", "x_a", "x_g"}) {
                e.add(g.uniform(p + "att." + m, 0, 1, 1, 1, c));
            }
            e.add(g.uniform(p + "att.w0", -6.5, -1.5, 1, 1, c));
            lowRank(g, e, p + "att.w", c, s.rankW());
            e.add(g.normal(p + "att.a0", 0.3, 0, 1, 1, c));
            lowRank(g, e, p + "att.a", c, s.rankA());
            if (i > 0) {
                e.add(g.normal(p + "att.v0", 0.3, 1, 1, 1, c));
                lowRank(g, e, p + "att.v", c, s.rankV());
            }
            lowRank(g, e, p + "att.g", c, s.rankG());
            e.add(g.normal(p + "att.k_k", 0.1, 0.85, 1, 1, c));
            e.add(g.normal(p + "att.k_a", 0.1, 1, 1, 1, c));
            e.add(g.normal(p + "att.r_k", 0.3, 0, heads, s.headSize()));
            for (String m : new String[] {"receptance", "key", "value", "output"}) {
                e.add(g.linear(p + "att." + m + ".weight", c, c));
            }
            g.layerNorm(e, p + "att.ln_x", c);
            e.add(g.uniform(p + "ffn.x_k", 0, 1, 1, 1, c));
            e.add(g.linear(p + "ffn.key.weight", f, c));
            e.add(g.linear(p + "ffn.value.weight", c, f));
        }
        g.layerNorm(e, "ln_out", c);
        e.add(g.normal("head.weight", 3.0 / Math.sqrt(c), 0, s.vocab(), c));
        return e;
    }

    /** A low-rank pair {@code prefix1} [C, D] and {@code prefix2} [D, C]. */
    private static void lowRank(Gen g, List<Entry> e, String prefix, int c, int rank) {
        e.add(g.normal(prefix + "1", 1.0 / Math.sqrt(c), 0, c, rank));
        e.add(g.normal(prefix + "2", 0.1 / Math.sqrt(rank), 0, rank, c));
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

        /** Matrix [out, in] with standard deviation 1/sqrt(in). */
        Entry linear(String name, int out, int in) {
            return normal(name, 1.0 / Math.sqrt(in), 0, out, in);
        }

        void layerNorm(List<Entry> e, String prefix, int c) {
            e.add(normal(prefix + ".weight", 0.1, 1, c));
            e.add(normal(prefix + ".bias", 0.05, 0, c));
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
