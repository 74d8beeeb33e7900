package dev.rwkvjava.io.pytorch;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Writes small zip archives for the tests: entries stored (or deflated), optionally with every size and offset in
 * ZIP64 form, with torch's 64-byte data alignment and data descriptors. Reports where each header landed, so that
 * tests can corrupt chosen fields.
 */
final class TestZip {
    record Item(String name, byte[] data, boolean deflate) {
        static Item stored(String name, byte[] data) {
            return new Item(name, data, false);
        }
    }

    /** The archive and the offsets of each entry's local and central header and of the end record. */
    record Built(byte[] bytes, Map<String, Integer> local, Map<String, Integer> central, Map<String, Integer> data,
                 int eocd) {
    }

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private TestZip le(long v, int n) {
        for (int i = 0; i < n; i++) {
            out.write((int) (v >>> (8 * i)) & 0xFF);
        }
        return this;
    }

    static Built write(List<Item> items, boolean zip64, boolean torchStyle) {
        return new TestZip().build(items, zip64, torchStyle);
    }

    private Built build(List<Item> items, boolean zip64, boolean torchStyle) {
        Map<String, Integer> local = new LinkedHashMap<>();
        Map<String, Integer> central = new LinkedHashMap<>();
        Map<String, Integer> dataAt = new LinkedHashMap<>();
        Map<String, long[]> info = new LinkedHashMap<>();
        int flags = 0x800 | (torchStyle ? 8 : 0);
        for (Item it : items) {
            byte[] name = it.name().getBytes(StandardCharsets.UTF_8);
            byte[] payload = it.data();
            if (it.deflate()) {
                Deflater d = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
                d.setInput(payload);
                d.finish();
                byte[] buf = new byte[payload.length + 64];
                int n = d.deflate(buf);
                payload = java.util.Arrays.copyOf(buf, n);
            }
            CRC32 crc = new CRC32();
            crc.update(it.data());
            int lho = out.size();
            int extraLen = zip64 ? 20 : 0;
            int pad = 0;
            if (torchStyle) {
                int start = lho + 30 + name.length + extraLen + 4;
                pad = (64 - start % 64) % 64;
                extraLen += 4 + pad;
            }
            le(0x04034b50, 4).le(zip64 ? 45 : 20, 2).le(flags, 2).le(it.deflate() ? 8 : 0, 2).le(0, 4);
            if (torchStyle) {
                le(0, 4).le(zip64 ? 0xFFFFFFFFL : 0, 4).le(zip64 ? 0xFFFFFFFFL : 0, 4);
            } else {
                le(crc.getValue(), 4).le(zip64 ? 0xFFFFFFFFL : payload.length, 4)
                        .le(zip64 ? 0xFFFFFFFFL : it.data().length, 4);
            }
            le(name.length, 2).le(extraLen, 2);
            out.writeBytes(name);
            if (zip64) {
                le(1, 2).le(16, 2).le(it.data().length, 8).le(payload.length, 8);
            }
            if (torchStyle) {
                le('F' | 'B' << 8, 2).le(pad, 2);
                out.writeBytes(new byte[pad]);
            }
            dataAt.put(it.name(), out.size());
            out.writeBytes(payload);
            if (torchStyle) {
                le(0x08074b50, 4).le(crc.getValue(), 4).le(payload.length, 4).le(it.data().length, 4);
            }
            local.put(it.name(), lho);
            info.put(it.name(), new long[] {crc.getValue(), payload.length, it.data().length, lho,
                it.deflate() ? 8 : 0});
        }
        int cdOffset = out.size();
        for (Item it : items) {
            byte[] name = it.name().getBytes(StandardCharsets.UTF_8);
            long[] f = info.get(it.name());
            central.put(it.name(), out.size());
            le(0x02014b50, 4).le(45, 2).le(zip64 ? 45 : 20, 2).le(flags, 2).le(f[4], 2).le(0, 4).le(f[0], 4);
            le(zip64 ? 0xFFFFFFFFL : f[1], 4).le(zip64 ? 0xFFFFFFFFL : f[2], 4);
            le(name.length, 2).le(zip64 ? 28 : 0, 2).le(0, 2).le(0, 2).le(0, 2).le(0, 4);
            le(zip64 ? 0xFFFFFFFFL : f[3], 4);
            out.writeBytes(name);
            if (zip64) {
                le(1, 2).le(24, 2).le(f[2], 8).le(f[1], 8).le(f[3], 8);
            }
        }
        int cdSize = out.size() - cdOffset;
        if (zip64) {
            int rec = out.size();
            le(0x06064b50, 4).le(44, 8).le(45, 2).le(45, 2).le(0, 4).le(0, 4).le(items.size(), 8)
                    .le(items.size(), 8).le(cdSize, 8).le(cdOffset, 8);
            le(0x07064b50, 4).le(0, 4).le(rec, 8).le(1, 4);
        }
        int eocd = out.size();
        le(0x06054b50, 4).le(0, 2).le(0, 2);
        le(zip64 ? 0xFFFF : items.size(), 2).le(zip64 ? 0xFFFF : items.size(), 2);
        le(zip64 ? 0xFFFFFFFFL : cdSize, 4).le(zip64 ? 0xFFFFFFFFL : cdOffset, 4).le(0, 2);
        return new Built(out.toByteArray(), local, central, dataAt, eocd);
    }
}
