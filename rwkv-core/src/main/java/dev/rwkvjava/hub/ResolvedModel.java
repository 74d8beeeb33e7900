package dev.rwkvjava.hub;

import java.nio.file.Path;

/**
 * Where a model's files are.
 *
 * @param spec      what the user asked for
 * @param weights   the weights file
 * @param directory the model folder, or null for a weights file given directly
 * @param repoId    the hub repository it came from, or null
 */
public record ResolvedModel(String spec, Path weights, Path directory, String repoId) {
}
