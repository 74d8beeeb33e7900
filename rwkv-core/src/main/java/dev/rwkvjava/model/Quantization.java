package dev.rwkvjava.model;

import dev.rwkvjava.tensor.WeightType;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Quantization on load: the weight matrices of the chosen {@link WeightRole roles} are converted from the file's
 * F32, F16 or BF16 into {@code type} while the model loads (with the type's encoder: ggml's reference quantizers
 * for the block types, rounding to nearest for the float types), one new buffer per matrix.
 *
 * <p>What is never converted: the small vectors (layer norms, token-shift mixes, decay and bonus vectors, RWKV-7's
 * {@code w0/a0/v0}, {@code k_k}, {@code k_a}, {@code r_k}), which are read as float arrays; and any matrix whose
 * rows are not a whole number of the type's blocks (32 values, 256 for the k-quants), which keeps its stored type.
 *
 * @param type  the type the matrices are converted to
 * @param roles the roles of the matrices converted
 */
public record Quantization(WeightType type, Set<WeightRole> roles) {

    /**
     * The roles {@link #of(WeightType)} converts: the projections and the head, the matrices a token reads in
     * full. The embedding tables stay as stored: a token reads one row of them, so converting them saves memory but
     * no time, and their rounding reaches every layer through the residual stream (on the tiny trained models, Q4_0
     * embeddings alone move the logits as much as all the projections together). The low-rank factors stay too: a
     * few percent of the bytes, and RWKV-6's feed the token-shift mixes and the decay of the state directly.
     */
    public static final Set<WeightRole> DEFAULT_ROLES =
            Collections.unmodifiableSet(EnumSet.of(WeightRole.HEAD, WeightRole.PROJECTION));

    public Quantization {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(roles, "roles");
        roles = roles.isEmpty() ? Collections.unmodifiableSet(EnumSet.noneOf(WeightRole.class))
                : Collections.unmodifiableSet(EnumSet.copyOf(roles));
    }

    /** Conversion to {@code type} of the {@link #DEFAULT_ROLES}. */
    public static Quantization of(WeightType type) {
        return new Quantization(type, DEFAULT_ROLES);
    }

    /** Whether the matrix with canonical name {@code name} is one this quantization converts. */
    public boolean covers(String name) {
        return roles.contains(WeightRole.of(name));
    }

    /** The type's lower-case ggml name, e.g. {@code q8_0}. */
    public String typeName() {
        return type.dtype().name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return typeName() + (roles.equals(DEFAULT_ROLES) ? "" : " " + roles);
    }
}
