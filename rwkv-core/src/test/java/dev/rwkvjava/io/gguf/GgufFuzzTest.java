package dev.rwkvjava.io.gguf;

import dev.rwkvjava.ModelFileException;
import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.testutil.TestData;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Seeded random mutations of the data set's GGUF files, parsed in memory: whatever the bytes, the reader either
 * accepts them (and every accessor then works or throws {@link ModelFileException}) or refuses them with a
 * {@link ModelFileException}; nothing else escapes, nothing hangs, nothing runs out of memory. Mutations aim at the
 * header's fields (lengths, counts, types, dimensions, offsets), found from a clean parse, as well as at random
 * bytes, and include truncation.
 */
class GgufFuzzTest {
    private static final long SEED = 0x6767_7566L;
    private static final int ITERATIONS_PER_FILE = 1000;
    private static final String[] FILES = {
        "models/gguf/tiny-rwkv-7v0-834K-Q8_0.gguf",
        "models/gguf/tiny-rwkv-7v0-834K-Q4_0.gguf",
        "models/gguf/tiny-rwkv-6v0-1m-F32.gguf",
    };

    /** A field of the header: where it starts and how many bytes it has. */
    private record Field(int at, int width) {
    }

    @Test
    void mutatedFilesAreReadOrRefusedWithModelFileException() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            int accepted = 0;
            int refused = 0;
            for (int fi = 0; fi < FILES.length; fi++) {
                Path path = TestData.file(FILES[fi]);
                byte[] bytes = Files.readAllBytes(path);
                List<Field> fields;
                int headerEnd;
                try (GgufFile clean = GgufFile.of(path, MemorySegment.ofArray(bytes))) {
                    fields = fields(bytes, clean);
                    headerEnd = (int) clean.dataOffset();
                }
                byte[] original = bytes.clone();
                Random rnd = new Random(SEED + fi);
                for (int it = 0; it < ITERATIONS_PER_FILE; it++) {
                    StringBuilder what = new StringBuilder();
                    List<Integer> dataBytes = new ArrayList<>();
                    int length = mutate(bytes, fields, headerEnd, rnd, what, dataBytes);
                    try {
                        if (parseAndUse(path, MemorySegment.ofArray(bytes).asSlice(0, length))) {
                            accepted++;
                        } else {
                            refused++;
                        }
                    } catch (Throwable t) {
                        throw new AssertionError(FILES[fi] + " iteration " + it + " (" + what + "): "
                                + t.getClass().getName() + " escaped", t);
                    }
                    System.arraycopy(original, 0, bytes, 0, headerEnd);
                    for (int at : dataBytes) {
                        bytes[at] = original[at];
                    }
                }
            }
            // Both outcomes occur: the mutations reach the checks, and not every one is fatal.
            assertThat(refused).isGreaterThan(ITERATIONS_PER_FILE);
            assertThat(accepted).isPositive();
        });
    }

    /** True when accepted; false when refused with a ModelFileException. */
    private static boolean parseAndUse(Path path, MemorySegment seg) {
        GgufFile f;
        try {
            f = GgufFile.of(path, seg);
        } catch (ModelFileException e) {
            assertThat(e.getMessage()).startsWith(path.toString());
            return false;
        }
        try (f) {
            for (String key : f.keys()) {
                quietly(() -> f.value(key));
                GgufValueType elem = f.elementType(key).orElse(null);
                if (elem == GgufValueType.STRING) {
                    quietly(() -> f.strings(key));
                } else if (elem == GgufValueType.FLOAT32) {
                    quietly(() -> f.floats(key));
                } else if (elem != null && elem.isInteger()) {
                    quietly(() -> f.ints(key));
                    quietly(() -> f.longs(key));
                }
            }
            quietly(f::architecture);
            assertThat(f.metadata()).hasSizeLessThanOrEqualTo(f.keys().size());
            for (TensorInfo t : f.tensors()) {
                MemorySegment d = f.data(t);
                if (d.byteSize() != t.dtype().byteSize(t.elementCount()) || f.dataOffset() + t.end() > seg.byteSize()) {
                    throw new AssertionError("accepted tensor " + t + " has an inconsistent byte range");
                }
            }
        }
        return true;
    }

    private static void quietly(Runnable r) {
        try {
            r.run();
        } catch (ModelFileException expected) {
            // A refusal is a valid outcome for a corrupted entry.
        }
    }

    /** Applies one to four mutations; returns the length of the file to parse (shorter when truncated). */
    private static int mutate(byte[] b, List<Field> fields, int headerEnd, Random rnd, StringBuilder what,
                              List<Integer> touched) {
        int length = b.length;
        int n = 1 + rnd.nextInt(4);
        for (int i = 0; i < n; i++) {
            int kind = rnd.nextInt(100);
            if (kind < 55) {
                Field f = fields.get(rnd.nextInt(fields.size()));
                long v = interesting(rnd, read(b, f), f.width, b.length);
                write(b, f, v);
                what.append("field@").append(f.at).append('=').append(v).append(' ');
            } else if (kind < 80) {
                int at = rnd.nextInt(headerEnd);
                b[at] = (byte) rnd.nextInt(256);
                what.append("byte@").append(at).append(' ');
            } else if (kind < 90) {
                int at = rnd.nextInt(headerEnd);
                b[at] ^= (byte) (1 << rnd.nextInt(8));
                what.append("bit@").append(at).append(' ');
            } else if (kind < 95) {
                int at = rnd.nextInt(b.length);
                touched.add(at);
                b[at] = (byte) rnd.nextInt(256);
                what.append("anybyte@").append(at).append(' ');
            } else {
                length = rnd.nextInt(length + 1);
                what.append("cut@").append(length).append(' ');
            }
        }
        return length;
    }

    private static long interesting(Random rnd, long original, int width, int fileSize) {
        return switch (rnd.nextInt(12)) {
            case 0 -> 0;
            case 1 -> 1;
            case 2 -> -1;
            case 3 -> width == 8 ? Long.MAX_VALUE : Integer.MAX_VALUE;
            case 4 -> width == 8 ? Long.MIN_VALUE : Integer.MIN_VALUE;
            case 5 -> width == 8 ? 1L << 32 : 1L << 16;
            case 6 -> width == 8 ? 1L << 62 : 1L << 30;
            case 7 -> original + 1;
            case 8 -> original - 1;
            case 9 -> original * 2;
            case 10 -> rnd.nextInt(fileSize * 2);
            default -> rnd.nextInt(40);
        };
    }

    private static long read(byte[] b, Field f) {
        long v = 0;
        for (int i = f.width - 1; i >= 0; i--) {
            v = (v << 8) | (b[f.at + i] & 0xFF);
        }
        return v;
    }

    private static void write(byte[] b, Field f, long v) {
        for (int i = 0; i < f.width; i++) {
            b[f.at + i] = (byte) (v >>> (8 * i));
        }
    }

    /** The header's numeric fields, located from the keys and tensor names of a clean parse. */
    private static List<Field> fields(byte[] b, GgufFile f) {
        List<Field> out = new ArrayList<>(List.of(new Field(4, 4), new Field(8, 8), new Field(16, 8)));
        int from = 24;
        for (String key : f.keys()) {
            int at = find(b, key, from);
            int end = at + 8 + key.getBytes(StandardCharsets.UTF_8).length;
            out.add(new Field(at, 8));
            out.add(new Field(end, 4));
            if (f.type(key).orElseThrow() == GgufValueType.ARRAY) {
                out.add(new Field(end + 4, 4));
                out.add(new Field(end + 8, 8));
                if (f.elementType(key).orElseThrow() == GgufValueType.STRING && f.arrayLength(key) > 0) {
                    out.add(new Field(end + 16, 8));
                }
            } else if (f.type(key).orElseThrow() == GgufValueType.STRING) {
                out.add(new Field(end + 4, 8));
            }
            from = end;
        }
        for (TensorInfo t : f.tensors()) {
            int at = find(b, t.name(), from);
            int p = at + 8 + t.name().getBytes(StandardCharsets.UTF_8).length;
            out.add(new Field(at, 8));
            out.add(new Field(p, 4));
            p += 4;
            for (int d = 0; d < t.rank(); d++, p += 8) {
                out.add(new Field(p, 8));
            }
            out.add(new Field(p, 4));
            out.add(new Field(p + 4, 8));
            from = p + 12;
        }
        return out;
    }

    /** Where the length-prefixed string s is, at or after from. */
    private static int find(byte[] b, String s, int from) {
        byte[] text = s.getBytes(StandardCharsets.UTF_8);
        byte[] pattern = new byte[8 + text.length];
        for (int i = 0; i < 8; i++) {
            pattern[i] = (byte) ((long) text.length >>> (8 * i));
        }
        System.arraycopy(text, 0, pattern, 8, text.length);
        outer:
        for (int i = from; i + pattern.length <= b.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (b[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("'" + s + "' not found after byte " + from + " " + Arrays.toString(pattern));
    }
}
