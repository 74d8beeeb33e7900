package dev.rwkvjava.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.WeightType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * Writes safetensors files: logits, states and generated models. Tensor data is produced one tensor at a time
 * (so a large model never sits in memory whole) and written to a temporary file that is moved into place only
 * when complete, so an interrupted write never leaves a file that looks valid.
 */
public final class SafetensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsWriter() {
    }

    /** Produces a tensor's float values in order, a buffer at a time, so no tensor needs to sit in memory whole. */
    @FunctionalInterface
    public interface FloatSource {
        /** Writes the next {@code n} values into {@code buf[0 .. n)}. */
        void next(float[] buf, int n);
    }

    /** One tensor to write. Float data is converted to the entry's dtype (F32, F16 or BF16). */
    public record Entry(String name, DType dtype, long[] shape, Supplier<FloatSource> floats, int[] ints) {
        public static Entry floats(String name, DType dtype, long[] shape, Supplier<float[]> data) {
            return stream(name, dtype, shape, () -> {
                float[] all = data.get();
                long n = 1;
                for (long d : shape) {
                    n *= d;
                }
                if (all.length != n) {
                    throw new IllegalArgumentException("tensor " + name + ": " + all.length + " values for shape "
                            + java.util.Arrays.toString(shape) + " (" + n + " expected)");
                }
                int[] pos = {0};
                return (buf, count) -> {
                    System.arraycopy(all, pos[0], buf, 0, count);
                    pos[0] += count;
                };
            });
        }

        /** A tensor whose values are produced in order by a fresh source. */
        public static Entry stream(String name, DType dtype, long[] shape, Supplier<FloatSource> source) {
            if (!dtype.isWeightType() || dtype.isBlockType()) {
                throw new IllegalArgumentException(name + ": float data cannot be stored as " + dtype
                        + " in safetensors (F32, F16 or BF16)");
            }
            return new Entry(name, dtype, shape.clone(), source, null);
        }

        public static Entry floats(String name, long[] shape, float[] data) {
            return floats(name, DType.F32, shape, () -> data);
        }

        public static Entry ints(String name, long[] shape, int[] data) {
            return new Entry(name, DType.I32, shape.clone(), null, data);
        }

        long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    /** Writes the entries in order, with string metadata (may be empty). */
    public static void write(Path path, List<Entry> entries, Map<String, String> metadata) {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Entry e : entries) {
            ObjectNode t = header.putObject(e.name());
            t.put("dtype", e.dtype().name());
            ArrayNode shape = t.putArray("shape");
            for (long d : e.shape()) {
                shape.add(d);
            }
            long bytes = e.elements() * e.dtype().bytes();
            ArrayNode off = t.putArray("data_offsets");
            off.add(offset);
            off.add(offset + bytes);
            offset += bytes;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int padded = (json.length + 7) / 8 * 8;
        Path parent = path.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            if (parent != null) {
                Files.createDirectories(parent);
            }
            // Created with the default permissions (the umask's), as any file the user writes; a temporary file
            // would keep createTempFile's owner-only mode after the move.
            tmp = parent.resolve("." + path.getFileName() + "."
                    + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".part");
            Files.createFile(tmp);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
                head.putLong(padded).put(json);
                while (head.hasRemaining()) {
                    head.put((byte) ' ');
                }
                writeFully(ch, head.flip());
                for (Entry e : entries) {
                    writeData(ch, e);
                }
            }
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new UncheckedIOException("cannot write " + path + ": " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            deleteQuietly(tmp);
            throw e;
        }
    }

    private static void writeData(FileChannel ch, Entry e) throws IOException {
        long n = e.elements();
        if (e.ints() != null) {
            checkLength(e, e.ints().length, n);
            ByteBuffer b = ByteBuffer.allocate(e.ints().length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asIntBuffer().put(e.ints());
            writeFully(ch, b);
            return;
        }
        FloatSource source = e.floats().get();
        WeightType type = WeightType.of(e.dtype());
        int chunk = 1 << 16;
        float[] data = new float[chunk];
        byte[] bytes = new byte[chunk * e.dtype().bytes()];
        MemorySegment encoded = MemorySegment.ofArray(bytes);
        for (long start = 0; start < n; start += chunk) {
            int end = (int) Math.min(chunk, n - start);
            source.next(data, end);
            type.encode(data, 0, end, encoded, 0);
            writeFully(ch, ByteBuffer.wrap(bytes, 0, end * e.dtype().bytes()));
        }
    }

    private static void checkLength(Entry e, long have, long want) {
        if (have != want) {
            throw new IllegalArgumentException("tensor " + e.name() + ": " + have + " values for shape "
                    + java.util.Arrays.toString(e.shape()) + " (" + want + " expected)");
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // The temporary file is left behind; it never has the final name.
            }
        }
    }
}
