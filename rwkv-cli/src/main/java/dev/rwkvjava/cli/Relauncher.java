package dev.rwkvjava.cli;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Makes {@code java -jar rwkv.jar} fast without flags: when the Vector API module is missing, the jar starts
 * itself again with {@code --add-modules jdk.incubator.vector}, keeping the user's JVM options. Set
 * {@code RWKV_NO_RELAUNCH=1} to stay in the first JVM (the scalar kernels then run, with a one-line notice).
 */
final class Relauncher {
    static final String GUARD = "RWKV_RELAUNCHED";

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
        // The user's options carry over (a second --add-modules is harmless).
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(classPath);
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
        pb.environment().put(GUARD, "1");
        try {
            Process p = pb.start();
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
            System.exit(code);
            return true;
        } catch (Exception e) {
            // The first JVM carries on with the scalar kernels.
            return false;
        }
    }
}
