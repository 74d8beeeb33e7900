package dev.rwkvjava.cli;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;

/**
 * The files a command reads and must never write over: the model's weights, the files beside them that the engine
 * reads (tokenizer, config), everything in a model folder and in the hub cache, and the other inputs named on the
 * command line. Output options ({@code --out}, {@code --state-out}, chat's {@code /save}) are checked against them
 * before any work starts; paths are compared as the file system resolves them, so {@code ./x}, symbolic links
 * and hard links to a protected file are all caught.
 */
final class ProtectedFiles {
    private record Entry(Path path, String what) {
    }

    private final List<Entry> files = new ArrayList<>();
    private final List<Entry> folders = new ArrayList<>();

    /**
     * The files of a model given as on the command line (a weights file or folder; a hub id lives in the cache),
     * and the hub cache.
     */
    static ProtectedFiles forModel(String model, Path cacheDir) {
        ProtectedFiles p = new ProtectedFiles();
        Path path = asPath(model);
        if (path != null && Files.isDirectory(path)) {
            p.folder(path, "the model folder");
        } else if (path != null && Files.exists(path)) {
            p.weights(path);
        }
        if (cacheDir != null) {
            p.folder(cacheDir, "the hub cache");
        }
        return p;
    }

    /** Adds a weights file and the files beside it that are read with it (tokenizer, configuration). */
    ProtectedFiles weights(Path weights) {
        file(weights, "the model's weights file");
        Path dir = weights.toAbsolutePath().getParent();
        if (dir != null) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
                for (Path f : ds) {
                    if (isModelCompanion(f.getFileName().toString())) {
                        file(f, "a file of the model (" + f.getFileName() + ")");
                    }
                }
            } catch (IOException e) {
                // unreadable folder: only the weights file itself is known
            }
        }
        return this;
    }

    private static boolean isModelCompanion(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".json") || (n.startsWith("rwkv_vocab") && n.endsWith(".txt")) || n.equals("merges.txt");
    }

    ProtectedFiles file(Path file, String what) {
        if (file != null && Files.exists(file)) {
            files.add(new Entry(file, what));
        }
        return this;
    }

    ProtectedFiles folder(Path folder, String what) {
        if (folder != null) {
            folders.add(new Entry(resolved(folder), what));
        }
        return this;
    }

    /**
     * Throws unless {@code out} may be written: not a protected file, not inside a protected folder, not a folder,
     * and in a folder that exists.
     *
     * @throws IllegalArgumentException naming the option, the path and what it would overwrite
     */
    void checkOutput(String option, Path out) {
        if (Files.isDirectory(out)) {
            throw new IllegalArgumentException(option + " " + out + ": is a directory; give a file name");
        }
        if (Files.exists(out)) {
            for (Entry e : files) {
                if (same(out, e.path())) {
                    throw new IllegalArgumentException(option + " " + out + ": refusing to overwrite " + e.what()
                            + (out.equals(e.path()) ? "" : " (" + e.path() + ")") + "; write to another file");
                }
            }
        }
        Path r = resolved(out);
        for (Entry e : folders) {
            if (r.startsWith(e.path())) {
                throw new IllegalArgumentException(option + " " + out + ": is inside " + e.what() + " (" + e.path()
                        + "), which must not be written to; write to another folder");
            }
        }
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new IllegalArgumentException(option + " " + out + ": the folder " + parent + " does not exist");
        }
    }

    private static boolean same(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return resolved(a).equals(resolved(b));
        }
    }

    /**
     * The path with every existing part resolved as the file system does (symbolic links followed, "." and ".."
     * applied), and the part that does not exist yet appended as written.
     */
    static Path resolved(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        Deque<Path> missing = new ArrayDeque<>();
        Path existing = abs;
        while (existing != null && !Files.exists(existing)) {
            missing.push(existing.getFileName());
            existing = existing.getParent();
        }
        if (existing == null) {
            return abs;
        }
        Path r;
        try {
            r = existing.toRealPath();
        } catch (IOException e) {
            return abs;
        }
        while (!missing.isEmpty()) {
            r = r.resolve(missing.pop());
        }
        return r;
    }

    private static Path asPath(String s) {
        try {
            return s == null ? null : Path.of(s);
        } catch (InvalidPathException e) {
            return null;
        }
    }
}
