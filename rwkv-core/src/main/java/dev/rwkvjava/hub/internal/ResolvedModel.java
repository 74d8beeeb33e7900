package dev.rwkvjava.hub.internal;

import dev.rwkvjava.io.ModelFiles;

import java.nio.file.Path;

/**
 * Where a model's files are.
 *
 * @param spec   what the user asked for
 * @param files  the resolved files: format, weights, folder, config
 * @param repoId the hub repository it came from, or null
 */
public record ResolvedModel(String spec, ModelFiles files, String repoId) {

    /** The weights file (the first shard of a sharded checkpoint). */
    public Path weights() {
        return files.weights();
    }

    /** The model folder, or null for a weights file given directly. */
    public Path directory() {
        return files.folder().orElse(null);
    }
}
