package dev.rwkvjava.model;

import dev.rwkvjava.ModelFileException;
import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.io.TensorStore;
import dev.rwkvjava.kernel.WorkerPool;
import dev.rwkvjava.model.naming.CanonicalTensor;
import dev.rwkvjava.model.naming.Layout;
import dev.rwkvjava.model.naming.NamingFamily;
import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.Matrix;
import dev.rwkvjava.tensor.WeightReader;
import dev.rwkvjava.tensor.WeightType;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A model file's tensors under their canonical BlinkDL names and shapes (through the file's {@link NamingFamily}),
 * with typed getters that check shapes and fail with a {@link ModelFileException} naming the tensor. Matrices are
 * used in place wherever the file's layout allows; the few tensors a family stores otherwise are converted at load.
 * With a {@link Quantization}, the matrices it covers are converted to its type as they are asked for.
 */
public final class ModelTensors {
    private final TensorStore store;
    private final NamingFamily naming;
    private final Map<String, CanonicalTensor> byName;
    /** Conversion on load, or null: weights as stored. */
    private final Quantization quantization;
    /** Runs the conversions; null: on the calling thread. */
    private final WorkerPool pool;
    /** Stored tensors converted so far, with the type they were converted to. */
    private final Map<String, DType> converted = new TreeMap<>();
    /** The type the head was converted to, null while it keeps its stored type. */
    private DType convertedHead;
    /** Matrices the quantization covers that kept their stored type: rows not a whole number of blocks. */
    private final Map<String, DType> keptForShape = new TreeMap<>();
    /** Bytes of the matrices handed out so far that a token reads whole (all but the per-token tables). */
    private long streamedBytes;
    /** The matrices handed out so far, in order. */
    private final List<Matrix> matrices = new ArrayList<>();

    /** The file's tensors, weights as stored. */
    public ModelTensors(TensorStore store) {
        this(store, null, null);
    }

    /**
     * The file's tensors, the matrices that {@code quantization} covers converted to its type when asked for.
     *
     * @param quantization null for the weights as stored
     * @param pool         threads that share out each conversion (null: the calling thread alone)
     * @throws ModelFileException when quantizing a file that already holds block-quantized weights (quantizing
     *                            them again would stack a second rounding on the first)
     */
    public ModelTensors(TensorStore store, Quantization quantization, WorkerPool pool) {
        this.store = store;
        this.naming = NamingFamily.of(store);
        Map<String, CanonicalTensor> m = new LinkedHashMap<>();
        for (CanonicalTensor t : naming.canonical(store)) {
            checkElementCount(t);
            CanonicalTensor before = m.putIfAbsent(t.name(), t);
            if (before != null) {
                throw new ModelFileException(store.path(), t.stored().name(), "holds '" + t.name()
                        + "', which '" + before.stored().name() + "' holds too");
            }
        }
        this.byName = Collections.unmodifiableMap(m);
        this.quantization = quantization;
        this.pool = pool;
        if (quantization != null) {
            for (TensorInfo t : store.tensors()) {
                if (t.dtype().isBlockType()) {
                    throw new ModelFileException(store.path(), t.name(), "is already quantized (" + t.dtype()
                            + "): quantization on load (" + quantization.typeName() + ") takes F32, F16 and BF16 "
                            + "files; load this file without it");
                }
            }
        }
    }

    private void checkElementCount(CanonicalTensor t) {
        long stored = t.stored().elementCount();
        long expected = t.layout() instanceof Layout.Part p ? stored / p.count() : stored;
        if (t.elementCount() != expected || (t.layout() instanceof Layout.Part p2 && stored % p2.count() != 0)) {
            throw new ModelFileException(store.path(), t.stored().name(), "shape " + t.stored().shapeString()
                    + " cannot hold '" + t.name() + "' of shape " + t.shapeString());
        }
    }

    public TensorStore store() {
        return store;
    }

    public Path path() {
        return store.path();
    }

    /** See {@link NamingFamily#rescaleEvery}. */
    public int rescaleEvery() {
        return naming.rescaleEvery(store);
    }

    public NamingFamily naming() {
        return naming;
    }

    /** Canonical names of all tensors. */
    public Set<String> names() {
        return byName.keySet();
    }

    /** All canonical tensors. */
    public Collection<CanonicalTensor> tensors() {
        return byName.values();
    }

    public boolean has(String name) {
        return byName.containsKey(name);
    }

    /** The tensor, or null. */
    public CanonicalTensor find(String name) {
        return byName.get(name);
    }

    /** The tensor, or an error naming it as missing. */
    public CanonicalTensor require(String name) {
        CanonicalTensor t = byName.get(name);
        if (t == null) {
            throw new ModelFileException(store.path(), fileName(name), "required tensor is missing");
        }
        if (!t.stored().dtype().isWeightType()) {
            throw new ModelFileException(store.path(), t.stored().name(), "dtype " + t.stored().dtype()
                    + " is not supported for weights (float or ggml block types)");
        }
        return t;
    }

    /** A [rows, cols] weight matrix (W·x with x of length cols), in place where the file's layout allows. */
    public Matrix matrix(String name, long rows, long cols) {
        CanonicalTensor t = require(name);
        if (!t.hasShape(rows, cols)) {
            throw shapeError(t, "[" + rows + ", " + cols + "]");
        }
        TensorInfo s = t.stored();
        return switch (t.layout()) {
            case Layout.Same same -> loaded(t, new Matrix(t.describe(), store.data(s), s.dtype(), (int) rows, (int) cols));
            case Layout.Part p -> {
                MemorySegment all = store.data(s);
                long part = all.byteSize() / p.count();
                yield loaded(t, new Matrix(t.describe(), all.asSlice(p.index() * part, part), s.dtype(), (int) rows,
                        (int) cols));
            }
            // Small tensors only (no family stores a large matrix transposed): a one-time float copy.
            default -> derived(t, t.describe(), values(t), (int) rows, (int) cols);
        };
    }

    /**
     * The matrix [cols, rows] that multiplies x of length rows, for a canonical tensor [rows, cols] that a
     * model applies as {@code x @ W} (the low-rank factors). Files that store the factor transposed give it in
     * place; otherwise it is transposed once into a float copy.
     */
    public Matrix transposedMatrix(String name, long rows, long cols) {
        CanonicalTensor t = require(name);
        if (!t.hasShape(rows, cols)) {
            throw shapeError(t, "[" + rows + ", " + cols + "]");
        }
        if (t.layout() instanceof Layout.Transposed && t.stored().rank() == 2) {
            TensorInfo s = t.stored();
            return loaded(t, new Matrix(t.describe() + "ᵀ", store.data(s), s.dtype(), (int) cols, (int) rows));
        }
        float[] src = values(t);
        float[] dst = new float[src.length];
        int r = (int) rows;
        int c = (int) cols;
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < c; j++) {
                dst[j * r + i] = src[i * c + j];
            }
        }
        return derived(t, t.describe() + "ᵀ", dst, c, r);
    }

    /**
     * A matrix [rows, cols] computed at load from the values of canonical tensor {@code name} (a transposed part of
     * it, say): float32, or converted when the quantization covers that tensor.
     *
     * @param label the matrix's name in messages
     */
    public Matrix derivedMatrix(String name, String label, float[] rowMajor, int rows, int cols) {
        return derived(require(name), label, rowMajor, rows, cols);
    }

    private Matrix derived(CanonicalTensor t, String label, float[] rowMajor, int rows, int cols) {
        WeightType to = target(t, cols);
        if (to == null) {
            return account(t, Matrix.ofFloats(label, rowMajor, rows, cols), false);
        }
        return account(t, Quantizer.convert(label, rowMajor, rows, cols, to, pool), true);
    }

    /** {@code m}, read in place, or converted when the quantization covers it. */
    private Matrix loaded(CanonicalTensor t, Matrix m) {
        WeightType to = target(t, m.cols());
        if (to == null || to == m.type()) {
            return account(t, m, false);
        }
        return account(t, Quantizer.convert(m, to, pool), true);
    }

    /** The type to convert t's matrix (rows of {@code cols}) to, or null to keep it as it is. */
    private WeightType target(CanonicalTensor t, int cols) {
        if (quantization == null || !quantization.covers(t.name())) {
            return null;
        }
        WeightType to = quantization.typeFor(t.name(), cols);
        if (to == null) {
            keptForShape.put(t.stored().name(), t.stored().dtype());
        }
        return to;
    }

    private Matrix account(CanonicalTensor t, Matrix m, boolean convertedNow) {
        matrices.add(m);
        if (convertedNow) {
            converted.put(t.stored().name(), m.dtype());
            if (WeightRole.of(t.name()) == WeightRole.HEAD) {
                convertedHead = m.dtype();
            }
        }
        if (WeightRole.of(t.name()) != WeightRole.EMBEDDING) {
            streamedBytes += m.byteSize();
        }
        return m;
    }

    /** The matrices handed out so far (as the forward pass holds them: converted ones converted), in order. */
    public List<Matrix> matrices() {
        return Collections.unmodifiableList(matrices);
    }

    /** The quantization applied on load, or null. */
    public Quantization quantization() {
        return quantization;
    }

    /**
     * Stored tensors per element type as the model holds them: the file's types, with each tensor converted on load
     * (so far) counted under its new type.
     */
    public Map<String, Integer> loadedTypes() {
        Map<String, Integer> out = new TreeMap<>();
        for (TensorInfo s : store.tensors()) {
            out.merge(converted.getOrDefault(s.name(), s.dtype()).name(), 1, Integer::sum);
        }
        return out;
    }

    /** The type the head was converted to on load, or null while it keeps its stored type. */
    public DType convertedHead() {
        return convertedHead;
    }

    /** Stored tensors converted on load so far, with the type each was converted to. */
    public Map<String, DType> converted() {
        return Collections.unmodifiableMap(converted);
    }

    /** Stored tensors the quantization covers that kept their type because their rows are not whole blocks. */
    public Map<String, DType> keptForShape() {
        return Collections.unmodifiableMap(keptForShape);
    }

    /** Bytes of the matrices handed out so far that a token reads whole: every matrix but the per-token tables. */
    public long streamedBytes() {
        return streamedBytes;
    }

    /**
     * A small vector of n values converted to float32. Accepts any shape with n elements whose other dims are 1
     * (for example [C] or the time-mix form [1, 1, C]).
     */
    public float[] vector(String name, long n) {
        CanonicalTensor t = require(name);
        boolean ok = t.elementCount() == n;
        for (long d : t.shape()) {
            ok &= d == n || d == 1;
        }
        if (!ok) {
            throw shapeError(t, "[" + n + "] (or [1, 1, " + n + "])");
        }
        return values(t);
    }

    /** A tensor of exactly the given shape, converted to float32 row-major. */
    public float[] floats(String name, long... shape) {
        CanonicalTensor t = require(name);
        if (!t.hasShape(shape)) {
            throw shapeError(t, Arrays.toString(shape));
        }
        return values(t);
    }

    /** The canonical tensor's values, row-major, undoing the file's layout. */
    private float[] values(CanonicalTensor t) {
        TensorInfo s = t.stored();
        MemorySegment data = store.data(s);
        return switch (t.layout()) {
            case Layout.Same same -> WeightReader.toFloatArray(data, s.dtype());
            case Layout.Part p -> {
                long part = data.byteSize() / p.count();
                yield WeightReader.toFloatArray(data.asSlice(p.index() * part, part), s.dtype());
            }
            case Layout.Transposed tr -> {
                float[] src = WeightReader.toFloatArray(data, s.dtype());
                long[] shape = s.shape();
                int a = (int) shape[shape.length - 2];
                int b = (int) shape[shape.length - 1];
                float[] dst = new float[src.length];
                for (int base = 0; base < src.length; base += a * b) {
                    for (int i = 0; i < a; i++) {
                        for (int j = 0; j < b; j++) {
                            dst[base + j * a + i] = src[base + i * b + j];
                        }
                    }
                }
                yield dst;
            }
            case Layout.Stored st -> {
                float[] v = WeightReader.toFloatArray(data, s.dtype());
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) st.form().invert(v[i]);
                }
                yield v;
            }
        };
    }

    private ModelFileException shapeError(CanonicalTensor t, String expected) {
        return new ModelFileException(store.path(), t.describe(), "shape " + t.shapeString() + " where "
                + expected + " was expected");
    }

    /** The name a canonical tensor has in the file (for messages). */
    private String fileName(String canonical) {
        return naming.label().equals("blinkdl") ? canonical : canonical + " (in " + naming.label() + " naming)";
    }
}
