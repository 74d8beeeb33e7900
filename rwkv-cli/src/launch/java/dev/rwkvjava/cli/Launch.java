package dev.rwkvjava.cli;

import java.lang.reflect.InvocationTargetException;

/**
 * The jar's entry point. Compiled for Java 8, unlike the rest of the jar, so that an older Java still runs it and
 * the user reads which Java the command needs, where the JVM alone would stop with an UnsupportedClassVersionError
 * that names class-file versions. On Java 25 or newer it hands over to the command line (dev.rwkvjava.cli.Main).
 */
public final class Launch {
    static final int REQUIRED_FEATURE = 25;

    private Launch() {
    }

    public static void main(String[] args) throws Throwable {
        String version = System.getProperty("java.specification.version", "");
        if (feature(version) < REQUIRED_FEATURE) {
            System.err.println("rwkv: needs Java " + REQUIRED_FEATURE + " or newer, but this is Java " + version
                    + " (" + System.getProperty("java.home") + "). Run the jar with the java of a JDK "
                    + REQUIRED_FEATURE + ", or run ./rwkv from the source checkout, which finds one.");
            System.exit(1);
        }
        try {
            Class.forName("dev.rwkvjava.cli.Main").getMethod("main", String[].class).invoke(null, (Object) args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** The feature release of a java.specification.version: "1.8" is 8, "25" is 25; 0 when unreadable. */
    static int feature(String specificationVersion) {
        String v = specificationVersion.startsWith("1.") ? specificationVersion.substring(2) : specificationVersion;
        int end = 0;
        while (end < v.length() && Character.isDigit(v.charAt(end))) {
            end++;
        }
        return end == 0 ? 0 : Integer.parseInt(v.substring(0, end));
    }
}
