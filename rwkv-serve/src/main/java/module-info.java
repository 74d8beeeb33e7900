/**
 * An OpenAI-compatible HTTP server for RWKV models ({@link dev.rwkvjava.serve.RwkvServer}, configured by
 * {@link dev.rwkvjava.serve.ServerConfig}): continuous batching, a prefix-state cache, state passing.
 */
module dev.rwkvjava.serve {
    requires transitive dev.rwkvjava.core;
    requires com.fasterxml.jackson.databind;
    requires jdk.httpserver;

    exports dev.rwkvjava.serve;
}
