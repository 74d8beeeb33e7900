package dev.rwkvjava.io.rwkvcpp;

import dev.rwkvjava.ModelFileException;
import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.testutil.TestData;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Seeded random mutations of the data set's rwkv.cpp files, parsed in memory: the reader either accepts the bytes
 * (with every tensor's range inside the file) or refuses them with a {@link ModelFileException}; nothing else
 * escapes, nothing hangs, nothing runs out of memory. Mutations aim at the file header and the tensor headers
 * (dimension counts, name lengths, types, dimensions), found from a clean parse, as well as at random bytes, and
 * include truncation.
 */
class RwkvCppFuzzTest {
    private static final long SEED = 0x666d_6767L;
    private static final int ITERATIONS_PER_FILE = 1000;
    private static final String[] FILES = {
        "models/rwkv.cpp/tiny-rwkv-7v0-834K-Q5_1.bin",
        "models/rwkv.cpp/tiny-rwkv-5v2-730K-FP32.bin",
        "models/rwkv.cpp/tiny-rwkv-4v0-660K-FP32.bin",
    };

    @Test
    void mutatedFilesAreReadOrRefusedWithModelFileException() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            int accepted = 0;
            int refused = 0;
            for (int fi = 0; fi < FILES.length; fi++) {
                Path path = TestData.file(FILES[fi]);
                byte[] bytes = Files.readAllBytes(path);
                byte[] original = bytes.clone();
                List<Integer> fields = new ArrayList<>(List.of(0, 4, 8, 12, 16, 20));
                try (RwkvCppFile clean = RwkvCppFile.of(path, MemorySegment.ofArray(bytes))) {
                    for (TensorInfo t : clean.tensors()) {
                        long h = t.begin() - t.name().getBytes(StandardCharsets.UTF_8).length - 4L * t.rank() - 12;
                        for (int i = 0; i < 3 + t.rank(); i++) {
                            fields.add((int) h + 4 * i);
                        }
                    }
                }
                Random rnd = new Random(SEED + fi);
                for (int it = 0; it < ITERATIONS_PER_FILE; it++) {
                    List<Integer> touched = new ArrayList<>();
                    StringBuilder what = new StringBuilder();
                    int length = mutate(bytes, fields, rnd, what, touched);
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
                    for (int at : touched) {
                        bytes[at] = original[at];
                    }
                }
            }
            assertThat(refused).isGreaterThan(ITERATIONS_PER_FILE);
            assertThat(accepted).isPositive();
        });
    }

    private static boolean parseAndUse(Path path, MemorySegment seg) {
        RwkvCppFile f;
        try {
            f = RwkvCppFile.of(path, seg);
        } catch (ModelFileException e) {
            assertThat(e.getMessage()).startsWith(path.toString());
            return false;
        }
        try (f) {
            f.dataType();
            for (TensorInfo t : f.tensors()) {
                MemorySegment d = f.data(t);
                if (d.byteSize() != t.dtype().byteSize(t.elementCount()) || t.end() > seg.byteSize()) {
                    throw new AssertionError("accepted tensor " + t + " has an inconsistent byte range");
                }
            }
        }
        return true;
    }

    private static int mutate(byte[] b, List<Integer> fields, Random rnd, StringBuilder what, List<Integer> touched) {
        int length = b.length;
        int n = 1 + rnd.nextInt(4);
        for (int i = 0; i < n; i++) {
            int kind = rnd.nextInt(100);
            if (kind < 65) {
                int at = fields.get(rnd.nextInt(fields.size()));
                int old = (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8 | (b[at + 2] & 0xFF) << 16 | (b[at + 3] & 0xFF) << 24;
                long v = switch (rnd.nextInt(10)) {
                    case 0 -> 0;
                    case 1 -> -1;
                    case 2 -> Integer.MAX_VALUE;
                    case 3 -> Integer.MIN_VALUE;
                    case 4 -> old + 1;
                    case 5 -> old - 1;
                    case 6 -> old * 2L;
                    case 7 -> rnd.nextInt(b.length);
                    default -> rnd.nextInt(20);
                };
                for (int k = 0; k < 4; k++) {
                    touched.add(at + k);
                    b[at + k] = (byte) (v >>> (8 * k));
                }
                what.append("field@").append(at).append('=').append(v).append(' ');
            } else if (kind < 80) {
                int at = fields.get(rnd.nextInt(fields.size())) + rnd.nextInt(4);
                touched.add(at);
                b[at] ^= (byte) (1 << rnd.nextInt(8));
                what.append("bit@").append(at).append(' ');
            } else if (kind < 95) {
                int at = rnd.nextInt(b.length);
                touched.add(at);
                b[at] = (byte) rnd.nextInt(256);
                what.append("byte@").append(at).append(' ');
            } else {
                length = rnd.nextInt(length + 1);
                what.append("cut@").append(length).append(' ');
            }
        }
        return length;
    }
}
