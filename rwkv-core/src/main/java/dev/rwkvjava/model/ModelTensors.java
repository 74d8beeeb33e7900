package dev.rwkvjava.model;

import dev.rwkvjava.io.ModelFileException;
import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.io.TensorStore;
import dev.rwkvjava.tensor.Matrix;
import dev.rwkvjava.tensor.WeightReader;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A model file's tensors under their BlinkDL names, with typed getters that check shapes and fail with a
 * {@link ModelFileException} naming the tensor.
 */
public final class ModelTensors {
    private final TensorStore store;
    private final Naming naming;
    private final Map<String, TensorInfo> byName;

    public ModelTensors(TensorStore store) {
        this.store = store;
        Map<String, TensorInfo> all = new LinkedHashMap<>();
        for (TensorInfo t : store.tensors()) {
            all.put(t.name(), t);
        }
        this.naming = Naming.of(all.keySet());
        Map<String, TensorInfo> m = new LinkedHashMap<>();
        for (TensorInfo t : all.values()) {
            String c = naming.canonical(t.name());
            if (c != null) {
                m.put(c, t);
            }
        }
        this.byName = Collections.unmodifiableMap(m);
    }

    public TensorStore store() {
        return store;
    }

    public Path path() {
        return store.path();
    }

    public Naming naming() {
        return naming;
    }

    /** BlinkDL names of all tensors. */
    public Set<String> names() {
        return byName.keySet();
    }

    public boolean has(String name) {
        return byName.containsKey(name);
    }

    /** The tensor, or null. */
    public TensorInfo find(String name) {
        return byName.get(name);
    }

    /** The tensor, or an error naming it as missing. */
    public TensorInfo require(String name) {
        TensorInfo t = byName.get(name);
        if (t == null) {
            throw new ModelFileException(store.path(), fileName(name), "required tensor is missing");
        }
        if (!t.dtype().isWeightType()) {
            throw new ModelFileException(store.path(), t.name(), "dtype " + t.dtype()
                    + " is not supported for weights (float or ggml block types)");
        }
        return t;
    }

    /** A [rows, cols] weight matrix, read in place. */
    public Matrix matrix(String name, long rows, long cols) {
        TensorInfo t = require(name);
        if (!t.hasShape(rows, cols)) {
            throw shapeError(t, "[" + rows + ", " + cols + "]");
        }
        return new Matrix(t.name(), store.data(t), t.dtype(), (int) rows, (int) cols);
    }

    /**
     * A small vector of n values converted to float32. Accepts any shape with n elements whose other dims are 1
     * (for example [C] or the time-mix form [1, 1, C]).
     */
    public float[] vector(String name, long n) {
        TensorInfo t = require(name);
        long[] shape = t.shape();
        boolean ok = t.elementCount() == n;
        for (long d : shape) {
            ok &= d == n || d == 1;
        }
        if (!ok) {
            throw shapeError(t, "[" + n + "] (or [1, 1, " + n + "])");
        }
        return WeightReader.toFloatArray(store.data(t), t.dtype());
    }

    /** A tensor of exactly the given shape, converted to float32 row-major. */
    public float[] floats(String name, long... shape) {
        TensorInfo t = require(name);
        if (!t.hasShape(shape)) {
            throw shapeError(t, java.util.Arrays.toString(shape));
        }
        return WeightReader.toFloatArray(store.data(t), t.dtype());
    }

    private ModelFileException shapeError(TensorInfo t, String expected) {
        return new ModelFileException(store.path(), t.name(), "shape " + t.shapeString() + " where "
                + expected + " was expected");
    }

    /** The name a canonical tensor has in the file (for messages). */
    private String fileName(String canonical) {
        return naming == Naming.BLINKDL ? canonical : canonical + " (in " + naming.label() + " naming)";
    }
}
