package dev.rwkvjava.io.pytorch;

import dev.rwkvjava.ModelFileException;
import dev.rwkvjava.tensor.DType;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A pickle reader that understands only what {@code torch.save} writes for a state dict, and builds plain values
 * ({@link Py}) instead of objects. Globals are tags from a fixed allow-list: a pickle naming any other global is
 * refused the moment the name is read, so nothing a pickle names is ever looked up, loaded or called. Every size is
 * bounded (stack, marks, memo, strings, values pushed), and a pickle must end with STOP and nothing after it.
 */
final class Unpickler {
    static final int MAX_STACK = 1 << 20;
    static final int MAX_MARK_DEPTH = 4096;
    static final int MAX_MEMO = 1 << 20;
    /**
     * Values pushed in all (made, or fetched from the memo); every reference a container holds was pushed once, so
     * this bounds both the objects and the container slots a pickle can make.
     */
    static final long MAX_VALUES = 4_000_000;
    static final int MAX_STRING_BYTES = 16 << 20;
    static final int MAX_GLOBAL_NAME = 256;
    /** PyTorch allows at most 64 dimensions. */
    static final int MAX_RANK = 64;

    /** The unpickled value and the pickle protocol it declared. */
    record Result(Object value, int protocol) {
    }

    /** The storage classes a persistent id may name, with the element type of their data. */
    static final Map<String, DType> STORAGE_TYPES = Map.of(
            "FloatStorage", DType.F32, "HalfStorage", DType.F16, "BFloat16Storage", DType.BF16,
            "DoubleStorage", DType.F64, "LongStorage", DType.I64, "IntStorage", DType.I32,
            "ShortStorage", DType.I16, "CharStorage", DType.I8, "ByteStorage", DType.U8, "BoolStorage", DType.BOOL);

    private static final Map<String, Py.Kind> CALLABLES = Map.of(
            "collections.OrderedDict", Py.Kind.ORDERED_DICT,
            "torch._utils._rebuild_tensor_v2", Py.Kind.REBUILD_TENSOR_V2,
            "torch._utils._rebuild_tensor", Py.Kind.REBUILD_TENSOR,
            "torch._utils._rebuild_parameter", Py.Kind.REBUILD_PARAMETER,
            "torch._utils._rebuild_parameter_with_state", Py.Kind.REBUILD_PARAMETER_WITH_STATE);

    private final Path path;
    private final String entry;
    private final byte[] b;
    private int pos;
    private int opStart;
    private Object[] stack = new Object[64];
    private int sp;
    private int[] marks = new int[16];
    private int markCount;
    /** Indexed by memo key; torch's pickler numbers its memo entries 0, 1, 2, ... */
    private Object[] memo = new Object[256];
    private int memoCount;
    private long values;
    private int protocol;

    private Unpickler(Path path, String entry, byte[] data) {
        this.path = path;
        this.entry = entry;
        this.b = data;
    }

    /**
     * Unpickles {@code data}, the archive entry {@code entry} of {@code path} (both for messages).
     *
     * @throws ModelFileException when the pickle is malformed, exceeds a bound, or uses anything not allowed
     */
    static Result parse(Path path, String entry, byte[] data) {
        Unpickler u = new Unpickler(path, entry, data);
        Object v = u.run();
        return new Result(v, u.protocol);
    }

    private ModelFileException fail(String problem) {
        return new ModelFileException(path, null, entry + ", byte " + opStart + ": " + problem);
    }

    // ---- reading the byte stream

    private void need(long n, int op) {
        if (n > b.length - pos) {
            throw fail("the pickle ends inside " + opName(op) + " (needs " + n + " more bytes, " + (b.length - pos)
                    + " left): truncated or corrupt");
        }
    }

    private int u8(int op) {
        need(1, op);
        return b[pos++] & 0xFF;
    }

    private int u16(int op) {
        need(2, op);
        int v = (b[pos] & 0xFF) | (b[pos + 1] & 0xFF) << 8;
        pos += 2;
        return v;
    }

    private int i32(int op) {
        need(4, op);
        int v = (b[pos] & 0xFF) | (b[pos + 1] & 0xFF) << 8 | (b[pos + 2] & 0xFF) << 16 | (b[pos + 3] & 0xFF) << 24;
        pos += 4;
        return v;
    }

    private long u32(int op) {
        return Integer.toUnsignedLong(i32(op));
    }

    /** A 64-bit length; one that does not fit a signed long is larger than any pickle and so refused by need(). */
    private long u64(int op) {
        need(8, op);
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = v << 8 | (b[pos + i] & 0xFF);
        }
        pos += 8;
        return v < 0 ? Long.MAX_VALUE : v;
    }

    private byte[] bytes(long n, int op) {
        if (n > MAX_STRING_BYTES) {
            throw fail(opName(op) + " of " + n + " bytes exceeds the limit of " + MAX_STRING_BYTES);
        }
        need(n, op);
        byte[] out = Arrays.copyOfRange(b, pos, pos + (int) n);
        pos += (int) n;
        return out;
    }

    private String utf8(long n, int op) {
        if (n <= 64 && n <= b.length - pos) {
            int len = (int) n;
            boolean ascii = true;
            for (int i = 0; i < len && ascii; i++) {
                ascii = b[pos + i] >= 0;
            }
            if (ascii) {
                String s = new String(b, pos, len, StandardCharsets.ISO_8859_1);
                pos += len;
                return s;
            }
        }
        byte[] raw = bytes(n, op);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw)).toString();
        } catch (CharacterCodingException e) {
            throw fail(opName(op) + " holds a string that is not valid UTF-8");
        }
    }

    /** A GLOBAL operand: printable ASCII up to a newline. */
    private String line(int op) {
        int start = pos;
        while (true) {
            if (pos >= b.length) {
                throw fail("the pickle ends inside " + opName(op) + ": truncated or corrupt");
            }
            int c = b[pos++] & 0xFF;
            if (c == '\n') {
                return new String(b, start, pos - 1 - start, StandardCharsets.US_ASCII);
            }
            if (c <= 0x20 || c >= 0x7F || pos - start > MAX_GLOBAL_NAME) {
                throw fail(opName(op) + " has a malformed module or name (not printable ASCII up to "
                        + MAX_GLOBAL_NAME + " bytes)");
            }
        }
    }

    // ---- the stack

    private int base() {
        return markCount == 0 ? 0 : marks[markCount - 1];
    }

    private void push(Object v) {
        if (++values > MAX_VALUES) {
            throw fail("the pickle pushes more than " + MAX_VALUES + " values");
        }
        if (sp == stack.length) {
            if (sp >= MAX_STACK) {
                throw fail("the pickle stack exceeds " + MAX_STACK + " entries");
            }
            stack = Arrays.copyOf(stack, Math.min(MAX_STACK, sp * 2));
        }
        stack[sp++] = v;
    }

    private Object pop(int op) {
        if (sp <= base()) {
            throw fail(opName(op) + " finds the stack empty (malformed pickle)");
        }
        Object v = stack[--sp];
        stack[sp] = null;
        return v;
    }

    private Object peek(int op) {
        if (sp <= base()) {
            throw fail(opName(op) + " finds the stack empty (malformed pickle)");
        }
        return stack[sp - 1];
    }

    private List<Object> popMark(int op) {
        if (markCount == 0) {
            throw fail(opName(op) + " has no MARK to pop to (malformed pickle)");
        }
        int m = marks[--markCount];
        List<Object> items = new ArrayList<>(Arrays.asList(stack).subList(m, sp));
        Arrays.fill(stack, m, sp, null);
        sp = m;
        return items;
    }

    private void memoPut(long index, Object v) {
        if (index >= MAX_MEMO) {
            throw fail("memo index " + index + " exceeds the limit of " + MAX_MEMO + " entries");
        }
        int i = (int) index;
        if (i >= memo.length) {
            memo = Arrays.copyOf(memo, (int) Math.min(MAX_MEMO, Math.max(2L * memo.length, i + 1L)));
        }
        if (memo[i] == null) {
            memoCount++;
        }
        memo[i] = v;
    }

    private Object memoGet(long index) {
        Object v = index < memo.length ? memo[(int) index] : null;
        if (v == null) {
            throw fail("memo entry " + index + " is read before it is written (malformed pickle)");
        }
        return v;
    }

    // ---- the machine

    private Object run() {
        while (true) {
            if (pos >= b.length) {
                opStart = pos;
                throw fail("the pickle ends without STOP: truncated or corrupt");
            }
            opStart = pos;
            int op = b[pos++] & 0xFF;
            switch (op) {
                case PROTO -> {
                    int v = u8(op);
                    if (v < 2 || v > 5) {
                        throw fail("pickle protocol " + v + " is not supported (torch.save writes 2; 2 to 5 are read)");
                    }
                    protocol = v;
                }
                case FRAME -> {
                    long n = u64(op);
                    if (n > b.length - pos) {
                        throw fail("FRAME of " + n + " bytes runs past the end of the pickle: truncated or corrupt");
                    }
                }
                case MARK -> {
                    if (markCount == MAX_MARK_DEPTH) {
                        throw fail("MARKs nest deeper than " + MAX_MARK_DEPTH);
                    }
                    if (markCount == marks.length) {
                        marks = Arrays.copyOf(marks, markCount * 2);
                    }
                    marks[markCount++] = sp;
                }
                case STOP -> {
                    Object v = pop(op);
                    if (sp != 0 || markCount != 0) {
                        throw fail("STOP leaves " + sp + " values and " + markCount + " marks behind (malformed pickle)");
                    }
                    if (pos != b.length) {
                        throw fail((b.length - pos) + " bytes follow STOP (corrupt or not a checkpoint pickle)");
                    }
                    return v;
                }
                case POP -> {
                    if (sp > base()) {
                        pop(op);
                    } else if (markCount > 0) {
                        markCount--;
                    } else {
                        throw fail("POP finds the stack empty (malformed pickle)");
                    }
                }
                case POP_MARK -> popMark(op);
                case DUP -> push(peek(op));
                case NONE -> push(Py.NONE);
                case NEWTRUE -> push(Boolean.TRUE);
                case NEWFALSE -> push(Boolean.FALSE);
                case BININT -> push((long) i32(op));
                case BININT1 -> push((long) u8(op));
                case BININT2 -> push((long) u16(op));
                case LONG1 -> push(long1(op));
                case BINFLOAT -> {
                    need(8, op);
                    double d = ByteBuffer.wrap(b, pos, 8).getDouble();
                    pos += 8;
                    push(d);
                }
                case BINUNICODE -> push(utf8(u32(op), op));
                case SHORT_BINUNICODE -> push(utf8(u8(op), op));
                case BINUNICODE8 -> push(utf8(u64(op), op));
                case BINBYTES -> push(bytes(u32(op), op));
                case SHORT_BINBYTES -> push(bytes(u8(op), op));
                case BINBYTES8 -> push(bytes(u64(op), op));
                case EMPTY_DICT -> push(new Py.Dict(false));
                case EMPTY_LIST -> push(new Py.PyList());
                case EMPTY_TUPLE -> push(new Py.Tuple(List.of()));
                case TUPLE -> push(new Py.Tuple(popMark(op)));
                case TUPLE1, TUPLE2, TUPLE3 -> {
                    int n = op - TUPLE1 + 1;
                    Object[] items = new Object[n];
                    for (int i = n - 1; i >= 0; i--) {
                        items[i] = pop(op);
                    }
                    push(new Py.Tuple(Arrays.asList(items)));
                }
                case BINPUT -> memoPut(u8(op), peek(op));
                case LONG_BINPUT -> memoPut(u32(op), peek(op));
                case MEMOIZE -> memoPut(memoCount, peek(op));
                case BINGET -> push(memoGet(u8(op)));
                case LONG_BINGET -> push(memoGet(u32(op)));
                case APPEND -> {
                    Object v = pop(op);
                    list(peek(op), op).items.add(v);
                }
                case APPENDS -> {
                    List<Object> items = popMark(op);
                    list(peek(op), op).items.addAll(items);
                }
                case SETITEM -> {
                    Object v = pop(op);
                    Object k = pop(op);
                    put(dict(peek(op), op), k, v, op);
                }
                case SETITEMS -> {
                    List<Object> items = popMark(op);
                    if (items.size() % 2 != 0) {
                        throw fail("SETITEMS has an odd number of keys and values (malformed pickle)");
                    }
                    Py.Dict d = dict(peek(op), op);
                    for (int i = 0; i < items.size(); i += 2) {
                        put(d, items.get(i), items.get(i + 1), op);
                    }
                }
                case GLOBAL -> {
                    String module = line(op);
                    String name = line(op);
                    push(global(module, name));
                }
                case STACK_GLOBAL -> {
                    Object name = pop(op);
                    Object module = pop(op);
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw fail("STACK_GLOBAL needs two strings, got " + Py.typeName(module) + " and "
                                + Py.typeName(name));
                    }
                    push(global(m, n));
                }
                case REDUCE -> {
                    Object args = pop(op);
                    Object callable = pop(op);
                    push(reduce(callable, args));
                }
                case BUILD -> {
                    Object state = pop(op);
                    build(peek(op), state);
                }
                case BINPERSID -> push(persistentLoad(pop(op)));
                default -> throw fail(refusal(op));
            }
        }
    }

    private long long1(int op) {
        int n = u8(op);
        if (n > 8) {
            throw fail("LONG1 integer of " + n + " bytes does not fit 64 bits");
        }
        need(n, op);
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = v << 8 | (b[pos + i] & 0xFF);
        }
        if (n > 0 && n < 8 && (b[pos + n - 1] & 0x80) != 0) {
            v -= 1L << (8 * n);
        }
        pos += n;
        return v;
    }

    private Py.PyList list(Object target, int op) {
        if (target instanceof Py.PyList l) {
            return l;
        }
        throw fail(opName(op) + " appends to a " + Py.typeName(target) + ", not a list");
    }

    private Py.Dict dict(Object target, int op) {
        if (target instanceof Py.Dict d) {
            return d;
        }
        throw fail(opName(op) + " sets an item of a " + Py.typeName(target) + ", not a dict");
    }

    private void put(Py.Dict d, Object k, Object v, int op) {
        if (k instanceof Py.Dict || k instanceof Py.PyList) {
            throw fail(opName(op) + " uses a " + Py.typeName(k) + " as a dict key (unhashable)");
        }
        d.items.put(k, v);
    }

    private Py.Global global(String module, String name) {
        String q = module + "." + name;
        Py.Kind kind = CALLABLES.get(q);
        if (kind != null) {
            return new Py.Global(kind, q, null);
        }
        if (module.equals("torch") && name.endsWith("Storage")) {
            DType t = STORAGE_TYPES.get(name);
            if (t == null) {
                throw fail("storage type " + q + " is not supported (supported: "
                        + String.join(", ", STORAGE_TYPES.keySet().stream().sorted().toList()) + ")");
            }
            return new Py.Global(Py.Kind.STORAGE_TYPE, q, t);
        }
        throw fail("the pickle references the global '" + q + "', which is not allowed: a checkpoint is read as data,"
                + " and only collections.OrderedDict, torch._utils._rebuild_tensor_v2, _rebuild_tensor,"
                + " _rebuild_parameter and the torch storage types are accepted");
    }

    private Object reduce(Object callable, Object args) {
        if (!(callable instanceof Py.Global g)) {
            throw fail("REDUCE calls a " + Py.typeName(callable) + ", which is not callable here");
        }
        if (!(args instanceof Py.Tuple a)) {
            throw fail("REDUCE of " + g.qualifiedName() + " has arguments of type " + Py.typeName(args)
                    + ", not a tuple");
        }
        return switch (g.kind()) {
            case ORDERED_DICT -> {
                arity(g, a, 0, 0);
                yield new Py.Dict(true);
            }
            case REBUILD_TENSOR_V2 -> {
                arity(g, a, 6, 7);
                arg(g, a, 4, Boolean.class, "requires_grad");
                arg(g, a, 5, Py.Dict.class, "backward_hooks");
                yield tensor(g, a);
            }
            case REBUILD_TENSOR -> {
                arity(g, a, 4, 4);
                yield tensor(g, a);
            }
            case REBUILD_PARAMETER, REBUILD_PARAMETER_WITH_STATE -> {
                int n = g.kind() == Py.Kind.REBUILD_PARAMETER ? 3 : 4;
                arity(g, a, n, n);
                arg(g, a, 1, Boolean.class, "requires_grad");
                arg(g, a, 2, Py.Dict.class, "backward_hooks");
                yield arg(g, a, 0, Py.Tensor.class, "data");
            }
            case STORAGE_TYPE -> throw fail("REDUCE calls " + g.qualifiedName()
                    + ", which a checkpoint only uses to tag storages");
        };
    }

    private void arity(Py.Global g, Py.Tuple a, int min, int max) {
        if (a.size() < min || a.size() > max) {
            throw fail(g.qualifiedName() + " takes " + (min == max ? min : min + " or " + max) + " arguments here, got "
                    + a.size());
        }
    }

    private <T> T arg(Py.Global g, Py.Tuple a, int i, Class<T> type, String what) {
        Object v = a.get(i);
        if (!type.isInstance(v)) {
            throw fail(g.qualifiedName() + " argument " + (i + 1) + " (" + what + ") is a " + Py.typeName(v));
        }
        return type.cast(v);
    }

    private Py.Tensor tensor(Py.Global g, Py.Tuple a) {
        Py.Storage storage = arg(g, a, 0, Py.Storage.class, "storage");
        long offset = arg(g, a, 1, Long.class, "storage_offset");
        long[] size = ints(g, arg(g, a, 2, Py.Tuple.class, "size"), "size");
        long[] stride = ints(g, arg(g, a, 3, Py.Tuple.class, "stride"), "stride");
        return new Py.Tensor(storage, offset, size, stride);
    }

    private long[] ints(Py.Global g, Py.Tuple t, String what) {
        if (t.size() > MAX_RANK) {
            throw fail(g.qualifiedName() + " " + what + " has " + t.size() + " dimensions, more than " + MAX_RANK);
        }
        long[] out = new long[t.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(t.get(i) instanceof Long v)) {
                throw fail(g.qualifiedName() + " " + what + " holds a " + Py.typeName(t.get(i)) + ", not an int");
            }
            out[i] = v;
        }
        return out;
    }

    /** BUILD is what pickling an OrderedDict with attributes (a state dict's {@code _metadata}) writes; dropped. */
    private void build(Object target, Object state) {
        if (!(target instanceof Py.Dict d) || !d.ordered) {
            throw fail("BUILD on a " + Py.typeName(target) + ": only an OrderedDict's attributes are accepted");
        }
        boolean ok = state instanceof Py.Dict
                || state instanceof Py.Tuple t && t.size() == 2
                && (t.get(0) == Py.NONE || t.get(0) instanceof Py.Dict)
                && (t.get(1) == Py.NONE || t.get(1) instanceof Py.Dict);
        if (!ok) {
            throw fail("BUILD of an OrderedDict with a state of type " + Py.typeName(state) + ", not a dict");
        }
    }

    private Py.Storage persistentLoad(Object pid) {
        if (pid instanceof Py.Tuple t && t.size() == 5 && "storage".equals(t.get(0))
                && t.get(1) instanceof Py.Global g && g.kind() == Py.Kind.STORAGE_TYPE
                && t.get(2) instanceof String key && t.get(3) instanceof String location
                && t.get(4) instanceof Long numel) {
            if (numel < 0) {
                throw fail("storage '" + key + "' has a negative size " + numel);
            }
            return new Py.Storage(g.qualifiedName(), g.storageDType(), key, location, numel);
        }
        throw fail("persistent id of type " + Py.typeName(pid) + " is not a storage reference"
                + " ('storage', torch.XStorage, key, location, numel)");
    }

    // ---- opcodes

    private static final int MARK = '(', STOP = '.', POP = '0', POP_MARK = '1', DUP = '2', BINFLOAT = 'G',
            BININT = 'J', BININT1 = 'K', BININT2 = 'M', NONE = 'N', BINPERSID = 'Q', REDUCE = 'R', BINUNICODE = 'X',
            EMPTY_LIST = ']', APPEND = 'a', BUILD = 'b', GLOBAL = 'c', APPENDS = 'e', BINGET = 'h', LONG_BINGET = 'j',
            BINPUT = 'q', LONG_BINPUT = 'r', SETITEM = 's', TUPLE = 't', SETITEMS = 'u', EMPTY_DICT = '}',
            EMPTY_TUPLE = ')', BINBYTES = 'B', SHORT_BINBYTES = 'C';
    private static final int PROTO = 0x80, TUPLE1 = 0x85, TUPLE2 = 0x86, TUPLE3 = 0x87, NEWTRUE = 0x88,
            NEWFALSE = 0x89, LONG1 = 0x8a, SHORT_BINUNICODE = 0x8c, BINUNICODE8 = 0x8d, BINBYTES8 = 0x8e,
            STACK_GLOBAL = 0x93, MEMOIZE = 0x94, FRAME = 0x95;

    private static final Map<Integer, String> NAMES = new HashMap<>();

    static {
        String[] known = {
            "(MARK", ".STOP", "0POP", "1POP_MARK", "2DUP", "GBINFLOAT", "JBININT", "KBININT1", "MBININT2", "NNONE",
            "QBINPERSID", "RREDUCE", "XBINUNICODE", "]EMPTY_LIST", "aAPPEND", "bBUILD", "cGLOBAL", "eAPPENDS",
            "hBINGET", "jLONG_BINGET", "qBINPUT", "rLONG_BINPUT", "sSETITEM", "tTUPLE", "uSETITEMS", "}EMPTY_DICT",
            ")EMPTY_TUPLE", "BBINBYTES", "CSHORT_BINBYTES",
            "FFLOAT", "IINT", "LLONG", "SSTRING", "TBINSTRING", "USHORT_BINSTRING", "VUNICODE", "PPERSID", "dDICT",
            "lLIST", "iINST", "oOBJ", "pPUT", "gGET"};
        for (String s : known) {
            NAMES.put((int) s.charAt(0), s.substring(1));
        }
        String[] high = {"PROTO", "NEWOBJ", "EXT1", "EXT2", "EXT4", "TUPLE1", "TUPLE2", "TUPLE3", "NEWTRUE",
            "NEWFALSE", "LONG1", "LONG4", "SHORT_BINUNICODE", "BINUNICODE8", "BINBYTES8", "EMPTY_SET", "ADDITEMS",
            "FROZENSET", "NEWOBJ_EX", "STACK_GLOBAL", "MEMOIZE", "FRAME", "BYTEARRAY8", "NEXT_BUFFER",
            "READONLY_BUFFER"};
        for (int i = 0; i < high.length; i++) {
            NAMES.put(0x80 + i, high[i]);
        }
    }

    static String opName(int op) {
        String n = NAMES.get(op);
        return n == null ? String.format("opcode 0x%02x", op) : String.format("%s (0x%02x)", n, op);
    }

    private static String refusal(int op) {
        String n = NAMES.get(op);
        if (n == null) {
            return String.format("unknown pickle opcode 0x%02x: corrupt, or not a pickle", op);
        }
        return "pickle opcode " + opName(op) + " is not accepted: torch.save does not write it for a state dict";
    }
}
