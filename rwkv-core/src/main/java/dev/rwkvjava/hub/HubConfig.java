package dev.rwkvjava.hub;

import java.net.URI;
import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where models come from and where they are kept.
 *
 * @param endpoint the hub's base address (default https://huggingface.co)
 * @param token    a bearer token for private or gated repositories, or null
 * @param cacheDir the local cache; repository {@code OWNER/NAME} at revision {@code R} lives in
 *                 {@code cacheDir/OWNER/NAME/R}
 * @param offline  never contact the hub: only models already in the cache resolve
 */
public record HubConfig(URI endpoint, String token, Path cacheDir, boolean offline) {
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    /** The default hub. */
    public static final String DEFAULT_REVISION = "main";
    /** The revision used when none is given. */
    private static final Pattern REPO_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*");

    /** Settings; the endpoint and the cache folder are required. */
    public HubConfig {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(cacheDir, "cacheDir");
        String s = endpoint.getScheme();
        if (s == null || !(s.equals("http") || s.equals("https")) || endpoint.getHost() == null) {
            throw new IllegalArgumentException("hub endpoint must be an http(s) address, got '" + endpoint + "'");
        }
        if (token != null && token.isBlank()) {
            token = null;
        }
    }

    /**
     * Settings from system properties ({@code rwkv.hub.endpoint}, {@code rwkv.hub.token}, {@code rwkv.hub.cache},
     * {@code rwkv.hub.offline}), then the environment ({@code HF_ENDPOINT}, {@code HF_TOKEN}, {@code RWKV_CACHE},
     * {@code HF_HUB_OFFLINE}), then the defaults ({@code ~/.cache/rwkv-java/hub}).
     *
     * @return the settings
     */
    public static HubConfig fromEnvironment() {
        String endpoint = setting("rwkv.hub.endpoint", "HF_ENDPOINT");
        String token = setting("rwkv.hub.token", "HF_TOKEN");
        String cache = setting("rwkv.hub.cache", "RWKV_CACHE");
        String offline = setting("rwkv.hub.offline", "HF_HUB_OFFLINE");
        return new HubConfig(URI.create(stripSlash(endpoint != null ? endpoint : DEFAULT_ENDPOINT)), token,
                cache != null ? Path.of(cache) : defaultCacheDir(),
                offline != null && (offline.equals("1") || offline.equalsIgnoreCase("true")));
    }

    /** {@return the default cache folder, {@code ~/.cache/rwkv-java/hub}} */
    public static Path defaultCacheDir() {
        return Path.of(System.getProperty("user.home"), ".cache", "rwkv-java", "hub");
    }

    private static String setting(String property, String env) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            v = System.getenv(env);
        }
        return v == null || v.isBlank() ? null : v.trim();
    }

    private static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    /**
     * These settings with another cache folder.
     *
     * @param dir the local cache
     * @return the new settings
     */
    public HubConfig withCacheDir(Path dir) {
        return new HubConfig(endpoint, token, dir, offline);
    }

    /**
     * These settings with another hub.
     *
     * @param uri the hub's base address
     * @return the new settings
     */
    public HubConfig withEndpoint(URI uri) {
        return new HubConfig(URI.create(stripSlash(uri.toString())), token, cacheDir, offline);
    }

    /**
     * These settings offline or online.
     *
     * @param off true to never contact the hub
     * @return the new settings
     */
    public HubConfig withOffline(boolean off) {
        return new HubConfig(endpoint, token, cacheDir, off);
    }

    /**
     * Whether a string has the form of a repository id, {@code OWNER/NAME}.
     *
     * @param s the string
     * @return true for a repository id
     */
    public static boolean isRepoId(String s) {
        return s != null && REPO_ID.matcher(s).matches() && !s.contains("..");
    }

    /**
     * Throws unless a string is a repository id, {@code OWNER/NAME}.
     *
     * @param s the string
     * @return the string
     * @throws IllegalArgumentException when it is not a repository id
     */
    public static String checkRepoId(String s) {
        if (!isRepoId(s)) {
            throw new IllegalArgumentException("'" + s + "' is not a hub repository id (expected OWNER/NAME, e.g. "
                    + "RWKV/rwkv-4-169m-pile)");
        }
        return s;
    }

    /**
     * Throws unless {@code r} is a plausible revision (branch, tag or commit): letters, digits, '.', '_', '-' and
     * '/' between parts, no part "." or ".." or empty, at most 200 characters. It names a folder of the cache, so
     * anything that could point elsewhere ("." is the repository's own folder) is refused.
     *
     * @param r the revision
     * @return the revision
     */
    public static String checkRevision(String r) {
        boolean ok = r != null && !r.isEmpty() && r.length() <= 200 && r.matches("[A-Za-z0-9._/-]+");
        if (ok) {
            for (String part : r.split("/", -1)) {
                if (part.isEmpty() || part.equals(".") || part.equals("..") || part.startsWith(".")) {
                    ok = false;
                }
            }
        }
        if (!ok) {
            throw new IllegalArgumentException("'" + r + "' is not a valid revision (a branch, tag or commit name: "
                    + "letters, digits, '.', '_', '-', parts separated by '/', no part starting with '.')");
        }
        return r;
    }

    /**
     * The local folder of a repository at a revision.
     *
     * @param repoId   the repository, {@code OWNER/NAME}
     * @param revision the branch, tag or commit
     * @return the folder in the cache
     */
    public Path repoDir(String repoId, String revision) {
        checkRepoId(repoId);
        checkRevision(revision);
        String[] parts = repoId.split("/");
        return cacheDir.resolve(parts[0]).resolve(parts[1]).resolve(revision.replace("/", "--"));
    }
}
