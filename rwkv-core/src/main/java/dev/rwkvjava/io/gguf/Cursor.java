package dev.rwkvjava.io.gguf;

import dev.rwkvjava.ModelFileException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
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
        String s = utf8(seg, pos, len);
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

    /** The UTF-8 text of {@code len} bytes at {@code offset}, or null when they are not valid UTF-8. */
    static String utf8(MemorySegment seg, long offset, long len) {
        if (len > Integer.MAX_VALUE - 8) {
            return null;
        }
        byte[] b = new byte[(int) len];
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, offset, b, 0, b.length);
        return utf8(b, 0, b.length);
    }

    /** The UTF-8 text of {@code b[off, off + len)}, or null when it is not valid UTF-8. */
    static String utf8(byte[] b, int off, int len) {
        return isUtf8(b, off, len) ? new String(b, off, len, StandardCharsets.UTF_8) : null;
    }

    /**
     * Whether the bytes are well-formed UTF-8 (Unicode's table 3-7: shortest forms only, no surrogates, nothing
     * above U+10FFFF), checked here because decoding would silently replace what is not.
     */
    static boolean isUtf8(byte[] b, int off, int len) {
        int i = off;
        int end = off + len;
        while (i < end) {
            int c = b[i] & 0xFF;
            if (c < 0x80) {
                i++;
                continue;
            }
            int n;
            int lo = 0x80;
            int hi = 0xBF;
            if (c >= 0xC2 && c <= 0xDF) {
                n = 1;
            } else if (c >= 0xE0 && c <= 0xEF) {
                n = 2;
                if (c == 0xE0) {
                    lo = 0xA0;
                } else if (c == 0xED) {
                    hi = 0x9F;
                }
            } else if (c >= 0xF0 && c <= 0xF4) {
                n = 3;
                if (c == 0xF0) {
                    lo = 0x90;
                } else if (c == 0xF4) {
                    hi = 0x8F;
                }
            } else {
                return false;
            }
            if (end - i <= n) {
                return false;
            }
            int c1 = b[i + 1] & 0xFF;
            if (c1 < lo || c1 > hi) {
                return false;
            }
            for (int k = 2; k <= n; k++) {
                if ((b[i + k] & 0xC0) != 0x80) {
                    return false;
                }
            }
            i += n + 1;
        }
        return true;
    }
}
