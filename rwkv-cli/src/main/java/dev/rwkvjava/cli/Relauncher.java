package dev.rwkvjava.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Makes {@code java -jar rwkv.jar} fast without flags: when the Vector API module is missing, the jar starts
 * itself again with {@code --add-modules jdk.incubator.vector}, keeping the user's JVM options. Set
 * {@code RWKV_NO_RELAUNCH=1} to stay in the first JVM (the scalar kernels then run, with a one-line notice).
 *
 * <p>The two JVMs live and die together: a stopped parent (Ctrl-C, SIGTERM) stops the child from a shutdown hook,
 * and a parent killed outright (SIGKILL, where no hook runs) is noticed by the child, which then exits itself.
 * Arguments that the locale cannot encode travel to the child in the environment, as UTF-8.
 */
final class Relauncher {
    static final String GUARD = "RWKV_RELAUNCHED";
    /** The parent's process id, set for the child. */
    static final String PARENT_PID = "RWKV_PARENT_PID";
    /** The arguments as Base64 of their UTF-8, comma-separated, when the locale cannot carry them. */
    static final String ARGS = "RWKV_ARGS_UTF8";

    private Relauncher() {
    }

    /**
     * Whether the JVM options open a listening socket (a debugger agent, a JMX port): a second JVM with the same
     * options would fail to bind it, so such a JVM stays put and runs the scalar kernels (with the notice).
     */
    static boolean bindsASocket(List<String> jvmOptions) {
        for (String o : jvmOptions) {
            if (o.startsWith("-agentlib:jdwp") || o.startsWith("-Xrunjdwp")
                    || o.startsWith("-Dcom.sun.management.jmxremote.port=")) {
                return true;
            }
        }
        return false;
    }

    /**
     * JIT options of the relaunched JVM (and of {@code ./rwkv}): the kernels' methods are compiled after a twentieth
     * of the usual calls and loop iterations, so that C2 compiles them (with the Vector API inlined) early instead of
     * running them interpreted, and compiling the Vector API's own methods one by one, for seconds. {@code quiet}
     * keeps the JVM from announcing the command on standard output.
     */
    static final List<String> JIT_OPTIONS = List.of("-XX:CompileCommand=quiet",
            "-XX:CompileCommand=CompileThresholdScaling,dev.rwkvjava.kernel.panama.*::*,0.05");

    /** Returns true when a child JVM ran the command (the caller must then exit with its code, done here). */
    static boolean relaunchWithVectorModuleIfNeeded(String[] args) {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
                || System.getenv(GUARD) != null
                || "1".equals(System.getenv("RWKV_NO_RELAUNCH"))
                || System.getProperty("rwkv.kernels") != null) {
            return false;
        }
        String classPath = System.getProperty("java.class.path");
        List<String> jvmOptions = ManagementFactory.getRuntimeMXBean().getInputArguments();
        if (classPath == null || classPath.isEmpty() || bindsASocket(jvmOptions)) {
            return false;
        }
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new ArrayList<>();
        cmd.add(java.toString());
        cmd.add("--add-modules=jdk.incubator.vector");
        cmd.addAll(JIT_OPTIONS);
        Path aot = aotCache(classPath, jvmOptions);
        if (aot != null) {
            cmd.addAll(aotOptions(aot));
            // The cache holds the jar's absolute path: the class path must name it the same way.
            classPath = Path.of(classPath).toAbsolutePath().toString();
        }
        // The user's options carry over (a second --add-modules is harmless).
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(classPath);
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(args));
        // Standard error goes through this JVM, which drops the child JVM's incubator notice (see IncubatorNotice).
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.INHERIT)
                .redirectOutput(ProcessBuilder.Redirect.INHERIT);
        asChild(pb);
        if (!encodable(args)) {
            pb.environment().put(ARGS, encodeArgs(args));
        }
        try {
            Process p = pb.start();
            Thread errors = IncubatorNotice.copyWithout(p.getErrorStream(),
                    new FileOutputStream(FileDescriptor.err));
            // Stopped (Ctrl-C), the child is stopped too, and waited for: its own clean-up ends before this JVM.
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                p.destroy();
                try {
                    p.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
            int code = p.waitFor();
            errors.join(TimeUnit.SECONDS.toMillis(10));
            System.exit(code);
            return true;
        } catch (Exception e) {
            // The first JVM carries on with the scalar kernels.
            return false;
        }
    }

    /** The file name of the ahead-of-time cache that the build puts beside the jar. */
    static final String AOT_CACHE = "rwkv.aot";

    /**
     * The jar's ahead-of-time cache ({@link #AOT_CACHE} beside it), or null: when the class path is not one jar,
     * the file is missing, or the user's options already choose a cache or turn class sharing off. The JVM checks
     * that the cache matches the jar and this JDK, and runs without it (silently, see {@link #aotOptions}) when not.
     */
    static Path aotCache(String classPath, List<String> jvmOptions) {
        if (classPath.contains(java.io.File.pathSeparator) || !classPath.endsWith(".jar")) {
            return null;
        }
        for (String o : jvmOptions) {
            if (o.startsWith("-XX:AOT") || o.startsWith("-XX:SharedArchiveFile") || o.equals("-Xshare:off")) {
                return null;
            }
        }
        try {
            Path cache = Path.of(classPath).toAbsolutePath().resolveSibling(AOT_CACHE);
            return java.nio.file.Files.isRegularFile(cache) ? cache : null;
        } catch (java.nio.file.InvalidPathException e) {
            return null;
        }
    }

    /** Options that use the cache, with its messages (a stale cache is reported on stdout) turned off. */
    static List<String> aotOptions(Path cache) {
        return List.of("-XX:AOTCache=" + cache, "-Xlog:aot*=off", "-Xlog:cds*=off");
    }

    /** Whether the platform's argument encoding (the locale's) carries every argument unchanged. */
    private static boolean encodable(String[] args) {
        String name = System.getProperty("sun.jnu.encoding");
        java.nio.charset.Charset cs;
        try {
            cs = name == null ? java.nio.charset.Charset.defaultCharset() : java.nio.charset.Charset.forName(name);
        } catch (RuntimeException e) {
            return false;
        }
        java.nio.charset.CharsetEncoder enc = cs.newEncoder();
        for (String a : args) {
            if (!enc.canEncode(a)) {
                return false;
            }
        }
        return true;
    }

    static String encodeArgs(String[] args) {
        java.util.StringJoiner j = new java.util.StringJoiner(",");
        for (String a : args) {
            j.add(java.util.Base64.getEncoder().encodeToString(a.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        return j.toString();
    }

    /**
     * Marks {@code pb}'s process as a relaunched child of this JVM: it does not relaunch itself, and it stops when
     * this JVM is gone. What this JVM's own parent set for it (its parent's id, its arguments) does not carry over.
     */
    static ProcessBuilder asChild(ProcessBuilder pb) {
        pb.environment().put(GUARD, "1");
        pb.environment().put(PARENT_PID, Long.toString(ProcessHandle.current().pid()));
        pb.environment().remove(ARGS);
        return pb;
    }

    /**
     * In a relaunched JVM whose parent passed the arguments in the environment, those arguments (the command line's
     * own were damaged by the locale); otherwise {@code args}.
     */
    static String[] argumentsFromParent(String[] args) {
        String encoded = System.getenv(GUARD) != null ? System.getenv(ARGS) : null;
        if (encoded == null) {
            return args;
        }
        String[] parts = encoded.isEmpty() ? new String[0] : encoded.split(",", -1);
        if (parts.length != args.length) {
            return args; // not the parent's arguments for this command line
        }
        String[] out = new String[parts.length];
        for (int i = 0; i < parts.length; i++) {
            out[i] = new String(java.util.Base64.getDecoder().decode(parts[i]), java.nio.charset.StandardCharsets.UTF_8);
        }
        return out;
    }

    /**
     * In a relaunched JVM: exits (running its shutdown hooks, so temporary files go) as soon as the parent is gone,
     * since a parent killed with SIGKILL cannot stop it, and an orphan would run on unseen.
     */
    static void stopWithTheLaunchingJvm() {
        String pid = System.getenv(GUARD) != null ? System.getenv(PARENT_PID) : null;
        if (pid == null) {
            return;
        }
        long parentPid;
        try {
            parentPid = Long.parseLong(pid);
        } catch (NumberFormatException e) {
            return;
        }
        // The parent recorded at start: if it is already gone, the current parent is whoever adopted us.
        java.util.Optional<ProcessHandle> parent = ProcessHandle.current().parent()
                .filter(p -> p.pid() == parentPid && p.isAlive());
        if (parent.isEmpty()) {
            parentGone();
            return;
        }
        parent.get().onExit().thenRun(Relauncher::parentGone);
    }

    private static void parentGone() {
        System.err.println("rwkv: the launching process ended; stopping");
        System.exit(143);
    }
}
