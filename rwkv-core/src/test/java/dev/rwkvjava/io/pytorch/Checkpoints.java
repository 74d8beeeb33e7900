package dev.rwkvjava.io.pytorch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Builds torch.save-like archives around a hand-written pickle. */
final class Checkpoints {
    private Checkpoints() {
    }

    /** The archive a current torch.save writes: data.pkl, byteorder, the storages, version, serialization id. */
    static TestZip.Built archive(byte[] pickle, Map<String, byte[]> storages, boolean zip64) {
        List<TestZip.Item> items = new ArrayList<>();
        items.add(TestZip.Item.stored("archive/data.pkl", pickle));
        items.add(TestZip.Item.stored("archive/byteorder", "little".getBytes(StandardCharsets.US_ASCII)));
        storages.forEach((k, v) -> items.add(TestZip.Item.stored("archive/data/" + k, v)));
        items.add(TestZip.Item.stored("archive/version", "3\n".getBytes(StandardCharsets.US_ASCII)));
        items.add(TestZip.Item.stored("archive/.data/serialization_id", "0123456789".getBytes(StandardCharsets.US_ASCII)));
        return TestZip.write(items, zip64, true);
    }

    static Path write(Path dir, String name, byte[] bytes) {
        try {
            Path p = dir.resolve(name);
            Files.write(p, bytes);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }

    /** 0, 1, 2, ... n-1 as F32. */
    static byte[] iota(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = i;
        }
        return floats(v);
    }

    static void putLe(byte[] b, int at, long v, int n) {
        for (int i = 0; i < n; i++) {
            b[at + i] = (byte) (v >>> (8 * i));
        }
    }
}
