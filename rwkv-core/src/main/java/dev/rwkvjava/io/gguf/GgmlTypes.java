package dev.rwkvjava.io.gguf;

import dev.rwkvjava.tensor.DType;

/** ggml's tensor type ids as GGUF stores them: the ones read here, and the names of the others for messages. */
final class GgmlTypes {
    private static final String[] NAMES = {
        "F32", "F16", "Q4_0", "Q4_1", "Q4_2 (removed)", "Q4_3 (removed)", "Q5_0", "Q5_1", "Q8_0", "Q8_1",
        "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S",
        "IQ4_NL", "IQ3_S", "IQ2_S", "IQ4_XS", "I8", "I16", "I32", "I64", "F64", "IQ1_M",
        "BF16", "Q4_0_4_4 (removed)", "Q4_0_4_8 (removed)", "Q4_0_8_8 (removed)", "TQ1_0", "TQ2_0",
        "IQ4_NL_4_4 (removed)", "IQ4_NL_4_8 (removed)", "IQ4_NL_8_8 (removed)", "MXFP4",
    };

    /** The supported types, for messages. */
    static final String SUPPORTED = "F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K";

    private GgmlTypes() {
    }

    /** The element type of ggml type {@code id}, or null when it is not read here. */
    static DType dtype(long id) {
        return switch ((int) Math.min(id, Integer.MAX_VALUE)) {
            case 0 -> DType.F32;
            case 1 -> DType.F16;
            case 2 -> DType.Q4_0;
            case 3 -> DType.Q4_1;
            case 6 -> DType.Q5_0;
            case 7 -> DType.Q5_1;
            case 8 -> DType.Q8_0;
            case 12 -> DType.Q4_K;
            case 13 -> DType.Q5_K;
            case 14 -> DType.Q6_K;
            case 30 -> DType.BF16;
            default -> null;
        };
    }

    /** The ggml type id of an element type, the inverse of {@link #dtype}; -1 when GGUF has no such type. */
    static int id(DType dtype) {
        return switch (dtype) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q4_1 -> 3;
            case Q5_0 -> 6;
            case Q5_1 -> 7;
            case Q8_0 -> 8;
            case Q4_K -> 12;
            case Q5_K -> 13;
            case Q6_K -> 14;
            case BF16 -> 30;
            default -> -1;
        };
    }

    /** "type id 9 (Q8_1)", or "type id 99 (unknown)". */
    static String describe(long id) {
        String name = id >= 0 && id < NAMES.length ? NAMES[(int) id] : "unknown";
        return "type id " + id + " (" + name + ")";
    }
}
