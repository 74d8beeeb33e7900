/**
 * Pure-Java CPU inference for RWKV language models: loading a model ({@link dev.rwkvjava.RwkvModel}), its
 * recurrent state ({@code dev.rwkvjava.state}), text generation and sessions ({@code dev.rwkvjava.generate}),
 * sampling ({@code dev.rwkvjava.sampling}) and evaluation ({@code dev.rwkvjava.eval}).
 *
 * <p>The Vector API kernels need {@code --add-modules jdk.incubator.vector}; without it the module runs on scalar
 * kernels (it reads the incubator module only when the JVM has resolved it).
 */
// The qualified exports name modules built after this one, and fastutil is an automatic module (no descriptor).
@SuppressWarnings({"module", "requires-automatic"})
module dev.rwkvjava.core {
    requires transitive dev.rwkvjava.tokenizer;
    requires com.fasterxml.jackson.databind;
    requires it.unimi.dsi.fastutil;
    requires java.net.http;
    requires java.management;
    requires jdk.management;
    // Optional: the kernels are chosen at run time by whether the JVM has the module (KernelProvider).
    requires static jdk.incubator.vector;

    exports dev.rwkvjava;
    exports dev.rwkvjava.eval;
    exports dev.rwkvjava.generate;
    exports dev.rwkvjava.hub;
    exports dev.rwkvjava.sampling;
    exports dev.rwkvjava.state;

    // For the engine's own modules (the command line and the server) only.
    exports dev.rwkvjava.convert to dev.rwkvjava.cli;
    exports dev.rwkvjava.hub.internal to dev.rwkvjava.cli;
    exports dev.rwkvjava.internal to dev.rwkvjava.cli, dev.rwkvjava.serve;
    exports dev.rwkvjava.io to dev.rwkvjava.cli;
    exports dev.rwkvjava.kernel to dev.rwkvjava.cli;
    exports dev.rwkvjava.model to dev.rwkvjava.cli;
    exports dev.rwkvjava.model.naming to dev.rwkvjava.cli;
    exports dev.rwkvjava.synthetic to dev.rwkvjava.cli;
    exports dev.rwkvjava.tensor to dev.rwkvjava.cli;
}
