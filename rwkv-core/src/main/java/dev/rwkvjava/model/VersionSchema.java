package dev.rwkvjava.model;

import dev.rwkvjava.RwkvVersion;

import dev.rwkvjava.model.naming.CanonicalTensor;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The tensors of one RWKV version (or variant), written once: validation of a file, synthetic models and the
 * version's documentation all follow from this list. Each version's schema lives in its {@code model.vN} package.
 */
public interface VersionSchema {

    /** The version the schema describes. */
    RwkvVersion version();

    /** Every tensor, in the order a checkpoint of this version lists them. */
    List<TensorSpec> tensors();

    /**
     * The model's dimensions read from a few tensors ({@code C} and {@code V} are given; the schema adds the rest),
     * or null when they cannot be read (a problem is then recorded).
     */
    Map<String, Integer> dimensions(ModelTensors t, int c, int vocab, List<String> problems);

    /** Checks beyond the tensor list (alternatives, cross-tensor rules); none by default. */
    default void checkMore(ModelTensors t, Map<String, Integer> dims, int layers, List<String> problems) {
    }

    /** Checks that every tensor of the schema is present with its shape, appending a problem for each that is not. */
    default void check(ModelTensors t, Map<String, Integer> dims, int layers, List<String> problems) {
        for (TensorSpec s : tensors()) {
            long[] shape = s.shape(dims);
            if (s.scope() == TensorSpec.Scope.GLOBAL) {
                expect(t, s.name(), shape, problems);
            } else {
                for (int i = 0; i < layers; i++) {
                    if (s.scope().in(i)) {
                        expect(t, s.nameIn(i), shape, problems);
                    }
                }
            }
        }
        checkMore(t, dims, layers, problems);
    }

    /** Appends a problem when the tensor is missing or its shape differs (dims of 1 aside). */
    static void expect(ModelTensors t, String name, long[] shape, List<String> problems) {
        CanonicalTensor info = t.find(name);
        if (info == null) {
            problems.add("tensor '" + name + "' is missing");
        } else if (!Arrays.equals(squeeze(info.shape()), squeeze(shape))) {
            problems.add("tensor '" + info.describe() + "' has shape " + info.shapeString() + ", expected "
                    + Arrays.toString(shape));
        }
    }

    /** A shape without its dimensions of 1 ([1, 1, C] and [C] are the same vector). */
    static long[] squeeze(long[] shape) {
        return Arrays.stream(shape).filter(d -> d != 1).toArray();
    }

    /** A dimension read from a tensor: positive and small enough to index with an int. */
    static int dim(ModelTensors t, CanonicalTensor info, long v) {
        return VersionDetector.toInt(t, info, v);
    }
}
