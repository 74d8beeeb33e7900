package dev.rwkvjava.convert;

import dev.rwkvjava.ModelFileException;
import dev.rwkvjava.io.ModelFiles;
import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.model.ModelConfig;
import dev.rwkvjava.model.ModelLoader;
import dev.rwkvjava.model.ModelTensors;
import dev.rwkvjava.model.TensorSpec;
import dev.rwkvjava.model.VersionDetector;
import dev.rwkvjava.model.VersionSchema;
import dev.rwkvjava.model.naming.CanonicalTensor;
import dev.rwkvjava.model.naming.Layout;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The model being converted, as the engine reads it: its canonical (BlinkDL) tensors through the file's naming
 * family, its version and dimensions from the version's schema. Values are not read here; {@link #values} says
 * where each canonical tensor's values are in the file.
 */
final class SourceModel {
    private final ModelTensors tensors;
    private final ModelConfig config;
    private final VersionSchema schema;
    private final Map<String, Integer> dims;
    /** See {@link ModelTensors#rescaleEvery}: the divided matrices are multiplied back as they are read. */
    private final int rescaleEvery;

    SourceModel(ModelTensors tensors, ModelFiles files) {
        this.tensors = tensors;
        this.rescaleEvery = tensors.rescaleEvery();
        this.config = VersionDetector.detect(tensors, ModelLoader.layerNormEps(tensors, files));
        this.schema = VersionDetector.schema(config.version());
        List<String> problems = new ArrayList<>();
        CanonicalTensor emb = tensors.require("emb.weight");
        Map<String, Integer> d = schema.dimensions(tensors, (int) emb.dim(1), (int) emb.dim(0), problems);
        if (d == null) {
            throw new ModelFileException(tensors.path(), null, String.join("; ", problems));
        }
        this.dims = Map.copyOf(d);
    }

    ModelTensors tensors() {
        return tensors;
    }

    ModelConfig config() {
        return config;
    }

    VersionSchema schema() {
        return schema;
    }

    /** A dimension of the schema (C, V, F, H, N, and the version's own: DW, DMIX, ...). */
    int dim(String name) {
        Integer v = dims.get(name);
        if (v == null) {
            throw new IllegalStateException("dimension " + name + " of RWKV " + config.version().label());
        }
        return v;
    }

    Map<String, Integer> dims() {
        return dims;
    }

    /**
     * The schema's tensors in checkpoint order: those outside the blocks that come first, each layer's, then the
     * rest (the order of {@code model.py}'s checkpoints).
     */
    List<Named> schemaTensors() {
        List<TensorSpec> specs = schema.tensors();
        int firstLayered = 0;
        while (firstLayered < specs.size() && specs.get(firstLayered).scope() == TensorSpec.Scope.GLOBAL) {
            firstLayered++;
        }
        List<Named> out = new ArrayList<>();
        for (TensorSpec s : specs.subList(0, firstLayered)) {
            out.add(new Named(s.name(), s.shape(dims)));
        }
        for (int i = 0; i < config.nLayer(); i++) {
            for (TensorSpec s : specs.subList(firstLayered, specs.size())) {
                if (s.scope().in(i)) {
                    out.add(new Named(s.nameIn(i), s.shape(dims)));
                }
            }
        }
        for (TensorSpec s : specs.subList(firstLayered, specs.size())) {
            if (s.scope() == TensorSpec.Scope.GLOBAL) {
                out.add(new Named(s.name(), s.shape(dims)));
            }
        }
        return out;
    }

    /** A schema tensor: its BlinkDL name and shape. */
    record Named(String name, long[] shape) {
    }

    private static final Pattern RESCALED = Pattern.compile("blocks\\.(\\d+)\\.(att\\.output|ffn\\.value)\\.weight");

    /** Where the canonical tensor's values are, under its canonical shape, as trained. */
    ValueSource values(String name) {
        ValueSource v = storedValues(name);
        Matcher m = rescaleEvery > 0 ? RESCALED.matcher(name) : null;
        if (m != null && m.matches()) {
            int halvings = Integer.parseInt(m.group(1)) / rescaleEvery;
            if (halvings > 0) {
                v = new ValueSource.Scaled(v, Math.scalb(1f, halvings));
            }
        }
        return v;
    }

    /** Where the canonical tensor's values are in the file, under its canonical shape. */
    private ValueSource storedValues(String name) {
        CanonicalTensor t = tensors.require(name);
        TensorInfo s = t.stored();
        MemorySegment data = tensors.store().data(s);
        return switch (t.layout()) {
            case Layout.Same same -> new ValueSource.Stored(data, s.dtype(), t.shape());
            case Layout.Part p -> {
                long part = data.byteSize() / p.count();
                if (part * p.count() != data.byteSize()) {
                    throw new ModelFileException(tensors.path(), s.name(), "cannot be cut into " + p.count()
                            + " equal parts");
                }
                yield new ValueSource.Stored(data.asSlice(p.index() * part, part), s.dtype(), t.shape());
            }
            case Layout.Transposed tr -> ValueSource.reshape(new ValueSource.Transposed(
                    new ValueSource.Stored(data, s.dtype(), s.shape())), t.shape());
            case Layout.Stored st -> new ValueSource.Inverted(
                    new ValueSource.Stored(data, s.dtype(), t.shape()), st.form());
        };
    }

    /** The canonical tensor's values under another shape of the same size. */
    ValueSource values(String name, long... shape) {
        return ValueSource.reshape(values(name), shape);
    }

    /** Number of values of the schema's tensors (the model's parameter count). */
    long parameterCount() {
        long n = 0;
        for (Named t : schemaTensors()) {
            long c = 1;
            for (long d : t.shape()) {
                c *= d;
            }
            n += c;
        }
        return n;
    }
}
