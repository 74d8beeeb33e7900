package dev.rwkvjava.io.pytorch;

import dev.rwkvjava.ModelFileException;
import dev.rwkvjava.io.TensorInfo;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Turns an unpickled checkpoint into named tensors, each validated against its storage entry.
 *
 * <p>The state dict is the top-level dict, or, when that holds no tensor itself, the dict under the first of
 * {@link #WRAPPER_KEYS} it has (repeatedly: {@code {"model": {"state_dict": {...}}}} works too). Tensors are found
 * through nested dicts, lists and tuples below it and named by their path, joined with dots ({@code {"a": {"b": t}}}
 * gives {@code a.b}; list items by index); other values are ignored.
 */
final class StateDict {
    /** Keys under which training code commonly nests the weights. */
    static final List<String> WRAPPER_KEYS = List.of("state_dict", "model_state_dict", "model", "module");
    static final int MAX_DEPTH = 64;

    /**
     * The tensors by name, in pickle order; the dotted path of the dict they came from ("" for the top); the
     * storage entries they view.
     */
    record Result(Map<String, TensorInfo> tensors, String rootPath, List<ZipArchive.Entry> storageEntries) {
    }

    private final Path path;
    private final String archivePrefix;
    private final Function<String, ZipArchive.Entry> entries;
    private final Map<String, TensorInfo> tensors = new LinkedHashMap<>();
    private final Set<Object> visited = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<String, Py.Storage> storages = new HashMap<>();
    private final Map<String, ZipArchive.Entry> used = new LinkedHashMap<>();

    private StateDict(Path path, String archivePrefix, Function<String, ZipArchive.Entry> entries) {
        this.path = path;
        this.archivePrefix = archivePrefix;
        this.entries = entries;
    }

    /**
     * The tensors of {@code root}; storage keys are looked up as {@code archivePrefix + "data/" + key} in
     * {@code entries}.
     */
    static Result read(Path path, Object root, String archivePrefix, Function<String, ZipArchive.Entry> entries) {
        return new StateDict(path, archivePrefix, entries).read(root);
    }

    private Result read(Object top) {
        if (!(top instanceof Py.Dict dict)) {
            throw new ModelFileException(path, null, "the checkpoint holds a " + Py.typeName(top)
                    + ", not a dict of tensors");
        }
        StringBuilder rootPath = new StringBuilder();
        for (int depth = 0; depth < MAX_DEPTH && !holdsTensor(dict); depth++) {
            Py.Dict inner = null;
            for (String k : WRAPPER_KEYS) {
                if (dict.items.get(k) instanceof Py.Dict d) {
                    inner = d;
                    rootPath.append(rootPath.isEmpty() ? "" : ".").append(k);
                    break;
                }
            }
            if (inner == null) {
                break;
            }
            dict = inner;
        }
        walk(dict, "", 0);
        return new Result(Collections.unmodifiableMap(tensors), rootPath.toString(), List.copyOf(used.values()));
    }

    private static boolean holdsTensor(Py.Dict d) {
        for (Object v : d.items.values()) {
            if (v instanceof Py.Tensor) {
                return true;
            }
        }
        return false;
    }

    /** Visits each container once: shared or cyclic structures cost nothing extra and end. */
    private void walk(Object v, String prefix, int depth) {
        if (v instanceof Py.Tensor t) {
            if (prefix == null) {
                throw new ModelFileException(path, null, "a tensor is stored under a dict key that is neither a"
                        + " string nor an int, so it has no name");
            }
            add(prefix, t);
            return;
        }
        if (!(v instanceof Py.Dict || v instanceof Py.PyList || v instanceof Py.Tuple) || !visited.add(v)) {
            return;
        }
        if (depth >= MAX_DEPTH) {
            throw new ModelFileException(path, null, "the checkpoint nests containers more than " + MAX_DEPTH
                    + " levels deep");
        }
        String base = prefix == null ? null : prefix.isEmpty() ? "" : prefix + ".";
        switch (v) {
            case Py.Dict d -> {
                for (Map.Entry<Object, Object> e : d.items.entrySet()) {
                    String k = switch (e.getKey()) {
                        case String s -> s;
                        case Long l -> Long.toString(l);
                        default -> null;
                    };
                    walk(e.getValue(), base == null || k == null ? null : base + k, depth + 1);
                }
            }
            case Py.PyList l -> {
                for (int i = 0; i < l.items.size(); i++) {
                    walk(l.items.get(i), base == null ? null : base + i, depth + 1);
                }
            }
            case Py.Tuple t -> {
                for (int i = 0; i < t.size(); i++) {
                    walk(t.get(i), base == null ? null : base + i, depth + 1);
                }
            }
            default -> throw new IllegalStateException();
        }
    }

    private void add(String name, Py.Tensor t) {
        if (tensors.containsKey(name)) {
            throw new ModelFileException(path, name, "two tensors have this name (after joining nested keys with"
                    + " dots)");
        }
        Py.Storage s = t.storage;
        String entryName = archivePrefix + "data/" + s.key;
        ZipArchive.Entry e = entries.apply(entryName);
        if (e == null) {
            throw new ModelFileException(path, name, "its storage '" + s.key + "' is missing: the archive has no entry '"
                    + entryName + "'");
        }
        if (!e.stored()) {
            throw ZipArchive.compressed(path, e);
        }
        int elementBytes = s.dtype.bytes();
        Py.Storage first = storages.putIfAbsent(s.key, s);
        if (first == null) {
            used.put(s.key, e);
            long expected = multiply(name, s.numel, elementBytes);
            if (e.size() != expected) {
                throw new ModelFileException(path, name, "storage '" + s.key + "' (" + entryName + ") holds "
                        + e.size() + " bytes, but the pickle declares " + s.numel + " elements of " + s.dtype + " ("
                        + expected + " bytes)");
            }
        } else if (first.dtype != s.dtype || first.numel != s.numel) {
            throw new ModelFileException(path, name, "storage '" + s.key + "' is declared as " + s.numel + " x "
                    + s.typeName + " here but " + first.numel + " x " + first.typeName + " elsewhere");
        }

        long[] size = t.size;
        long[] stride = t.stride;
        if (stride.length != size.length) {
            throw new ModelFileException(path, name, "size " + Arrays.toString(size) + " and stride "
                    + Arrays.toString(stride) + " have different ranks");
        }
        long elements = 1;
        for (long d : size) {
            if (d < 0) {
                throw new ModelFileException(path, name, "size " + Arrays.toString(size) + " has a negative dimension");
            }
            elements = multiply(name, elements, d);
        }
        if (elements > 0) {
            // Row-major contiguity; a dimension of size 1 may have any stride (PyTorch's own rule).
            long expect = 1;
            for (int i = size.length - 1; i >= 0; i--) {
                if (size[i] != 1 && stride[i] != expect) {
                    throw new ModelFileException(path, name, "not row-major contiguous (size "
                            + Arrays.toString(size) + ", stride " + Arrays.toString(stride) + "); only contiguous"
                            + " tensors are read in place: save it after .contiguous()");
                }
                expect = multiply(name, expect, size[i]);
            }
        }
        if (t.offset < 0 || t.offset > s.numel || elements > s.numel - t.offset) {
            throw new ModelFileException(path, name, "its view (offset " + t.offset + ", " + elements
                    + " elements) lies outside storage '" + s.key + "' of " + s.numel + " elements");
        }
        long begin = e.dataOffset() + t.offset * elementBytes;
        long end = begin + elements * elementBytes;
        tensors.put(name, new TensorInfo(name, s.dtype, size, begin, end));
    }

    private long multiply(String name, long a, long b) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException ex) {
            throw new ModelFileException(path, name, "its size overflows 64 bits");
        }
    }
}
