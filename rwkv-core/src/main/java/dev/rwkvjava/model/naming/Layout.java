package dev.rwkvjava.model.naming;

/**
 * How a file stores one canonical (BlinkDL) tensor. Every layout keeps the canonical tensor's values reachable
 * without guessing: the same values in the same order (possibly under another shape), their transpose, one part of
 * a fused tensor, or a function of them that is undone at load.
 */
public sealed interface Layout {

    /** The stored tensor holds the canonical values in the same order; only the shape may differ (dims of 1). */
    record Same() implements Layout {
    }

    /** The stored tensor is the canonical one with its last two dimensions swapped (batched over any others). */
    record Transposed() implements Layout {
    }

    /** The canonical tensor is part {@code index} of {@code count} equal consecutive parts of the stored one. */
    record Part(int index, int count) implements Layout {
        public Part {
            if (count < 1 || index < 0 || index >= count) {
                throw new IllegalArgumentException("part " + index + " of " + count);
            }
        }
    }

    /** The stored tensor holds {@code form} applied to each canonical value, in the same order. */
    record Stored(ValueForm form) implements Layout {
    }

    /** A function of a canonical value that some converters store instead of the value. */
    enum ValueForm {
        /** −exp(w): rwkv.cpp's RWKV-4 decay. */
        NEG_EXP,
        /** exp(−exp(w)): rwkv.cpp's RWKV-5 decay. */
        EXP_NEG_EXP,
        /** exp(u): rwkv.cpp's RWKV-5.0/5.1 bonus. */
        EXP;

        /** The canonical value a stored one came from, computed in double precision. */
        public double invert(double stored) {
            return switch (this) {
                case NEG_EXP -> Math.log(-stored);
                case EXP_NEG_EXP -> Math.log(-Math.log(stored));
                case EXP -> Math.log(stored);
            };
        }
    }

    Same SAME = new Same();
    Transposed TRANSPOSED = new Transposed();
}
