package dev.rwkvjava.cli;

import dev.rwkvjava.io.LoadMode;
import picocli.CommandLine.Option;

/** How the commands that load a model bring its weights into memory. */
final class LoadOptions {

    @Option(names = "--no-mmap",
            description = "Read the weights file into memory instead of mapping it: slower to load, and on some "
                    + "systems faster to decode large models.")
    boolean noMmap;

    LoadMode loadMode() {
        return noMmap ? LoadMode.READ : LoadMode.MAP;
    }
}
