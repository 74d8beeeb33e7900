package dev.rwkvjava.model;

import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.WeightType;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Quantization on load: the weight matrices of the chosen {@link WeightRole roles} are converted from the file's
 * F32, F16 or BF16 into {@code type} (the head into {@code headType}) while the model loads, with the type's
 * encoder (ggml's reference quantizers for the block types, rounding to nearest for the float types), one new
 * buffer per matrix.
 *
 * <p>What is never converted: the small vectors (layer norms, token-shift mixes, decay and bonus vectors, RWKV-7's
 * {@code w0/a0/v0}, {@code k_k}, {@code k_a}, {@code r_k}), which are read as float arrays; and any matrix whose
 * rows are not a whole number of its type's blocks (32 values, 256 for the k-quants), which keeps its stored type
 * (except a head given a higher-precision type than the rest, which then takes Q8_0 if its rows are whole blocks
 * of 32).
 *
 * @param type     the type the matrices are converted to
 * @param roles    the roles of the matrices converted
 * @param headType the type of the head, when {@link WeightRole#HEAD} is among the roles
 */
public record Quantization(WeightType type, Set<WeightRole> roles, WeightType headType) {

    /**
     * The roles {@link #of(WeightType)} converts: the projections and the head, the matrices a token reads in
     * full. The embedding tables stay as stored: a token reads one row of them, so converting them saves memory but
     * no time, and their rounding reaches every layer through the residual stream (on the tiny trained models, Q4_0
     * embeddings alone move the logits as much as all the projections together). The low-rank factors stay too: a
     * few percent of the bytes, and RWKV-6's feed the token-shift mixes and the decay of the state directly.
     */
    public static final Set<WeightRole> DEFAULT_ROLES =
            Collections.unmodifiableSet(EnumSet.of(WeightRole.HEAD, WeightRole.PROJECTION));

    private static final Set<DType> BELOW_SIX_BITS =
            EnumSet.of(DType.Q4_0, DType.Q4_1, DType.Q5_0, DType.Q5_1, DType.Q4_K, DType.Q5_K);

    public Quantization {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(roles, "roles");
        Objects.requireNonNull(headType, "headType");
        roles = roles.isEmpty() ? Collections.unmodifiableSet(EnumSet.noneOf(WeightRole.class))
                : Collections.unmodifiableSet(EnumSet.copyOf(roles));
    }

    /** Conversion of the matrices of {@code roles}, the head included, to {@code type}. */
    public Quantization(WeightType type, Set<WeightRole> roles) {
        this(type, roles, type);
    }

    /**
     * Conversion to {@code type} of the {@link #DEFAULT_ROLES}, with the head at six bits or more: Q6_K for the
     * 4- and 5-bit types (Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K), as llama.cpp's quantizer does, since the head's
     * rounding goes straight into the logits (on the tiny trained models a Q4_0 head alone moves the next-token
     * distribution 20 times as much as all the Q4_0 projections together); {@code type} itself otherwise.
     */
    public static Quantization of(WeightType type) {
        WeightType head = BELOW_SIX_BITS.contains(type.dtype()) ? WeightType.of(DType.Q6_K) : type;
        return new Quantization(type, DEFAULT_ROLES, head);
    }

    /** Whether the matrix with canonical name {@code name} is one this quantization converts. */
    public boolean covers(String name) {
        return roles.contains(WeightRole.of(name));
    }

    /**
     * The type the matrix with canonical name {@code name} and rows of {@code cols} values converts to, or null
     * when it keeps its stored type (not covered, or rows that are not whole blocks).
     */
    public WeightType typeFor(String name, int cols) {
        WeightRole role = WeightRole.of(name);
        if (!roles.contains(role)) {
            return null;
        }
        WeightType t = role == WeightRole.HEAD ? headType : type;
        if (cols % t.blockElements() == 0) {
            return t;
        }
        WeightType q8 = WeightType.of(DType.Q8_0);
        return role == WeightRole.HEAD && headType != type && cols % q8.blockElements() == 0 ? q8 : null;
    }

    /** The type's lower-case ggml name, e.g. {@code q8_0}. */
    public String typeName() {
        return type.dtype().name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return typeName() + (headType != type ? " (head " + headType.dtype().name().toLowerCase(Locale.ROOT) + ")" : "")
                + (roles.equals(DEFAULT_ROLES) ? "" : " " + roles);
    }
}
