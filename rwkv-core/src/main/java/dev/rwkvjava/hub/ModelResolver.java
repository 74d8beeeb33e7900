package dev.rwkvjava.hub;

import dev.rwkvjava.io.ModelFileException;
import dev.rwkvjava.model.ModelLoader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Turns what a user passes as {@code --model} into files: a weights file, a folder in Hugging Face layout
 * (config.json, tokenizer, weights), or a hub repository id {@code OWNER/NAME[@REVISION]}, which is looked up in the
 * cache and pulled when missing (unless offline). The tokenizer is chosen afterwards, from the folder (see
 * {@code TokenizerLoader}).
 */
public final class ModelResolver {
    private ModelResolver() {
    }

    /**
     * Resolves a model.
     *
     * @param progress told about downloads, if one is needed
     */
    public static ResolvedModel resolve(String spec, HubConfig hub, DownloadProgress progress) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("no model given");
        }
        Path path = asPath(spec);
        if (path != null && Files.exists(path)) {
            if (Files.isDirectory(path)) {
                return fromDirectory(spec, path, null);
            }
            return new ResolvedModel(spec, path, null, null);
        }
        String repo = spec;
        String revision = HubConfig.DEFAULT_REVISION;
        int at = spec.indexOf('@');
        if (at > 0) {
            repo = spec.substring(0, at);
            revision = spec.substring(at + 1);
        }
        if (!HubConfig.isRepoId(repo)) {
            throw new IllegalArgumentException("model '" + spec + "': no such file or directory, and not a hub "
                    + "repository id (OWNER/NAME, e.g. RWKV/rwkv-4-169m-pile)");
        }
        HubConfig.checkRevision(revision);
        HubCache cache = new HubCache(hub);
        Path dir = cache.find(repo, revision);
        if (dir == null) {
            if (hub.offline()) {
                throw new IllegalArgumentException("model " + repo + " (revision " + revision + ") is not in the cache "
                        + hub.cacheDir() + " and offline mode is on; run: rwkv pull " + repo);
            }
            try {
                dir = cache.pull(repo, revision, null, progress);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot download " + repo + ": " + e.getMessage(), e);
            }
        }
        return fromDirectory(spec, dir, repo);
    }

    private static ResolvedModel fromDirectory(String spec, Path dir, String repo) {
        Path weights;
        try {
            weights = ModelLoader.weightsFile(dir);
        } catch (ModelFileException e) {
            Path other = otherWeights(dir);
            if (other != null) {
                throw new ModelFileException(other, null, "this engine reads .safetensors weights; convert "
                        + other.getFileName() + " to safetensors first");
            }
            throw e;
        }
        return new ResolvedModel(spec, weights, dir, repo);
    }

    private static Path otherWeights(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> {
                String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                return n.endsWith(".pth") || n.endsWith(".bin") || n.endsWith(".pt");
            }).sorted().findFirst().orElse(null);
        } catch (IOException e) {
            return null;
        }
    }

    private static Path asPath(String spec) {
        try {
            return Path.of(spec);
        } catch (InvalidPathException e) {
            return null;
        }
    }
}
