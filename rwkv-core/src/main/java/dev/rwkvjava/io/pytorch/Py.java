package dev.rwkvjava.io.pytorch;

import dev.rwkvjava.tensor.DType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The values {@link Unpickler} builds. Scalars are Java's own ({@link String}, {@link Long}, {@link Double},
 * {@link Boolean}, {@code byte[]}) plus {@link #NONE}; containers and torch objects are the classes below. No class
 * here overrides {@code equals}/{@code hashCode}: a pickle can build cycles, and identity never recurses.
 */
final class Py {
    private Py() {
    }

    /** Python's None. */
    static final Object NONE = new Object() {
        @Override
        public String toString() {
            return "None";
        }
    };

    /** A dict; {@code ordered} when made by {@code collections.OrderedDict} (which alone accepts BUILD). */
    static final class Dict {
        final LinkedHashMap<Object, Object> items = new LinkedHashMap<>();
        final boolean ordered;

        Dict(boolean ordered) {
            this.ordered = ordered;
        }
    }

    static final class PyList {
        final ArrayList<Object> items = new ArrayList<>();
    }

    static final class Tuple {
        final List<Object> items;

        Tuple(List<Object> items) {
            this.items = List.copyOf(items);
        }

        int size() {
            return items.size();
        }

        Object get(int i) {
            return items.get(i);
        }
    }

    /** What an allowed global stands for; nothing is ever looked up or called by name. */
    enum Kind {
        ORDERED_DICT, REBUILD_TENSOR_V2, REBUILD_TENSOR, REBUILD_PARAMETER, REBUILD_PARAMETER_WITH_STATE, STORAGE_TYPE
    }

    /** An allowed global: a tag for what REDUCE or BINPERSID may build with it. */
    record Global(Kind kind, String qualifiedName, DType storageDType) {
    }

    /** A storage named by a persistent id {@code ('storage', torch.XStorage, key, location, numel)}. */
    static final class Storage {
        final String typeName;
        final DType dtype;
        final String key;
        final String location;
        final long numel;

        Storage(String typeName, DType dtype, String key, String location, long numel) {
            this.typeName = typeName;
            this.dtype = dtype;
            this.key = key;
            this.location = location;
            this.numel = numel;
        }
    }

    /** A tensor: a view of {@code storage} (counts in elements), not yet validated against the storage. */
    static final class Tensor {
        final Storage storage;
        final long offset;
        final long[] size;
        final long[] stride;

        Tensor(Storage storage, long offset, long[] size, long[] stride) {
            this.storage = storage;
            this.offset = offset;
            this.size = size;
            this.stride = stride;
        }
    }

    /** A short description of a value's type for error messages. */
    static String typeName(Object v) {
        if (v == NONE) {
            return "None";
        }
        return switch (v) {
            case String s -> "str";
            case Long l -> "int";
            case Double d -> "float";
            case Boolean b -> "bool";
            case byte[] b -> "bytes";
            case Dict d -> d.ordered ? "OrderedDict" : "dict";
            case PyList l -> "list";
            case Tuple t -> "tuple of " + t.size();
            case Global g -> g.qualifiedName();
            case Storage s -> "storage";
            case Tensor t -> "tensor";
            default -> v.getClass().getSimpleName();
        };
    }
}
