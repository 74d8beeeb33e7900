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

    /** The model's load options; a thread count the engine refuses is reported as the --threads option's. */
    RwkvModel.Options options() {
        RwkvModel.Options opts = RwkvModel.Options.defaults().withLoadMode(loadMode());
        if (threads == null) {
            return opts;
        }
        try {
            return opts.withThreads(threads);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--threads: " + e.getMessage(), e);
        }
    }
}
