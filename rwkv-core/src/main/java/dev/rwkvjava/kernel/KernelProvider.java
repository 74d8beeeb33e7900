package dev.rwkvjava.kernel;

import dev.rwkvjava.tensor.WeightType;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Chooses the kernels once per JVM: the Vector API implementation when {@code jdk.incubator.vector} is present,
 * the JVM's optimizing compiler is on (without it vector code runs far slower than plain loops) and the kernels
 * pass a self-check; else the scalar one, with a warning that says why (through {@link System.Logger}, logger
 * {@code dev.rwkvjava.kernel.KernelProvider}; the command line prints it as one line on stderr).
 *
 * <p>The self-check of the matrix kernels runs per weight type, once per JVM, when kernels for that type are first
 * asked for: {@link #forTypes} checks only the types a model holds (a fresh process would otherwise spend its first
 * second running every type's kernels interpreted), {@link #get()} checks them all.
 *
 * <p>{@code -Drwkv.kernels=auto|scalar|panama} overrides the choice ({@code panama} fails loudly if unavailable).
 * {@link Kernels#name()} of the result describes it in one line, e.g. {@code "panama-512 (FMA)"} or
 * {@code "scalar"}.
 */
public final class KernelProvider {
    public static final String PROPERTY = "rwkv.kernels";
    /** Says (once) why the scalar kernels were chosen where the Vector API ones were possible. */
    private static final System.Logger LOG = System.getLogger(KernelProvider.class.getName());
    static final String PANAMA_CLASS = "dev.rwkvjava.kernel.panama.PanamaKernels";

    private KernelProvider() {
    }

    /** Matrix self-check per weight type: "" when it passed, else what went wrong. */
    private static final Map<WeightType, String> TYPE_CHECKS = new ConcurrentHashMap<>();

    /** The kernels chosen for this JVM, with the matrix kernels of every weight type self-checked. */
    public static Kernels get() {
        return forTypes(WeightType.all());
    }

    /**
     * The kernels chosen for this JVM, for weights of the given types: the Vector API ones when their self-check
     * passes for these types (each type is checked once per JVM), else the scalar ones, with a warning naming the
     * type. The same instance as {@link #get()} whenever the checks pass.
     */
    public static Kernels forTypes(Collection<WeightType> types) {
        Holder.Choice c = Holder.CHOICE;
        if (!c.checkTypes()) {
            return c.kernels();
        }
        for (WeightType t : types) {
            if (!TYPE_CHECKS.computeIfAbsent(t, type -> checkType(c.kernels(), type)).isEmpty()) {
                return Holder.SCALAR;
            }
        }
        return c.kernels();
    }

    /** Weight types whose matrix kernels this JVM has self-checked so far (for tests). */
    static Set<WeightType> checkedTypes() {
        Set<WeightType> s = new TreeSet<>(java.util.Comparator.comparing(t -> t.dtype().name()));
        s.addAll(TYPE_CHECKS.keySet());
        return s;
    }

    private static String checkType(Kernels kernels, WeightType type) {
        String m;
        try {
            m = KernelSelfCheck.matrixMismatch(kernels, type);
        } catch (LinkageError | RuntimeException e) {
            m = "unavailable: " + describe(e);
        }
        if (m == null) {
            return "";
        }
        LOG.log(System.Logger.Level.WARNING, "Vector API kernels failed their self-check for " + type.dtype()
                + " weights (" + m + "), using scalar kernels for them.");
        return m;
    }

    /** Whether the Vector API module is in the boot layer of this JVM. */
    public static boolean vectorModulePresent() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /** The Vector API kernels, or an exception saying why they cannot be had. */
    public static Kernels panama() {
        if (!vectorModulePresent()) {
            throw new UnsupportedOperationException("the jdk.incubator.vector module is not present: "
                    + "run java with --add-modules jdk.incubator.vector");
        }
        try {
            Class<?> c = MethodHandles.lookup().findClass(PANAMA_CLASS);
            return (Kernels) MethodHandles.lookup().findConstructor(c, MethodType.methodType(void.class)).invoke();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cannot create the Vector API kernels", t);
        }
    }

    /** The kernels, and whether the matrix kernels still need their per-type self-check. */
    private static Holder.Choice choose() {
        String mode = System.getProperty(PROPERTY, "auto").trim().toLowerCase(Locale.ROOT);
        switch (mode) {
            case "scalar":
                return new Holder.Choice(Holder.SCALAR, false);
            case "panama":
                return new Holder.Choice(panama(), false);
            case "auto":
                break;
            default:
                throw new IllegalArgumentException("-D" + PROPERTY + "=" + mode + ": expected auto, scalar or panama");
        }
        if (!vectorModulePresent()) {
            LOG.log(System.Logger.Level.WARNING, "Vector API not enabled, using scalar kernels (slower); "
                    + "pass --add-modules jdk.incubator.vector to java for SIMD.");
            return new Holder.Choice(Holder.SCALAR, false);
        }
        String noC2 = optimizingCompilerOff(System.getProperty("java.vm.name", ""),
                System.getProperty("java.vm.info", ""), VmFlags.value("TieredStopAtLevel"), VmFlags.value("UseCompiler"));
        if (noC2 != null) {
            LOG.log(System.Logger.Level.WARNING, noC2 + ", so Vector API code would be slower than plain Java; "
                    + "using scalar kernels.");
            return new Holder.Choice(Holder.SCALAR, false);
        }
        try {
            Kernels kernels = panama();
            String mismatch = KernelSelfCheck.elementwiseMismatch(kernels);
            if (mismatch == null) {
                return new Holder.Choice(kernels, true);
            }
            LOG.log(System.Logger.Level.WARNING, "Vector API kernels failed their self-check (" + mismatch
                    + "), using scalar kernels.");
        } catch (LinkageError | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "Vector API kernels unavailable (" + describe(e)
                    + "), using scalar kernels.");
        }
        return new Holder.Choice(Holder.SCALAR, false);
    }

    /**
     * Why the JVM described by these properties cannot compile Vector API code into vector instructions, or null
     * when it can (or when it does not say). Only HotSpot's C2 does; C1 and the interpreter run every vector
     * operation as objects and loops.
     *
     * @param tieredStopAtLevel HotSpot's -XX:TieredStopAtLevel (null when unknown); below 4 C2 never runs
     * @param useCompiler       HotSpot's UseCompiler (null when unknown); false under -Xint
     */
    static String optimizingCompilerOff(String vmName, String vmInfo, String tieredStopAtLevel, String useCompiler) {
        if (!vmName.contains("HotSpot") && !vmName.contains("OpenJDK")) {
            return "the JVM is " + (vmName.isEmpty() ? "not HotSpot" : vmName + ", not HotSpot");
        }
        if (vmInfo.contains("interpreted mode") || "false".equals(useCompiler)) {
            return "the JIT compiler is off (-Xint)";
        }
        if (tieredStopAtLevel != null) {
            try {
                int level = Integer.parseInt(tieredStopAtLevel.trim());
                if (level < 4) {
                    return "the optimizing JIT compiler is off (-XX:TieredStopAtLevel=" + level + ")";
                }
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    /** An ExceptionInInitializerError says nothing by itself; its cause says what went wrong. */
    private static String describe(Throwable e) {
        Throwable cause = e.getCause();
        return cause == null || cause == e ? e.toString() : e + ": " + cause;
    }

    private static final class Holder {
        static final Kernels SCALAR = new ScalarKernels();
        static final Choice CHOICE = choose();

        /** @param checkTypes whether kernels are the Vector API ones, whose matrix kernels are checked per type */
        record Choice(Kernels kernels, boolean checkTypes) {
        }
    }
}
