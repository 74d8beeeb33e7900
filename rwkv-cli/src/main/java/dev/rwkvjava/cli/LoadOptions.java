package dev.rwkvjava.cli;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.io.LoadMode;
import picocli.CommandLine.Option;

/** How the commands that load a model run it: worker threads, and how its weights come into memory. */
final class LoadOptions {

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Worker threads (default: all processors).")
    Integer threads;

    @Option(names = "--no-mmap",
            description = "Read the weights file into memory instead of mapping it: slower to load, and on some "
                    + "systems faster to decode large models.")
    boolean noMmap;

    LoadMode loadMode() {
        return noMmap ? LoadMode.READ : LoadMode.MAP;
    }

    /** The model's load options, with --threads checked against the range the engine accepts. */
    RwkvModel.Options options() {
        RwkvModel.Options opts = RwkvModel.Options.defaults().withLoadMode(loadMode());
        if (threads == null) {
            return opts;
        }
        if (threads < 1 || threads > RwkvModel.Options.maxThreads()) {
            throw new IllegalArgumentException("--threads must be between 1 and " + RwkvModel.Options.maxThreads()
                    + " (" + RwkvModel.Options.THREADS_PER_PROCESSOR + " per processor), got " + threads);
        }
        return opts.withThreads(threads);
    }
}
