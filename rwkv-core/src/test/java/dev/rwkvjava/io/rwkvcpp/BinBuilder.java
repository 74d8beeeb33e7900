package dev.rwkvjava.io.rwkvcpp;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Writes small rwkv.cpp files for tests, including malformed ones. */
final class BinBuilder {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    BinBuilder(int magic, int version, int nVocab, int nEmbed, int nLayer, int dataType) {
        i32(magic).i32(version).i32(nVocab).i32(nEmbed).i32(nLayer).i32(dataType);
    }

    /** A version-101 FP32 header with n_vocab 4, n_embed 32, n_layer 1. */
    static BinBuilder v101() {
        return new BinBuilder(RwkvCppFile.MAGIC, 101, 4, 32, 1, 0);
    }

    BinBuilder i32(long v) {
        for (int i = 0; i < 4; i++) {
            out.write((int) (v >>> (8 * i)));
        }
        return this;
    }

    BinBuilder bytes(byte[] b) {
        out.writeBytes(b);
        return this;
    }

    /** A tensor header (dims in file order, contiguous first) and name; the data follows with {@link #data}. */
    BinBuilder header(String name, int type, long... dims) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        i32(dims.length).i32(n.length).i32(type);
        for (long d : dims) {
            i32(d);
        }
        return bytes(n);
    }

    /** {@code n} data bytes, byte i = (start + i) mod 251. */
    BinBuilder data(int n, int start) {
        for (int i = 0; i < n; i++) {
            out.write((start + i) % 251);
        }
        return this;
    }

    byte[] build() {
        return out.toByteArray();
    }
}
