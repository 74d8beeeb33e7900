package dev.rwkvjava.kernel;

/** Prints the name of the kernels this JVM gets; {@link KernelProviderTest} runs it under various JVM flags. */
public final class KernelNameMain {
    private KernelNameMain() {
    }

    public static void main(String[] args) {
        System.out.println(KernelProvider.get().name());
    }
}
