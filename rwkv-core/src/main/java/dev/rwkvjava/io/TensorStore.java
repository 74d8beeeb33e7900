package dev.rwkvjava.io;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;

/**
 * Named tensors read in place from a file. Implemented per file format; the model loader sees only this.
 * Segments stay valid until {@link #close()}.
 */
public interface TensorStore extends AutoCloseable {

    Path path();

    /** The file format the tensors come from. */
    ModelFormat format();

    /** All tensors, in file order. */
    Collection<TensorInfo> tensors();

    /** The tensor called name, or null. */
    TensorInfo find(String name);

    /** The bytes of a tensor, little-endian, read-only. */
    MemorySegment data(TensorInfo tensor);

    /** Free-form string metadata of the file (empty when the format has none). */
    Map<String, String> metadata();

    /** File size in bytes. */
    long fileSize();

    @Override
    void close();
}
