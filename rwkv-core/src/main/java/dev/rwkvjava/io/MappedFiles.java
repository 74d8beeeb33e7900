package dev.rwkvjava.io;

import dev.rwkvjava.ModelFileChangedException;
import dev.rwkvjava.ModelFileException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The weight files a loaded model reads through a memory mapping, as they were when it was loaded (identity, size,
 * modification time), so that it can tell when one is changed in place under it.
 *
 * <p>A mapping shows a file's current bytes: a file rewritten in place would silently give the model other weights,
 * and a file truncated in place takes away pages the model reads (reading them faults). A file replaced by another
 * (a new file renamed over it, or deleted) leaves the mapped one intact, and is no concern: the model keeps the
 * weights it loaded. {@link #check} (before each use) and {@link #faulted} (when a read faulted anyway, because the
 * change came during a call) turn both cases into a {@link ModelFileChangedException} that names the file and asks for a
 * reload; from then on every call fails the same way.
 */
public final class MappedFiles {
    /** For a model that maps nothing (read into memory): nothing can change under it. */
    public static final MappedFiles NONE = new MappedFiles(List.of());

    /** Stat calls are at most this often: a check costs a few microseconds, a token of a tiny model not many more. */
    private static final long CHECK_INTERVAL_NANOS = 20_000_000L;

    private record Seen(Path path, Object key, long size, FileTime modified) {
    }

    private final List<Seen> files;
    private volatile long lastCheck = System.nanoTime();
    private volatile ModelFileChangedException failure;

    private MappedFiles(List<Seen> files) {
        this.files = files;
    }

    /**
     * The files as they are now: call before mapping them, so that a change while loading shows too.
     *
     * @throws ModelFileException when a file cannot be read
     */
    public static MappedFiles of(List<Path> paths) {
        List<Seen> seen = new ArrayList<>();
        for (Path p : paths) {
            try {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                seen.add(new Seen(p, a.fileKey(), a.size(), a.lastModifiedTime()));
            } catch (IOException e) {
                throw new ModelFileException(p, null, "cannot read file: " + e.getMessage(), e);
            }
        }
        return new MappedFiles(List.copyOf(seen));
    }

    /**
     * Fails when a file has been truncated or rewritten in place since loading, or when an earlier call failed so.
     *
     * @throws ModelFileChangedException naming the file
     */
    public void check() {
        ModelFileChangedException f = failure;
        if (f != null) {
            throw again(f);
        }
        long now = System.nanoTime();
        if (files.isEmpty() || now - lastCheck < CHECK_INTERVAL_NANOS) {
            return;
        }
        lastCheck = now;
        for (Seen s : files) {
            String change = change(s);
            if (change != null) {
                throw fail(new ModelFileChangedException(s.path, change + " after the model was loaded: load it again",
                        null));
            }
        }
    }

    /** What happened to a file since loading, or null when it is as loaded, or replaced or gone (mapping intact). */
    private static String change(Seen s) {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(s.path, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            return null; // unreadable now, but the mapping still holds what was loaded
        }
        if (s.key != null && !Objects.equals(s.key, a.fileKey())) {
            return null;
        }
        if (a.size() != s.size) {
            return "changed on disk (" + s.size + " bytes when loaded, " + a.size() + " now)";
        }
        if (!a.lastModifiedTime().equals(s.modified)) {
            return "was modified on disk (at " + a.lastModifiedTime() + ")";
        }
        return null;
    }

    /**
     * The error for a read that faulted during a call: HotSpot reports the fault of a mapped file's page that no
     * longer exists as an {@link InternalError}; returns the exception to throw, or null when {@code e} is another
     * error.
     */
    public ModelFileChangedException faulted(InternalError e) {
        if (files.isEmpty() || e.getMessage() == null || !e.getMessage().contains("unsafe memory access")) {
            return null;
        }
        ModelFileChangedException f = failure;
        if (f != null) {
            return again(f);
        }
        Seen first = files.get(0);
        String change = null;
        Path path = first.path;
        for (Seen s : files) {
            change = change(s);
            if (change != null) {
                path = s.path;
                break;
            }
        }
        return fail(new ModelFileChangedException(path, (change != null ? change : "could not be read")
                + " while the model was using it (truncated or rewritten by another program?): load it again", e));
    }

    private ModelFileChangedException fail(ModelFileChangedException e) {
        failure = e;
        return e;
    }

    private static ModelFileChangedException again(ModelFileChangedException f) {
        return new ModelFileChangedException(f.file(), problemOf(f), f.getCause());
    }

    private static String problemOf(ModelFileException f) {
        String prefix = f.file() + ": ";
        String m = f.getMessage();
        return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
    }
}
