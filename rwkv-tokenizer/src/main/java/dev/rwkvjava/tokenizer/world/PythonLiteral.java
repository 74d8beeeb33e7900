package dev.rwkvjava.tokenizer.world;

import dev.rwkvjava.tokenizer.Utf8;

/**
 * Decodes the {@code repr()} of a Python {@code str} or {@code bytes} value, as written in the RWKV World
 * vocabulary, into the token's bytes. Works directly on the file's UTF-8 bytes: characters that stand for
 * themselves are copied as they are, which is their UTF-8 encoding.
 */
final class PythonLiteral {
    private PythonLiteral() {
    }

    /** A literal that does not follow the format; the caller adds file and line. */
    static final class BadLiteral extends Exception {
        private static final long serialVersionUID = 1L;

        BadLiteral(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Decodes {@code src[from, to)}, a whole literal including its quotes and optional {@code b} prefix, into
     * {@code out} (which must hold at least {@code to - from} bytes: no escape is shorter than what it stands
     * for). Returns the number of bytes written.
     */
    static int decode(byte[] src, int from, int to, byte[] out) throws BadLiteral {
        boolean bytesLiteral = from < to && src[from] == 'b';
        int open = bytesLiteral ? from + 1 : from;
        if (to - open < 2) {
            throw new BadLiteral("literal is too short");
        }
        byte quote = src[open];
        if ((quote != '\'' && quote != '"') || src[to - 1] != quote) {
            throw new BadLiteral("literal must be a Python str ('...' or \"...\") or bytes (b'...') value");
        }
        int n = 0;
        int i = open + 1;
        int end = to - 1;
        while (i < end) {
            byte c = src[i];
            if (c == quote) {
                throw new BadLiteral("unescaped quote inside the literal at column " + (i - from + 1));
            }
            if (c != '\\') {
                if (bytesLiteral && (c < 0x20 || c > 0x7E)) {
                    throw new BadLiteral("bytes literal holds a character that is not printable ASCII (0x"
                            + hex2(c & 0xFF) + ")");
                }
                out[n++] = c;
                i++;
                continue;
            }
            if (i + 1 >= end) {
                throw new BadLiteral("literal ends with a lone backslash");
            }
            byte e = src[i + 1];
            switch (e) {
                case '\\', '\'', '"' -> {
                    out[n++] = e;
                    i += 2;
                }
                case 'n' -> {
                    out[n++] = '\n';
                    i += 2;
                }
                case 'r' -> {
                    out[n++] = '\r';
                    i += 2;
                }
                case 't' -> {
                    out[n++] = '\t';
                    i += 2;
                }
                case 'x' -> {
                    int v = hex(src, i + 2, 2, end);
                    if (bytesLiteral) {
                        out[n++] = (byte) v; // bytes literal: the raw byte
                    } else {
                        n = putUtf8(out, n, v); // str literal: the code point U+00HH
                    }
                    i += 4;
                }
                case 'u', 'U' -> {
                    if (bytesLiteral) {
                        throw new BadLiteral("\\" + (char) e + " escape is not allowed in a bytes literal");
                    }
                    int digits = e == 'u' ? 4 : 8;
                    int cp = hex(src, i + 2, digits, end);
                    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
                        throw new BadLiteral("escape \\" + (char) e + " names U+" + Integer.toHexString(cp).toUpperCase()
                                + ", which has no UTF-8 encoding");
                    }
                    n = putUtf8(out, n, cp);
                    i += 2 + digits;
                }
                default -> throw new BadLiteral("unsupported escape \\" + printable(e));
            }
        }
        if (!bytesLiteral && !Utf8.isValid(out, 0, n)) {
            throw new BadLiteral("str literal is not valid UTF-8");
        }
        return n;
    }

    private static int hex(byte[] src, int from, int digits, int end) throws BadLiteral {
        if (from + digits > end) {
            throw new BadLiteral("escape needs " + digits + " hex digits");
        }
        int v = 0;
        for (int k = 0; k < digits; k++) {
            int d = Character.digit(src[from + k], 16);
            if (d < 0) {
                throw new BadLiteral("escape needs " + digits + " hex digits, found '" + printable(src[from + k]) + "'");
            }
            v = (v << 4) | d;
        }
        return v;
    }

    /** Writes {@code cp} as UTF-8; the caller guarantees room (an escape is never shorter than its encoding). */
    private static int putUtf8(byte[] out, int n, int cp) {
        if (cp < 0x80) {
            out[n++] = (byte) cp;
        } else if (cp < 0x800) {
            out[n++] = (byte) (0xC0 | (cp >> 6));
            out[n++] = (byte) (0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out[n++] = (byte) (0xE0 | (cp >> 12));
            out[n++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
            out[n++] = (byte) (0x80 | (cp & 0x3F));
        } else {
            out[n++] = (byte) (0xF0 | (cp >> 18));
            out[n++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
            out[n++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
            out[n++] = (byte) (0x80 | (cp & 0x3F));
        }
        return n;
    }

    private static String printable(byte b) {
        return b >= 0x20 && b < 0x7F ? String.valueOf((char) b) : "0x" + hex2(b & 0xFF);
    }

    private static String hex2(int v) {
        return String.format("%02X", v);
    }
}
