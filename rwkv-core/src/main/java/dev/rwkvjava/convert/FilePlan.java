package dev.rwkvjava.convert;

import dev.rwkvjava.tensor.WeightType;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * The bytes of an output file, in order: header bytes, tensor data, padding. Written in one pass, tensor by tensor
 * and each tensor a slice at a time, so the heap holds a few hundred kilobytes whatever the model's size.
 */
final class FilePlan {
    /** One run of bytes of the file. */
    sealed interface Piece {
        long size();
    }

    record Bytes(byte[] bytes) implements Piece {
        @Override
        public long size() {
            return bytes.length;
        }
    }

    record Zeros(long count) implements Piece {
        @Override
        public long size() {
            return count;
        }
    }

    record Data(OutTensor tensor) implements Piece {
        @Override
        public long size() {
            return tensor.bytes();
        }
    }

    /** Bytes copied from the input per write call. */
    private static final long COPY_BYTES = 8L << 20;

    private final List<Piece> pieces = new ArrayList<>();
    private final List<OutTensor> tensors = new ArrayList<>();
    private long size;

    FilePlan bytes(byte[] b) {
        return add(new Bytes(b));
    }

    FilePlan zeros(long n) {
        return n == 0 ? this : add(new Zeros(n));
    }

    FilePlan data(OutTensor t) {
        tensors.add(t);
        return add(new Data(t));
    }

    private FilePlan add(Piece p) {
        pieces.add(p);
        size = Math.addExact(size, p.size());
        return this;
    }

    long size() {
        return size;
    }

    List<OutTensor> tensors() {
        return List.copyOf(tensors);
    }

    /**
     * Writes the file to {@code file}, which must not exist, forcing it to the device at the end.
     *
     * @param progress told the bytes written so far and the tensor being written, a few times per tensor
     */
    void write(Path file, BiConsumer<Long, String> progress) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            long done = 0;
            for (Piece p : pieces) {
                switch (p) {
                    case Bytes b -> writeFully(ch, ByteBuffer.wrap(b.bytes()));
                    case Zeros z -> writeFully(ch, ByteBuffer.allocate((int) z.count()));
                    case Data d -> writeTensor(ch, d.tensor(), done, progress);
                }
                done += p.size();
                progress.accept(done, p instanceof Data d ? d.tensor().name() : "");
            }
            if (ch.size() != size) {
                throw new IOException("wrote " + ch.size() + " bytes where " + size + " were planned");
            }
            ch.force(true);
        }
    }

    private static void writeTensor(FileChannel ch, OutTensor t, long before, BiConsumer<Long, String> progress)
            throws IOException {
        if (t.copiesBytes()) {
            MemorySegment src = ValueSource.storedBytes(t.source()).data();
            for (long at = 0; at < src.byteSize(); at += COPY_BYTES) {
                long k = Math.min(COPY_BYTES, src.byteSize() - at);
                writeFully(ch, src.asSlice(at, k).asByteBuffer());
                progress.accept(before + at + k, t.name());
            }
            return;
        }
        WeightType type = WeightType.of(t.dtype());
        ValueStream in = ValueStream.of(t.source());
        long n = t.count();
        int slice = (int) Math.min(ValueStream.SLICE, n);
        float[] values = new float[slice];
        byte[] bytes = new byte[(int) t.dtype().byteSize(slice)];
        MemorySegment encoded = MemorySegment.ofArray(bytes);
        long written = 0;
        for (long at = 0; at < n; at += slice) {
            int k = (int) Math.min(slice, n - at);
            in.read(values, 0, k);
            type.encode(values, 0, k, encoded, 0);
            int kb = (int) t.dtype().byteSize(k);
            writeFully(ch, ByteBuffer.wrap(bytes, 0, kb));
            written += kb;
            if ((at / slice & 63) == 63) {
                progress.accept(before + written, t.name());
            }
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
