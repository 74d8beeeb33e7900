package dev.rwkvjava.tokenizer;

import dev.rwkvjava.tokenizer.internal.TokenTable;

import java.nio.charset.StandardCharsets;

/** The tokenizer of vocabulary-256 models: one token per byte, id = byte value (id 0 is the byte 0x00). */
public final class ByteTokenizer implements Tokenizer {
    /** The vocabulary size: one token per byte value. */
    public static final int VOCAB_SIZE = 256;

    /** The byte tokenizer (it has no state). */
    public ByteTokenizer() {
    }

    @Override
    public int vocabSize() {
        return VOCAB_SIZE;
    }

    @Override
    public int[] encode(String text) {
        return encode(text.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public int[] encode(byte[] input) {
        int[] ids = new int[input.length];
        for (int i = 0; i < input.length; i++) {
            ids[i] = input[i] & 0xFF;
        }
        return ids;
    }

    @Override
    public byte[] decode(int[] ids) {
        byte[] out = new byte[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = toByte(ids[i]);
        }
        return out;
    }

    @Override
    public byte[] tokenBytes(int id) {
        return new byte[] {toByte(id)};
    }

    private static byte toByte(int id) {
        if (id < 0 || id >= VOCAB_SIZE) {
            throw TokenTable.unknownId(id, VOCAB_SIZE);
        }
        return (byte) id;
    }

    @Override
    public String toString() {
        return "bytes tokenizer (vocabulary 256)";
    }
}
