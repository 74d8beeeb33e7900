package dev.rwkvjava.kernel;

import com.sun.management.HotSpotDiagnosticMXBean;

import java.lang.management.ManagementFactory;

/** HotSpot flags as the running JVM reports them, for choosing and tuning the kernels. */
public final class VmFlags {
    private VmFlags() {
    }

    /** The value of a HotSpot flag, or null where the JVM or its management module cannot tell. */
    public static String value(String name) {
        try {
            return ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).getVMOption(name).getValue();
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }
}
