package dev.rwkvjava.kernel;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Locale;

/**
 * Chooses the kernels once per JVM: the Vector API implementation when {@code jdk.incubator.vector} is present,
 * the JVM's optimizing compiler is on (without it vector code runs far slower than plain loops) and the kernels
 * pass a self-check; else the scalar one, with a warning that says why (through {@link System.Logger}, logger
 * {@code dev.rwkvjava.kernel.KernelProvider}; the command line prints it as one line on stderr).
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

    /** The kernels chosen for this JVM. */
    public static Kernels get() {
        return Holder.INSTANCE;
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

    private static Kernels choose() {
        String mode = System.getProperty(PROPERTY, "auto").trim().toLowerCase(Locale.ROOT);
        switch (mode) {
            case "scalar":
                return new ScalarKernels();
            case "panama":
                return panama();
            case "auto":
                break;
            default:
                throw new IllegalArgumentException("-D" + PROPERTY + "=" + mode + ": expected auto, scalar or panama");
        }
        if (!vectorModulePresent()) {
            LOG.log(System.Logger.Level.WARNING, "Vector API not enabled, using scalar kernels (slower); "
                    + "pass --add-modules jdk.incubator.vector to java for SIMD.");
            return new ScalarKernels();
        }
        String noC2 = optimizingCompilerOff(System.getProperty("java.vm.name", ""),
                System.getProperty("java.vm.info", ""), VmFlags.value("TieredStopAtLevel"), VmFlags.value("UseCompiler"));
        if (noC2 != null) {
            LOG.log(System.Logger.Level.WARNING, noC2 + ", so Vector API code would be slower than plain Java; "
                    + "using scalar kernels.");
            return new ScalarKernels();
        }
        try {
            Kernels kernels = panama();
            String mismatch = KernelSelfCheck.mismatch(kernels);
            if (mismatch == null) {
                return kernels;
            }
            LOG.log(System.Logger.Level.WARNING, "Vector API kernels failed their self-check (" + mismatch
                    + "), using scalar kernels.");
        } catch (LinkageError | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "Vector API kernels unavailable (" + describe(e)
                    + "), using scalar kernels.");
        }
        return new ScalarKernels();
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
        static final Kernels INSTANCE = choose();
    }
}
