package dev.rwkvjava.model;

import java.util.Arrays;
import java.util.Map;

/**
 * One tensor of a version's schema: its BlinkDL name, which layers have it, its shape in terms of the model's
 * dimensions, and how a synthetic model fills it.
 *
 * @param name  the name, relative to {@code blocks.N.} for per-layer tensors
 * @param scope which layers have it (or none: a tensor outside the blocks)
 * @param shape the BlinkDL shape, each entry a dimension name ({@code C}, {@code F}, {@code V}, {@code H},
 *              {@code N} and the version's own), a number, or a product of those ({@code 5*DMIX})
 * @param init  how a synthetic model draws its values
 */
public record TensorSpec(String name, Scope scope, String[] shape, Init init) {

    /** Which layers hold a tensor. */
    public enum Scope {
        /** Outside the blocks (embedding, final norm, head). */
        GLOBAL,
        /** Layer 0 only (ln0). */
        FIRST_LAYER,
        /** Every layer. */
        EVERY_LAYER,
        /** Every layer but the first (RWKV-7's value residual, which layer 0 does not need). */
        LATER_LAYERS;

        /** Whether layer {@code layer} holds the tensor. */
        public boolean in(int layer) {
            return switch (this) {
                case GLOBAL -> false;
                case FIRST_LAYER -> layer == 0;
                case EVERY_LAYER -> true;
                case LATER_LAYERS -> layer > 0;
            };
        }
    }

    /**
     * How a synthetic model draws a tensor's values: realistic magnitudes, so that the numerics of a benchmark
     * behave like a trained model's.
     *
     * @param kind  the distribution
     * @param scale the standard deviation (NORMAL), or the numerator of std = scale / sqrt(the last dimension)
     *              (FAN_IN) or of the first dimension (FAN_OUT); the lower bound for UNIFORM
     * @param shift the mean (NORMAL and the fan kinds), or the upper bound (UNIFORM)
     */
    public record Init(Kind kind, double scale, double shift) {
        public enum Kind { NORMAL, UNIFORM, FAN_IN, FAN_OUT }

        public static Init normal(double std, double mean) {
            return new Init(Kind.NORMAL, std, mean);
        }

        public static Init uniform(double lo, double hi) {
            return new Init(Kind.UNIFORM, lo, hi);
        }

        /** Normal with std = k / sqrt(in), in being the last dimension (a W·x matrix's input width). */
        public static Init fanIn(double k) {
            return new Init(Kind.FAN_IN, k, 0);
        }

        /** Normal with std = k / sqrt(d), d being the first dimension (the rank of an up-projection). */
        public static Init fanOut(double k) {
            return new Init(Kind.FAN_OUT, k, 0);
        }

        /** The standard deviation for a tensor of the given shape (NORMAL and the fan kinds). */
        public double std(long[] shape) {
            return switch (kind) {
                case FAN_IN -> scale / Math.sqrt(shape[shape.length - 1]);
                case FAN_OUT -> scale / Math.sqrt(shape[0]);
                default -> scale;
            };
        }
    }

    /** What every version begins with: the embedding, layer 0's ln0, and each layer's ln1 and ln2. */
    public static java.util.List<TensorSpec> embeddingAndNorms() {
        return java.util.List.of(
                global("emb.weight", Init.normal(0.1, 0), "V", "C"),
                new TensorSpec("ln0.weight", Scope.FIRST_LAYER, new String[] {"C"}, Init.normal(0.1, 1)),
                new TensorSpec("ln0.bias", Scope.FIRST_LAYER, new String[] {"C"}, Init.normal(0.05, 0)),
                layer("ln1.weight", Init.normal(0.1, 1), "C"),
                layer("ln1.bias", Init.normal(0.05, 0), "C"),
                layer("ln2.weight", Init.normal(0.1, 1), "C"),
                layer("ln2.bias", Init.normal(0.05, 0), "C"));
    }

    /** What every version ends with: the final layer norm and the vocabulary projection. */
    public static java.util.List<TensorSpec> outputHead() {
        return java.util.List.of(
                global("ln_out.weight", Init.normal(0.1, 1), "C"),
                global("ln_out.bias", Init.normal(0.05, 0), "C"),
                global("head.weight", Init.fanIn(3), "V", "C"));
    }

    public static TensorSpec global(String name, Init init, String... shape) {
        return new TensorSpec(name, Scope.GLOBAL, shape, init);
    }

    public static TensorSpec layer(String name, Init init, String... shape) {
        return new TensorSpec(name, Scope.EVERY_LAYER, shape, init);
    }

    /** The full name in layer i ({@code blocks.i.name}), or the name itself outside the blocks. */
    public String nameIn(int layer) {
        return scope == Scope.GLOBAL ? name : "blocks." + layer + "." + name;
    }

    /** The concrete shape for a model's dimensions. */
    public long[] shape(Map<String, Integer> dims) {
        long[] out = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            long v = 1;
            for (String factor : shape[i].split("\\*")) {
                if (Character.isDigit(factor.charAt(0))) {
                    v *= Long.parseLong(factor);
                } else {
                    Integer d = dims.get(factor);
                    if (d == null) {
                        throw new IllegalArgumentException("dimension " + factor + " of " + name + " is not known");
                    }
                    v *= d;
                }
            }
            out[i] = v;
        }
        return out;
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
