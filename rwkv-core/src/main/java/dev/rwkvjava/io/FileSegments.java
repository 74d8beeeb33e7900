package dev.rwkvjava.io;

import dev.rwkvjava.ModelFileException;

import dev.rwkvjava.LoadMode;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Brings a whole file into memory for the format readers: mapped read-only, or read into memory an arena owns
 * ({@link LoadMode}).
 */
public final class FileSegments {
    /** Alignment of the block a file is read into, and of the chosen file offset within it. */
    public static final int CACHE_LINE = 64;

    /** Bytes per read call: large enough to stream at disk speed, small enough for a ByteBuffer view. */
    private static final int READ_CHUNK = 64 << 20;

    private FileSegments() {
    }

    /** The whole file mapped read-only for the lifetime of {@code arena} (an empty segment for an empty file). */
    public static MemorySegment map(FileChannel ch, Arena arena) throws IOException {
        long size = ch.size();
        if (size == 0) {
            return MemorySegment.ofArray(new byte[0]);
        }
        return ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
    }

    /**
     * The whole file read into memory owned by {@code arena}. The block starts on a huge page (the system may back
     * it with large pages) and the file is placed in it so that file offset {@code alignedOffset} falls on a cache
     * line: a format whose tensors are aligned relative to that offset then never splits a vector load across two
     * lines.
     *
     * @throws ModelFileException when the file ends before {@code size} bytes (it changed while loading)
     */
    public static MemorySegment read(Path path, FileChannel ch, long size, long alignedOffset, Arena arena)
            throws IOException {
        if (size == 0) {
            return MemorySegment.ofArray(new byte[0]);
        }
        long shift = Math.floorMod(-alignedOffset, CACHE_LINE);
        MemorySegment seg = arena.allocate(size + shift, 2 << 20).asSlice(shift, size);
        for (long pos = 0; pos < size; ) {
            ByteBuffer chunk = seg.asSlice(pos, Math.min(READ_CHUNK, size - pos)).asByteBuffer();
            while (chunk.hasRemaining()) {
                if (ch.read(chunk, pos + chunk.position()) < 0) {
                    throw new ModelFileException(path, null, "file ended at byte " + (pos + chunk.position())
                            + " while reading its " + size + " bytes (changed while loading?)");
                }
            }
            pos += chunk.capacity();
        }
        return seg;
    }
}
