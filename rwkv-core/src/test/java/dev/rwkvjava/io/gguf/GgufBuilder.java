package dev.rwkvjava.io.gguf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/** Writes small GGUF files for tests, including malformed ones (every field can be set to anything). */
final class GgufBuilder {
    /** Little-endian field writer. */
    static final class Le {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Le u8(int v) {
            out.write(v);
            return this;
        }

        Le u16(int v) {
            return u8(v).u8(v >>> 8);
        }

        Le u32(long v) {
            for (int i = 0; i < 4; i++) {
                out.write((int) (v >>> (8 * i)));
            }
            return this;
        }

        Le u64(long v) {
            for (int i = 0; i < 8; i++) {
                out.write((int) (v >>> (8 * i)));
            }
            return this;
        }

        Le f32(float v) {
            return u32(Float.floatToRawIntBits(v));
        }

        Le f64(double v) {
            return u64(Double.doubleToRawLongBits(v));
        }

        Le bytes(byte[] b) {
            out.writeBytes(b);
            return this;
        }

        Le str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            return u64(b.length).bytes(b);
        }

        int size() {
            return out.size();
        }
    }

    byte[] magic = {'G', 'G', 'U', 'F'};
    long version = 3;
    Long tensorCount;
    Long entryCount;
    /** Padding of the data section (the file says its alignment through a general.alignment entry). */
    int alignment = 32;
    private final Le entries = new Le();
    private int entries_;
    private final Le infos = new Le();
    private int infos_;

    /** An entry whose value the consumer writes (after the key and type id). */
    GgufBuilder kv(String key, long typeId, Consumer<Le> value) {
        entries.str(key).u32(typeId);
        value.accept(entries);
        entries_++;
        return this;
    }

    GgufBuilder u32(String key, long v) {
        return kv(key, GgufValueType.UINT32.id(), le -> le.u32(v));
    }

    GgufBuilder string(String key, String v) {
        return kv(key, GgufValueType.STRING.id(), le -> le.str(v));
    }

    /** A tensor info: ne in ggml order (contiguous first). */
    GgufBuilder tensor(String name, long typeId, long offset, long... ne) {
        infos.str(name).u32(ne.length);
        for (long n : ne) {
            infos.u64(n);
        }
        infos.u32(typeId).u64(offset);
        infos_++;
        return this;
    }

    /** The header, padded to the alignment, then {@code dataBytes} bytes of data (byte i = i mod 251). */
    byte[] build(int dataBytes) {
        Le f = new Le();
        f.bytes(magic).u32(version).u64(tensorCount != null ? tensorCount : infos_)
                .u64(entryCount != null ? entryCount : entries_);
        f.bytes(entries.out.toByteArray()).bytes(infos.out.toByteArray());
        while (f.size() % alignment != 0) {
            f.u8(0);
        }
        for (int i = 0; i < dataBytes; i++) {
            f.u8(i % 251);
        }
        return f.out.toByteArray();
    }

    /** Where the data section of {@link #build} starts. */
    int headerBytes() {
        int n = 4 + 4 + 8 + 8 + entries.size() + infos.size();
        return n + Math.floorMod(-n, alignment);
    }
}
