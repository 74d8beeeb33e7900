package dev.rwkvjava.internal;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.io.ModelFiles;
import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.model.Quantization;
import dev.rwkvjava.model.naming.CanonicalTensor;
import dev.rwkvjava.state.State;

import java.util.List;
import java.util.Objects;

/**
 * What the engine's own modules (the command line, the server, the benchmarks) and its tests need from the public
 * API's classes and library users do not: a state's packed floats, a model's tensor lists and product timer,
 * loading from resolved files, quantization of chosen roles. The module exports this package to its own modules
 * only. The API classes hand their implementation over when they are initialized, so that these members stay out
 * of their public signatures.
 */
public final class Internals {
    private Internals() {
    }

    /** The model's side, implemented by {@link RwkvModel}. */
    public interface ModelAccess {
        RwkvModel load(ModelFiles files, RwkvModel.Options options);

        List<TensorInfo> tensors(RwkvModel model);

        List<CanonicalTensor> canonicalTensors(RwkvModel model);

        long matrixProductNanos(RwkvModel model);

        Quantization quantization(RwkvModel.Options options);

        RwkvModel.Options withQuantization(RwkvModel.Options options, Quantization quantization);
    }

    /** The state's side, implemented by {@link State}. */
    public interface StateAccess {
        float[] data(State state);
    }

    private static volatile ModelAccess model;
    private static volatile StateAccess state;

    /** Called once, by {@link RwkvModel}'s initializer. */
    public static void register(ModelAccess access) {
        if (model != null) {
            throw new IllegalStateException("model access already registered");
        }
        model = Objects.requireNonNull(access);
    }

    /** Called once, by {@link State}'s initializer. */
    public static void register(StateAccess access) {
        if (state != null) {
            throw new IllegalStateException("state access already registered");
        }
        state = Objects.requireNonNull(access);
    }

    /** The packed floats of {@code s}, shared, not a copy: what the forward passes read and update. */
    public static float[] data(State s) {
        // A State instance exists, so its class is initialized and has registered.
        return state.data(s);
    }

    /** Loads a model whose files are already resolved. */
    public static RwkvModel load(ModelFiles files, RwkvModel.Options options) {
        return model().load(files, options);
    }

    /** Names, types and shapes of the file's tensors, in file order. */
    public static List<TensorInfo> tensors(RwkvModel m) {
        return model().tensors(m);
    }

    /** The model's tensors under their canonical (BlinkDL) names and shapes, whatever the file calls them. */
    public static List<CanonicalTensor> canonicalTensors(RwkvModel m) {
        return model().canonicalTensors(m);
    }

    /** Wall time the model has spent in matrix products since load (for the benchmarks' time split). */
    public static long matrixProductNanos(RwkvModel m) {
        return model().matrixProductNanos(m);
    }

    /** The quantization on load the options ask for, or null. */
    public static Quantization quantization(RwkvModel.Options options) {
        return model().quantization(options);
    }

    /** The options with quantization on load as {@code q} says (null: weights as stored). */
    public static RwkvModel.Options withQuantization(RwkvModel.Options options, Quantization q) {
        return model().withQuantization(options, q);
    }

    private static ModelAccess model() {
        ModelAccess m = model;
        if (m == null) {
            // Options can exist before RwkvModel is initialized: initializing it registers the access.
            try {
                Class.forName(RwkvModel.class.getName(), true, RwkvModel.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
            m = model;
        }
        return m;
    }
}
