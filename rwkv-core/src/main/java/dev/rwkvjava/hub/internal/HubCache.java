package dev.rwkvjava.hub.internal;

import dev.rwkvjava.hub.HubException;

import dev.rwkvjava.hub.DownloadProgress;

import dev.rwkvjava.hub.HubConfig;

import dev.rwkvjava.hub.internal.FileSelection;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Objects;

/**
 * The local copies of hub repositories. {@link #pull} downloads a repository's model files into
 * {@code cacheDir/OWNER/NAME/REVISION/} and, when every file is there and verified, writes a manifest
 * ({@value #MANIFEST}); a folder without one is an unfinished pull, which the next pull completes.
 */
public final class HubCache {
    public static final String MANIFEST = ".rwkv-pull.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HubConfig config;

    public HubCache(HubConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    public HubConfig config() {
        return config;
    }

    /** The folder of a completed pull, or null when the repository is not (completely) in the cache. */
    public Path find(String repoId, String revision) {
        Path dir = config.repoDir(repoId, revision);
        Path manifest = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(manifest)) {
            return null;
        }
        try {
            JsonNode m = JSON.readTree(manifest.toFile());
            for (JsonNode f : m.path("files")) {
                Path p = dir.resolve(f.path("name").asText());
                if (!Files.isRegularFile(p) || Files.size(p) != f.path("size").asLong(-2)) {
                    return null; // a file went missing or changed: pull again
                }
            }
            return dir;
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Downloads the model files of a repository (or the named files, plus configuration and tokenizer) and returns
     * the local folder. Files already complete are kept; partial ones resume.
     */
    public Path pull(String repoId, String revision, List<String> files, DownloadProgress progress) throws IOException {
        if (config.offline()) {
            throw new HubException("cannot download " + repoId + ": offline mode (HF_HUB_OFFLINE) is on");
        }
        HubClient client = new HubClient(config);
        RepoListing listing = client.list(repoId, revision);
        List<RepoFile> chosen = files == null || files.isEmpty() ? FileSelection.choose(listing)
                : FileSelection.named(listing, files);
        Path dir = config.repoDir(repoId, revision).toAbsolutePath().normalize();
        Files.createDirectories(dir);
        JsonNode old = readManifest(dir);
        for (RepoFile f : chosen) {
            Path target = dir.resolve(f.name()).normalize();
            if (!target.startsWith(dir)) {
                throw new HubException("unsafe file name '" + f.name() + "' in " + repoId);
            }
            if (upToDate(old, f, target)) {
                continue;
            }
            client.download(listing, f, target, progress);
        }
        writeManifest(dir, listing, chosen);
        return dir;
    }

    /** Whether a file from an earlier pull is present with the size and checksum the listing gives now. */
    private static boolean upToDate(JsonNode manifest, RepoFile f, Path target) throws IOException {
        if (manifest == null || !Files.isRegularFile(target) || (f.size() >= 0 && Files.size(target) != f.size())) {
            return false;
        }
        for (JsonNode e : manifest.path("files")) {
            if (e.path("name").asText().equals(f.name())) {
                return Objects.equals(text(e, "sha256"), f.sha256()) && Objects.equals(text(e, "blob_id"), f.blobId())
                        && e.path("size").asLong(-2) == Files.size(target);
            }
        }
        return false;
    }

    private static String text(JsonNode n, String key) {
        JsonNode v = n.get(key);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static JsonNode readManifest(Path dir) {
        Path m = dir.resolve(MANIFEST);
        try {
            return Files.isRegularFile(m) ? JSON.readTree(m.toFile()) : null;
        } catch (IOException e) {
            return null;
        }
    }

    private void writeManifest(Path dir, RepoListing listing, List<RepoFile> files) throws IOException {
        ObjectNode m = JSON.createObjectNode();
        m.put("repo", listing.repoId());
        m.put("revision", listing.revision());
        m.put("commit", listing.commit());
        m.put("endpoint", config.endpoint().toString());
        ArrayNode arr = m.putArray("files");
        for (RepoFile f : files) {
            ObjectNode o = arr.addObject();
            o.put("name", f.name());
            o.put("size", Files.size(dir.resolve(f.name())));
            o.put("sha256", f.sha256());
            o.put("blob_id", f.blobId());
        }
        Path tmp = dir.resolve(MANIFEST + ".tmp");
        JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), m);
        Files.move(tmp, dir.resolve(MANIFEST), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
