package dev.rwkvjava.hub.internal;

import dev.rwkvjava.hub.HubException;

import dev.rwkvjava.hub.DownloadProgress;

import dev.rwkvjava.hub.HubConfig;

import dev.rwkvjava.hub.internal.BoundedBody;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Talks to a Hugging Face compatible hub: lists a repository's files ({@code GET /api/models/{repo}[/revision/{rev}]
 * ?blobs=true}) and downloads them ({@code GET /{repo}/resolve/{rev}/{file}}).
 *
 * <p>Downloads go to {@code NAME.part} beside the target, resume from there with a Range request when a connection
 * drops (here, or in an earlier run), are checked against the listed size and checksum (SHA-256 of LFS files, or
 * the git blob id of small files, or an ETag that is a SHA-256), and only then are moved to their name. So a file
 * under its real name is always complete.
 *
 * <p>Redirects are followed by hand so the token is never sent to another host (the hub sends large files from a
 * CDN).
 *
 * <p>What a server sends is bounded: a request without an answer for a minute fails (as does a transfer that
 * stops delivering for a minute), the listing is read up to {@value #MAX_LISTING_BYTES} bytes, and a download stops at the
 * listed size. A file is downloaded only when its size (from the listing, or a HEAD request) and a checksum
 * (SHA-256 or git blob id from the listing, or an ETag that is a SHA-256) are known: anything else could not be
 * verified, and is refused. Listed names must be relative paths of printable characters, each part at most
 * {@value #MAX_NAME_PART_BYTES} bytes. Network failures are retried; a refusal like these, a redirect loop or a
 * local file error is not.
 */
public final class HubClient {
    /** Attempts in a row without progress before a download gives up; each resumes where the last stopped. */
    static final int MAX_ATTEMPTS = 6;
    private static final int MAX_REDIRECTS = 10;
    /** The largest listing read (a repository of tens of thousands of files). */
    static final int MAX_LISTING_BYTES = 16 << 20;
    /** Longest part of a listed file name, in UTF-8 bytes: 255, the usual file system limit, less ".part". */
    static final int MAX_NAME_PART_BYTES = 250;
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * A download that receives nothing for this long is treated as dropped (and resumed); seconds, from the system
     * property {@code rwkv.hub.stallTimeoutSeconds} (default 60).
     */
    static final Duration DEFAULT_STALL_TIMEOUT = Duration.ofSeconds(60);

    private final HubConfig config;
    private final HttpClient http;
    private final Duration stallTimeout;
    private final Duration answerTimeout;

    /**
     * A client with the default time bounds: a request unanswered for 60 s ({@code rwkv.hub.answerTimeoutSeconds})
     * or a transfer without data for 60 s ({@code rwkv.hub.stallTimeoutSeconds}) fails.
     */
    public HubClient(HubConfig config) {
        this(config, Duration.ofSeconds(Long.getLong("rwkv.hub.stallTimeoutSeconds", DEFAULT_STALL_TIMEOUT.toSeconds())),
                Duration.ofSeconds(Long.getLong("rwkv.hub.answerTimeoutSeconds", DEFAULT_STALL_TIMEOUT.toSeconds())));
    }

    HubClient(HubConfig config, Duration timeout) {
        this(config, timeout, timeout);
    }

    HubClient(HubConfig config, Duration stallTimeout, Duration answerTimeout) {
        this.stallTimeout = stallTimeout;
        this.answerTimeout = answerTimeout;
        this.config = Objects.requireNonNull(config, "config");
        this.http = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(30))
                .build();
    }

    public HubConfig config() {
        return config;
    }

    /** The files of {@code repoId} at {@code revision} (a branch, tag or commit; "main" by default). */
    public RepoListing list(String repoId, String revision) throws IOException {
        HubConfig.checkRepoId(repoId);
        HubConfig.checkRevision(revision);
        String path = "/api/models/" + repoId + (HubConfig.DEFAULT_REVISION.equals(revision) ? ""
                : "/revision/" + encodePath(revision)) + "?blobs=true";
        URI uri = URI.create(config.endpoint() + path);
        BoundedBody body = new BoundedBody(MAX_LISTING_BYTES, stallTimeout, "the listing of " + repoId);
        HttpResponse<byte[]> r = send(uri, "GET", null, body, x -> { }, body.failed());
        if (r.statusCode() != 200) {
            throw statusError(r.statusCode(), repoId, revision, null, uri);
        }
        JsonNode root;
        try {
            root = JSON.readTree(r.body());
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new HubException(uri + ": the listing is not valid JSON (" + (at == null ? "" : "line "
                    + at.getLineNr() + ", column " + at.getColumnNr() + ": ") + e.getOriginalMessage()
                    .replaceAll("\\[Source: [^\\]]*\\]", "") + ")");
        }
        JsonNode siblings = root == null ? null : root.get("siblings");
        if (siblings == null || !siblings.isArray()) {
            throw new HubException(uri + ": the listing has no 'siblings' array of files");
        }
        List<RepoFile> files = new ArrayList<>();
        for (JsonNode s : siblings) {
            JsonNode name = s.get("rfilename");
            if (name == null || !name.isTextual()) {
                throw new HubException(uri + ": a sibling has no 'rfilename'");
            }
            checkFileName(name.asText(), uri);
            long size = s.path("size").isIntegralNumber() ? s.get("size").asLong() : -1;
            JsonNode lfs = s.get("lfs");
            String sha = null;
            if (lfs != null && lfs.isObject()) {
                String v = lfs.path("sha256").asText(null);
                sha = v != null && SHA256.matcher(v.toLowerCase(Locale.ROOT)).matches() ? v.toLowerCase(Locale.ROOT) : null;
                if (size < 0 && lfs.path("size").isIntegralNumber()) {
                    size = lfs.get("size").asLong();
                }
            }
            String blob = lfs == null && s.path("blobId").isTextual() ? s.get("blobId").asText() : null;
            files.add(new RepoFile(name.asText(), size, sha, blob));
        }
        String commit = root.path("sha").isTextual() ? root.get("sha").asText() : null;
        return new RepoListing(repoId, revision, commit, List.copyOf(files));
    }

    /** Downloads one file to {@code target} (see the class comment for how it stays safe). */
    public void download(RepoListing listing, RepoFile file, Path target, DownloadProgress progress)
            throws IOException {
        String rev = listing.commit() != null ? listing.commit() : listing.revision();
        URI uri = URI.create(config.endpoint() + "/" + listing.repoId() + "/resolve/" + encodePath(rev) + "/"
                + encodePath(file.name()));
        Path part = target.resolveSibling(target.getFileName() + ".part");
        Files.createDirectories(target.toAbsolutePath().getParent());
        long expected = file.size();
        String sha256 = file.sha256();
        if (expected < 0 || (sha256 == null && file.blobId() == null)) {
            // The listing gave no size or checksum: ask for them without fetching the file.
            Metadata m = head(uri);
            if (expected < 0) {
                expected = m.size();
            }
            if (sha256 == null) {
                sha256 = m.sha256();
            }
        }
        if (expected < 0) {
            throw new HubException(file.name() + ": the hub gives no size for this file, so its download could not "
                    + "be checked; refusing to download it");
        }
        if (sha256 == null && file.blobId() == null) {
            throw new HubException(file.name() + ": the hub gives no checksum (SHA-256 or git blob id) for this "
                    + "file, so its download could not be verified; refusing to download it");
        }
        boolean[] started = {false};
        int failures = 0;
        long lastFailure = -1;
        while (true) {
            long have = Files.exists(part) ? Files.size(part) : 0;
            if (expected >= 0 && have > expected) {
                Files.delete(part); // longer than the file can be: not a prefix of it
                have = 0;
            }
            if (expected >= 0 && have == expected && have > 0) {
                if (!started[0]) {
                    progress.start(file.name(), expected, have);
                }
                break; // complete from an earlier run; verified below
            }
            long[] total = {expected};
            PartWriter writer = new PartWriter(part, have, expected, progress, stallTimeout, (size, from) -> {
                if (total[0] < 0) {
                    total[0] = size;
                }
                if (!started[0]) {
                    started[0] = true;
                    progress.start(file.name(), total[0], from);
                }
            });
            HttpResponse<Long> r;
            try {
                r = send(uri, "GET", have > 0 ? "bytes=" + have + "-" : null, writer::subscriber, x -> { },
                        writer.stalled());
            } catch (IOException e) {
                if (e instanceof InterruptedIOException || e instanceof HubException
                        || Thread.currentThread().isInterrupted()) {
                    throw e; // stopped, or refused: trying again would give the same answer
                }
                // Count only failures that made no progress: a long download over a flaky line keeps going.
                long now = Files.exists(part) ? Files.size(part) : 0;
                failures = now > lastFailure ? 1 : failures + 1;
                lastFailure = now;
                if (failures >= MAX_ATTEMPTS) {
                    throw new HubException(file.name() + ": download interrupted " + failures + " times without "
                            + "progress (last: " + e.getMessage() + "); " + now + " bytes are kept in " + part
                            + " and the next pull resumes from there");
                }
                if (!started[0]) {
                    started[0] = true;
                    progress.start(file.name(), expected, now);
                }
                progress.retry(now, failures, String.valueOf(e.getMessage()));
                pause(failures);
                continue;
            }
            int status = r.statusCode();
            String etag = shaFromEtag(r.headers());
            if (sha256 == null && etag != null) {
                sha256 = etag;
            }
            if (status == 416 && have > 0) {
                // Nothing after what we have: either the part is complete (checked below) or it is not this file.
                break;
            }
            if ((status != 200 && status != 206) || r.body() < 0) {
                if (status == 206) {
                    throw new HubException(file.name() + ": the server answered a range that does not continue the "
                            + have + " bytes already downloaded (" + r.headers().firstValue("Content-Range").orElse("?") + ")");
                }
                throw statusError(status, listing.repoId(), listing.revision(), file.name(), uri);
            }
            expected = total[0];
            have = r.body();
            if (expected >= 0 && have != expected) {
                Files.deleteIfExists(part);
                throw new HubException(file.name() + ": the server sent " + have + " bytes, but the file has "
                        + expected + " according to the hub; the download was discarded");
            }
            break;
        }
        verify(file, part, expected, sha256);
        Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        progress.finish();
    }

    /** Size and checksum of a complete download; a mismatch deletes it. */
    private static void verify(RepoFile file, Path part, long expected, String sha256) throws IOException {
        if (!Files.exists(part)) {
            throw new HubException(file.name() + ": nothing was downloaded");
        }
        long size = Files.size(part);
        String problem = null;
        if (expected >= 0 && size != expected) {
            problem = "has " + size + " bytes, the hub lists " + expected;
        } else if (sha256 != null) {
            String got = digest(part, "SHA-256", null);
            if (!got.equals(sha256)) {
                problem = "has SHA-256 " + got + ", the hub lists " + sha256;
            }
        } else if (file.blobId() != null) {
            String got = digest(part, "SHA-1", ("blob " + size + "\0").getBytes(StandardCharsets.US_ASCII));
            if (!got.equalsIgnoreCase(file.blobId())) {
                problem = "has git blob id " + got + ", the hub lists " + file.blobId();
            }
        }
        if (problem != null) {
            Files.deleteIfExists(part);
            throw new HubException(file.name() + ": the download is corrupt (it " + problem + "); it was deleted, "
                    + "run pull again");
        }
    }

    /** Size and checksum of a file from a HEAD request, as the hub reports them. */
    private record Metadata(long size, String sha256) {
    }

    /**
     * HEAD of a resolve address. For LFS files the hub's own answer is a redirect that carries the real size and
     * SHA-256 ({@code X-Linked-Size}, {@code X-Linked-Etag}); otherwise the final answer's Content-Length counts.
     */
    private Metadata head(URI uri) throws IOException {
        long[] linkedSize = {-1};
        String[] linkedSha = {null};
        HttpResponse<Void> r = send(uri, "HEAD", null, HttpResponse.BodyHandlers.discarding(), redirect -> {
            if (linkedSize[0] < 0) {
                linkedSize[0] = redirect.headers().firstValueAsLong("X-Linked-Size").orElse(-1);
            }
            if (linkedSha[0] == null) {
                linkedSha[0] = shaFromEtag(redirect.headers());
            }
        }, null);
        if (r.statusCode() != 200) {
            return new Metadata(linkedSize[0], linkedSha[0]); // the GET will report the problem
        }
        long size = linkedSize[0] >= 0 ? linkedSize[0] : r.headers().firstValueAsLong("X-Linked-Size")
                .orElse(r.headers().firstValueAsLong("Content-Length").orElse(-1));
        return new Metadata(size, linkedSha[0] != null ? linkedSha[0] : shaFromEtag(r.headers()));
    }

    private <T> HttpResponse<T> send(URI uri, String method, String range, HttpResponse.BodyHandler<T> handler)
            throws IOException {
        return send(uri, method, range, handler, redirect -> { }, null);
    }

    /**
     * Sends a request, following redirects (shown to {@code onRedirect}); the token goes only to the hub's own host.
     * When {@code abort} fails, the exchange is abandoned with its error (how a stalled download ends: the client
     * would otherwise wait for the server forever).
     */
    private <T> HttpResponse<T> send(URI uri, String method, String range, HttpResponse.BodyHandler<T> handler,
                                     java.util.function.Consumer<HttpResponse<T>> onRedirect,
                                     CompletableFuture<Void> abort) throws IOException {
        URI current = uri;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            // The timeout bounds the wait for the answer's headers; the body has its own watchdog.
            HttpRequest.Builder b = HttpRequest.newBuilder(current).method(method, HttpRequest.BodyPublishers.noBody())
                    .header("User-Agent", "rwkv-java").timeout(answerTimeout);
            if (range != null) {
                b.header("Range", range);
            }
            if (config.token() != null && sameOrigin(current, config.endpoint())) {
                b.header("Authorization", "Bearer " + config.token());
            }
            HttpResponse<T> r = await(http.sendAsync(b.build(), handler), abort, current);
            int s = r.statusCode();
            if (s == 301 || s == 302 || s == 303 || s == 307 || s == 308) {
                String location = r.headers().firstValue("Location").orElse(null);
                onRedirect.accept(r);
                discard(r);
                if (location == null) {
                    throw new HubException(current + ": redirect (" + s + ") without a Location", s);
                }
                URI next;
                try {
                    next = current.resolve(location);
                } catch (IllegalArgumentException e) {
                    throw new HubException(current + ": redirect (" + s + ") to an invalid address", s);
                }
                if (!"http".equals(next.getScheme()) && !"https".equals(next.getScheme()) || next.getHost() == null) {
                    throw new HubException(current + ": redirect (" + s + ") to a non-HTTP address", s);
                }
                current = next;
                continue;
            }
            return r;
        }
        throw new HubException(uri + ": more than " + MAX_REDIRECTS + " redirects (a redirect loop?)");
    }

    private <T> HttpResponse<T> await(CompletableFuture<HttpResponse<T>> cf, CompletableFuture<Void> abort,
                                      URI target) throws IOException {
        String origin = target.getScheme() + "://" + target.getAuthority();
        try {
            if (abort != null) {
                CompletableFuture.anyOf(cf, abort).join();
            }
            return cf.get();
        } catch (InterruptedException e) {
            cf.cancel(true);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while talking to " + origin);
        } catch (CompletionException | ExecutionException e) {
            Throwable cause = abort != null && abort.isCompletedExceptionally() ? abortCause(abort) : e.getCause();
            cf.cancel(true);
            if (cause instanceof HubException h) {
                throw h;
            }
            if (cause instanceof java.net.http.HttpTimeoutException) {
                throw new IOException(origin + ": no answer within " + answerTimeout.toSeconds() + " s", cause);
            }
            throw new IOException(origin + ": " + (cause != null && cause.getMessage() != null ? cause.getMessage()
                    : String.valueOf(cause)), cause);
        }
    }

    private static Throwable abortCause(CompletableFuture<Void> abort) {
        try {
            abort.join();
            return null;
        } catch (CompletionException e) {
            return e.getCause();
        }
    }

    private static void discard(HttpResponse<?> r) throws IOException {
        if (r.body() instanceof InputStream in) {
            in.close();
        }
    }

    private static boolean sameOrigin(URI a, URI b) {
        return Objects.equals(a.getScheme(), b.getScheme()) && Objects.equals(a.getHost(), b.getHost())
                && a.getPort() == b.getPort();
    }

    /** An ETag (or the hub's X-Linked-Etag for LFS files) that is a SHA-256 of the content. */
    private static String shaFromEtag(HttpHeaders h) {
        for (String name : new String[] {"X-Linked-Etag", "ETag"}) {
            String v = h.firstValue(name).orElse(null);
            if (v == null) {
                continue;
            }
            v = v.trim();
            if (v.startsWith("W/")) {
                continue; // a weak tag says nothing about the bytes
            }
            v = v.replace("\"", "").toLowerCase(Locale.ROOT);
            if (SHA256.matcher(v).matches()) {
                return v;
            }
        }
        return null;
    }

    private static HubException statusError(int status, String repo, String revision, String file, URI uri) {
        String what = file == null ? "repository " + repo + (HubConfig.DEFAULT_REVISION.equals(revision) ? ""
                : " at revision " + revision) : file + " of " + repo;
        return switch (status) {
            case 401, 403 -> new HubException("access to " + what + " was refused (HTTP " + status + "): it may be "
                    + "private or gated; set HF_TOKEN to a token that may read it", status);
            case 404 -> new HubException(what + " was not found on " + uriBase(uri) + " (HTTP 404)", status);
            default -> new HubException(uriBase(uri) + " answered HTTP " + status + " for " + what, status);
        };
    }

    private static String uriBase(URI u) {
        return u.getScheme() + "://" + u.getAuthority();
    }

    /**
     * Refuses listed names that could escape the repository folder, fail on the file system, or be printed as
     * something else: absolute paths, "." and "..", backslashes, control and formatting characters (terminal
     * escapes, newlines, direction overrides), and parts longer than {@value #MAX_NAME_PART_BYTES} bytes.
     */
    static void checkFileName(String name, URI source) throws HubException {
        String problem = null;
        if (name.isEmpty() || name.startsWith("/") || name.contains("\\")) {
            problem = "not a relative path";
        }
        for (int i = 0; problem == null && i < name.length(); ) {
            int c = name.codePointAt(i);
            if (Character.isISOControl(c) || Character.getType(c) == Character.FORMAT
                    || Character.getType(c) == Character.SURROGATE || c == 0x2028 || c == 0x2029) {
                problem = "it has a control character";
            }
            i += Character.charCount(c);
        }
        if (problem == null) {
            for (String seg : name.split("/", -1)) {
                if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) {
                    problem = "not a relative path";
                } else if (seg.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_PART_BYTES) {
                    problem = "a part of it is longer than " + MAX_NAME_PART_BYTES + " bytes";
                }
            }
        }
        if (problem != null) {
            throw new HubException(source + ": refusing the listed file name " + printable(name) + " (" + problem
                    + ")");
        }
    }

    /** A name in quotes, with anything not printable as a \\uXXXX escape and cut at 120 characters. */
    static String printable(String s) {
        StringBuilder sb = new StringBuilder("'");
        for (int i = 0; i < s.length() && i < 120; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0) || Character.getType(c) == Character.FORMAT
                    || Character.isSurrogate(c) || c == 0x2028 || c == 0x2029) {
                sb.append(String.format("\\u%04X", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append(s.length() > 120 ? "...'" : "'").toString();
    }

    private static String encodePath(String p) {
        StringBuilder sb = new StringBuilder();
        for (String seg : p.split("/", -1)) {
            if (!sb.isEmpty()) {
                sb.append('/');
            }
            sb.append(URLEncoder.encode(seg, StandardCharsets.UTF_8).replace("+", "%20"));
        }
        return sb.toString();
    }

    static String digest(Path file, String algorithm, byte[] prefix) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance(algorithm);
            if (prefix != null) {
                md.update(prefix);
            }
            try (InputStream in = Files.newInputStream(file)) {
                byte[] buf = new byte[1 << 16];
                int n;
                while ((n = in.read(buf)) >= 0) {
                    md.update(buf, 0, n);
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " missing from this JVM", e);
        }
    }

    private static void pause(int attempt) throws InterruptedIOException {
        try {
            Thread.sleep(Math.min(5000, 200L * attempt * attempt));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting to resume");
        }
    }
}
