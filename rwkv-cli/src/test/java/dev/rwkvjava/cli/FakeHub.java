package dev.rwkvjava.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A Hugging Face hub on 127.0.0.1 for one repository: the listing API ({@code /api/models/OWNER/NAME[/revision/R]}),
 * {@code /OWNER/NAME/resolve/R/FILE} with Range support, and, like the real hub, large ("LFS") files redirected to a
 * second server (another origin, standing in for the CDN). Faults can be switched on per file.
 */
final class FakeHub implements AutoCloseable {
    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    record Request(String method, String path, String range, String authorization) {
    }

    final String repo;
    final Map<String, byte[]> files = new TreeMap<>();
    final Set<String> lfs;
    final List<Request> requests = new CopyOnWriteArrayList<>();
    /** file -> bytes after which the connection is dropped, once. */
    final Map<String, Integer> dropOnce = new ConcurrentHashMap<>();
    /** file -> size to list instead of the real one. */
    final Map<String, Long> listedSize = new ConcurrentHashMap<>();
    /** file -> bytes after which the transfer stalls (sends nothing for {@link #STALL_MS}), once. */
    final Map<String, Integer> stallOnce = new ConcurrentHashMap<>();
    static final long STALL_MS = 6000;
    /** List files without sizes (clients must ask with HEAD). */
    volatile boolean omitSizes;
    /** file -> sha256 to list instead of the real one. */
    final Map<String, String> listedSha = new ConcurrentHashMap<>();
    private final HttpServer api;
    private final HttpServer cdn;
    private final java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newCachedThreadPool();

    FakeHub(String repo, Map<String, byte[]> content, Set<String> lfsFiles) throws IOException {
        this.repo = repo;
        this.files.putAll(content);
        this.lfs = lfsFiles;
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        api = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
        cdn = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
        api.createContext("/", this::handleApi);
        cdn.createContext("/", this::handleCdn);
        // One thread per exchange, as a real server: a stalled transfer must not hold up the retry.
        api.setExecutor(pool);
        cdn.setExecutor(pool);
        api.start();
        cdn.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + api.getAddress().getPort());
    }

    List<Request> requestsFor(String file) {
        return requests.stream().filter(r -> r.path().endsWith("/" + file)).toList();
    }

    private void handleApi(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        record(ex);
        try (ex) {
            String apiPrefix = "/api/models/" + repo;
            if (path.equals(apiPrefix) || path.startsWith(apiPrefix + "/revision/")) {
                if (!"true".equals(query(ex, "blobs"))) {
                    send(ex, 400, "blobs=true expected".getBytes(StandardCharsets.UTF_8));
                    return;
                }
                send(ex, 200, listing());
                return;
            }
            String resolvePrefix = "/" + repo + "/resolve/";
            if (path.startsWith(resolvePrefix)) {
                String rest = path.substring(resolvePrefix.length());
                String file = rest.substring(rest.indexOf('/') + 1);
                byte[] data = files.get(file);
                if (data == null) {
                    send(ex, 404, "Entry not found".getBytes(StandardCharsets.UTF_8));
                    return;
                }
                if (lfs.contains(file)) {
                    // The hub answers large files with a redirect to its CDN, with the checksum in X-Linked-Etag.
                    ex.getResponseHeaders().add("Location", "http://127.0.0.1:" + cdn.getAddress().getPort()
                            + "/blobs/" + file);
                    ex.getResponseHeaders().add("X-Linked-Etag", "\"" + sha256(data) + "\"");
                    ex.getResponseHeaders().add("X-Linked-Size", Long.toString(listedSize.getOrDefault(file, (long) data.length)));
                    ex.sendResponseHeaders(302, -1);
                    return;
                }
                serve(ex, file, data);
                return;
            }
            send(ex, 404, "Repository not found".getBytes(StandardCharsets.UTF_8));
        }
    }

    private void handleCdn(HttpExchange ex) throws IOException {
        record(ex);
        try (ex) {
            String file = ex.getRequestURI().getPath().substring("/blobs/".length());
            byte[] data = files.get(file);
            if (data == null) {
                send(ex, 404, new byte[0]);
                return;
            }
            serve(ex, file, data);
        }
    }

    private void serve(HttpExchange ex, String file, byte[] data) throws IOException {
        if (ex.getRequestMethod().equals("HEAD")) {
            // The JDK server writes Content-Length 0 for HEAD, so the size travels in the hub's own header.
            ex.getResponseHeaders().add("X-Linked-Size", Integer.toString(data.length));
            ex.sendResponseHeaders(200, -1);
            return;
        }
        String range = ex.getRequestHeaders().getFirst("Range");
        int from = 0;
        if (range != null) {
            if (!range.matches("bytes=\\d+-")) {
                send(ex, 400, new byte[0]);
                return;
            }
            from = Integer.parseInt(range.substring(6, range.length() - 1));
            if (from >= data.length) {
                ex.getResponseHeaders().add("Content-Range", "bytes */" + data.length);
                ex.sendResponseHeaders(416, -1);
                return;
            }
            ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (data.length - 1) + "/" + data.length);
        }
        int length = data.length - from;
        ex.sendResponseHeaders(range != null ? 206 : 200, length);
        Integer drop = dropOnce.remove(file);
        OutputStream out = ex.getResponseBody();
        if (drop != null && drop < length) {
            out.write(data, from, drop);
            out.flush();
            // Fewer bytes than promised, then the connection goes away: what a dropped download looks like.
            throw new IOException("dropping the connection on purpose");
        }
        Integer stall = stallOnce.remove(file);
        if (stall != null && stall < length) {
            out.write(data, from, stall);
            out.flush();
            try {
                Thread.sleep(STALL_MS); // a connection that stays open but delivers nothing
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            out.write(data, from + stall, length - stall);
            return;
        }
        out.write(data, from, length);
    }

    private byte[] listing() throws IOException {
        ObjectMapper om = new ObjectMapper();
        ObjectNode root = om.createObjectNode();
        root.put("id", repo);
        root.put("sha", COMMIT);
        ArrayNode siblings = root.putArray("siblings");
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            ObjectNode s = siblings.addObject();
            String name = e.getKey();
            byte[] data = e.getValue();
            long size = listedSize.getOrDefault(name, (long) data.length);
            s.put("rfilename", name);
            if (!omitSizes) {
                s.put("size", size);
            }
            if (lfs.contains(name)) {
                s.put("blobId", gitBlobId(("version https://git-lfs.github.com/spec/v1\n").getBytes(StandardCharsets.UTF_8)));
                ObjectNode l = s.putObject("lfs");
                l.put("sha256", listedSha.getOrDefault(name, sha256(data)));
                if (!omitSizes) {
                    l.put("size", size);
                }
                l.put("pointerSize", 134);
            } else {
                s.put("blobId", gitBlobId(data));
            }
        }
        return om.writeValueAsBytes(root);
    }

    private void record(HttpExchange ex) {
        requests.add(new Request(ex.getRequestMethod(), ex.getRequestURI().getPath(),
                ex.getRequestHeaders().getFirst("Range"), ex.getRequestHeaders().getFirst("Authorization")));
    }

    private static String query(HttpExchange ex, String key) {
        String q = ex.getRequestURI().getQuery();
        if (q == null) {
            return null;
        }
        for (String kv : q.split("&")) {
            String[] p = kv.split("=", 2);
            if (p[0].equals(key)) {
                return p.length > 1 ? p[1] : "";
            }
        }
        return null;
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            ex.getResponseBody().write(body);
        }
    }

    static String sha256(byte[] data) {
        return digest("SHA-256", new byte[0], data);
    }

    static String gitBlobId(byte[] data) {
        return digest("SHA-1", ("blob " + data.length + "\0").getBytes(StandardCharsets.US_ASCII), data);
    }

    private static String digest(String alg, byte[] prefix, byte[] data) {
        try {
            MessageDigest md = MessageDigest.getInstance(alg);
            md.update(prefix);
            md.update(data);
            return HexFormat.of().formatHex(md.digest());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        api.stop(0);
        cdn.stop(0);
        pool.shutdownNow();
    }
}
