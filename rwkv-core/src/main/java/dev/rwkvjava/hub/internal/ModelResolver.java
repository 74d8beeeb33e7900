package dev.rwkvjava.hub.internal;

import dev.rwkvjava.hub.DownloadProgress;

import dev.rwkvjava.hub.HubConfig;

import dev.rwkvjava.hub.internal.HubCache;

import dev.rwkvjava.ModelFileException;
import dev.rwkvjava.io.ModelFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;

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
            return new ResolvedModel(spec, ModelFiles.of(path), null);
        }
        if (path != null && looksLikeAPath(spec)) {
            throw new ModelFileException(path, null, "no such file or directory");
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
        return new ResolvedModel(spec, ModelFiles.of(dir), repo);
    }

    /**
     * Whether a name that is not on disk was meant as a local path rather than a hub id: it has a weights file's
     * extension, starts like a path, or has more than one separator. Such a name is never sent to the network.
     */
    static boolean looksLikeAPath(String spec) {
        String s = spec.toLowerCase(Locale.ROOT);
        for (String ext : new String[] {".safetensors", ".pth", ".pt", ".bin", ".gguf", ".json"}) {
            if (s.endsWith(ext)) {
                return true;
            }
        }
        int at = s.indexOf('@');
        String name = at >= 0 ? s.substring(0, at) : s;
        return name.startsWith("/") || name.startsWith("./") || name.startsWith("../") || name.startsWith("~")
                || name.endsWith("/") || name.chars().filter(ch -> ch == '/').count() > 1 || name.contains("\\");
    }

    private static Path asPath(String spec) {
        try {
            return Path.of(spec);
        } catch (InvalidPathException e) {
            return null;
        }
    }
}
