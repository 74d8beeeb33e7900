package dev.rwkvjava.io.gguf;

import dev.rwkvjava.io.ModelFileException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Reads little-endian fields from a byte range of a file, checking each read against the end of the range: a
 * field past the end is a {@link ModelFileException} naming the field and the byte it starts at.
 */
final class Cursor {
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final MemorySegment seg;
    private final long end;
    private long pos;
    private final Decoder decoder = new Decoder();
    /** The tensor being read, named in errors (null while reading metadata). */
    String tensor;

    Cursor(Path path, MemorySegment seg, long pos, long end) {
        this.path = path;
        this.seg = seg;
        this.pos = pos;
        this.end = end;
    }

    long pos() {
        return pos;
    }

    long remaining() {
        return end - pos;
    }

    ModelFileException error(String problem) {
        return new ModelFileException(path, tensor, problem);
    }

    /** Checks that {@code n} more bytes exist for {@code what}. */
    void need(long n, String what) {
        if (n < 0 || n > end - pos) {
            throw error(what + " at byte " + pos + " needs " + (n < 0 ? "more than 2^63" : Long.toString(n))
                    + " bytes, but only " + (end - pos) + " remain: file truncated or corrupt");
        }
    }

    void skip(long n, String what) {
        need(n, what);
        pos += n;
    }

    int u8(String what) {
        need(1, what);
        return seg.get(ValueLayout.JAVA_BYTE, pos++) & 0xFF;
    }

    short i16(String what) {
        need(2, what);
        short v = seg.get(I16, pos);
        pos += 2;
        return v;
    }

    int i32(String what) {
        need(4, what);
        int v = seg.get(I32, pos);
        pos += 4;
        return v;
    }

    /** An unsigned 32-bit field. */
    long u32(String what) {
        return Integer.toUnsignedLong(i32(what));
    }

    /** A 64-bit field as stored (an unsigned value above 2^63 - 1 comes back negative). */
    long i64(String what) {
        need(8, what);
        long v = seg.get(I64, pos);
        pos += 8;
        return v;
    }

    float f32(String what) {
        need(4, what);
        float v = seg.get(F32, pos);
        pos += 4;
        return v;
    }

    double f64(String what) {
        need(8, what);
        double v = seg.get(F64, pos);
        pos += 8;
        return v;
    }

    /**
     * A string: uint64 length, then that many bytes of UTF-8. A length past the end of the range or above
     * {@code maxBytes}, and invalid UTF-8, are errors.
     */
    String string(String what, int maxBytes) {
        long len = i64(what + " length");
        if (len < 0 || len > end - pos) {
            throw error(what + " at byte " + (pos - 8) + " has length " + Long.toUnsignedString(len)
                    + ", past the end of the file (" + (end - pos) + " bytes remain): file truncated or corrupt");
        }
        if (len > maxBytes) {
            throw error(what + " at byte " + (pos - 8) + " is " + len + " bytes long, more than the " + maxBytes
                    + " accepted");
        }
        String s = utf8(seg, pos, len, decoder);
        if (s == null) {
            throw error(what + " at byte " + pos + " is not valid UTF-8");
        }
        pos += len;
        return s;
    }

    /**
     * Skips a string, checking only that its length field and bytes are there; false (the position unchanged) when
     * they are not. Builds no message, for arrays of many strings.
     */
    boolean skipStringIfPresent(int maxBytes) {
        if (end - pos < 8) {
            return false;
        }
        long len = seg.get(I64, pos);
        if (len < 0 || len > end - pos - 8 || len > maxBytes) {
            return false;
        }
        pos += 8 + len;
        return true;
    }

    /** A reusable strict UTF-8 decoder with its byte buffer. */
    static final class Decoder {
        private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        private byte[] buf = new byte[64];

        byte[] buffer(int n) {
            if (buf.length < n) {
                buf = new byte[Math.max(n, buf.length * 2)];
            }
            return buf;
        }

        String decode(byte[] b, int n) {
            boolean ascii = true;
            for (int i = 0; i < n; i++) {
                if (b[i] < 0) {
                    ascii = false;
                    break;
                }
            }
            if (ascii) {
                return new String(b, 0, n, StandardCharsets.ISO_8859_1);
            }
            try {
                CharBuffer cb = decoder.reset().decode(ByteBuffer.wrap(b, 0, n));
                return cb.toString();
            } catch (CharacterCodingException e) {
                return null;
            }
        }
    }

    /** The UTF-8 text of {@code len} bytes at {@code offset}, or null when they are not valid UTF-8. */
    static String utf8(MemorySegment seg, long offset, long len, Decoder decoder) {
        if (len > Integer.MAX_VALUE - 8) {
            return null;
        }
        int n = (int) len;
        byte[] b = decoder.buffer(n);
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, offset, b, 0, n);
        return decoder.decode(b, n);
    }
}
