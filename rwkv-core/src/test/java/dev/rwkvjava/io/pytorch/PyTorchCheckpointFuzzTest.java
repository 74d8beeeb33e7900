package dev.rwkvjava.io.pytorch;

import dev.rwkvjava.ModelFileException;
import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.testutil.TestData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Random mutations of the two real checkpoints (seeded, so a failure repeats): each mutant is read or refused with a
 * {@link ModelFileException}; no other exception, no hang, no runaway allocation. Mutations aim at the structure
 * (the pickle, with its CRC-32 repaired so that the unpickler sees it; the local headers; the central directory and
 * end records; truncation) more than at the tensor data, which is most of the file.
 */
class PyTorchCheckpointFuzzTest {
    private static final int MUTANTS = 2000;

    /** Where the test files keep their structure (read with plain offsets: the originals are well-formed). */
    private record Layout(int cdOffset, int pklData, int pklSize, int pklCrcField, List<int[]> localHeaders) {
    }

    private static Layout layout(byte[] f) {
        ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
        int eocd = f.length - 22;
        assertThat(b.getInt(eocd)).isEqualTo(0x06054b50);
        int entries = Short.toUnsignedInt(b.getShort(eocd + 10));
        int cd = b.getInt(eocd + 16);
        int at = cd;
        int pklData = -1;
        int pklSize = -1;
        int pklCrc = -1;
        List<int[]> locals = new ArrayList<>();
        for (int i = 0; i < entries; i++) {
            int nameLen = Short.toUnsignedInt(b.getShort(at + 28));
            int skip = nameLen + Short.toUnsignedInt(b.getShort(at + 30)) + Short.toUnsignedInt(b.getShort(at + 32));
            String name = new String(f, at + 46, nameLen);
            int lho = b.getInt(at + 42);
            int data = lho + 30 + Short.toUnsignedInt(b.getShort(lho + 26)) + Short.toUnsignedInt(b.getShort(lho + 28));
            locals.add(new int[] {lho, data});
            if (name.endsWith("/data.pkl")) {
                pklData = data;
                pklSize = b.getInt(at + 24);
                pklCrc = at + 16;
            }
            at += 46 + skip;
        }
        return new Layout(cd, pklData, pklSize, pklCrc, locals);
    }

    private static final int[] OPCODES = {'(', '.', '0', '1', '2', 'G', 'J', 'K', 'M', 'N', 'Q', 'R', 'X', ']', 'a',
        'b', 'c', 'e', 'h', 'j', 'q', 'r', 's', 't', 'u', '}', ')', 'B', 'C', 0x80, 0x85, 0x86, 0x87, 0x88, 0x89,
        0x8a, 0x8c, 0x8d, 0x8e, 0x93, 0x94, 0x95, 0x81, 'i', 'd'};

    @ParameterizedTest
    @ValueSource(strings = {PyTorchCheckpointTest.BF16_PTH, PyTorchCheckpointTest.HF_BIN})
    void mutantsAreReadOrRefusedWithAModelFileException(String file) throws IOException {
        Path path = TestData.file(file);
        byte[] f = Files.readAllBytes(path);
        Layout l = layout(f);
        Random rnd = new Random(20261206L ^ file.hashCode());
        int[] outcome = new int[2];
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            for (int i = 0; i < MUTANTS; i++) {
                List<int[]> undo = new ArrayList<>();
                int kind = rnd.nextInt(10);
                int length = f.length;
                String what;
                switch (kind) {
                    case 0, 1, 2, 3 -> {
                        int n = 1 + rnd.nextInt(4);
                        for (int k = 0; k < n; k++) {
                            int at = l.pklData() + rnd.nextInt(l.pklSize());
                            int v = switch (rnd.nextInt(4)) {
                                case 0 -> rnd.nextInt(256);
                                case 1 -> OPCODES[rnd.nextInt(OPCODES.length)];
                                case 2 -> new int[] {0, 0xFF, 0x7F, 0x80, 1}[rnd.nextInt(5)];
                                default -> f[at] + (rnd.nextBoolean() ? 1 : -1);
                            };
                            set(f, at, v, undo);
                        }
                        fixPickleCrc(f, l, undo);
                        what = n + " pickle bytes";
                    }
                    case 4 -> {
                        int len = 1 + rnd.nextInt(32);
                        int from = l.pklData() + rnd.nextInt(l.pklSize() - len);
                        int to = l.pklData() + rnd.nextInt(l.pklSize() - len);
                        byte[] run = java.util.Arrays.copyOfRange(f, from, from + len);
                        for (int k = 0; k < len; k++) {
                            set(f, to + k, run[k], undo);
                        }
                        fixPickleCrc(f, l, undo);
                        what = "pickle splice of " + len;
                    }
                    case 5, 6 -> {
                        int n = 1 + rnd.nextInt(3);
                        for (int k = 0; k < n; k++) {
                            set(f, l.cdOffset() + rnd.nextInt(f.length - l.cdOffset()), rnd.nextInt(256), undo);
                        }
                        what = n + " directory bytes";
                    }
                    case 7 -> {
                        int[] h = l.localHeaders().get(rnd.nextInt(l.localHeaders().size()));
                        set(f, h[0] + rnd.nextInt(Math.min(30, h[1] - h[0])), rnd.nextInt(256), undo);
                        what = "a local header byte";
                    }
                    case 8 -> {
                        length = rnd.nextInt(f.length);
                        what = "truncation to " + length;
                    }
                    default -> {
                        set(f, rnd.nextInt(f.length), rnd.nextInt(256), undo);
                        what = "a byte anywhere";
                    }
                }
                try {
                    outcome[read(path, MemorySegment.ofArray(f).asSlice(0, length), i, what)]++;
                } finally {
                    for (int k = undo.size() - 1; k >= 0; k--) {
                        f[undo.get(k)[0]] = (byte) undo.get(k)[1];
                    }
                }
            }
        });
        assertThat(outcome[0] + outcome[1]).isEqualTo(MUTANTS);
        assertThat(outcome[0]).as("mutants read").isPositive();
        assertThat(outcome[1]).as("mutants refused").isGreaterThan(MUTANTS / 2);
        assertThat(f).isEqualTo(Files.readAllBytes(path));
    }

    /** 0 when the mutant opened (and its tensors could be viewed), 1 when refused; anything else fails the test. */
    private static int read(Path path, MemorySegment seg, int i, String what) {
        try (PyTorchCheckpoint c = PyTorchCheckpoint.parse(path, seg, null)) {
            for (TensorInfo t : c.tensors()) {
                MemorySegment d = c.data(t);
                if (d.byteSize() > 0) {
                    d.get(ValueLayout.JAVA_BYTE, 0);
                    d.get(ValueLayout.JAVA_BYTE, d.byteSize() - 1);
                }
            }
            c.metadata();
            try {
                c.verifyChecksums();
            } catch (ModelFileException e) {
                return 0;
            }
            return 0;
        } catch (ModelFileException e) {
            assertThat(e.getMessage()).startsWith(path.toString());
            return 1;
        } catch (Throwable t) {
            throw new AssertionError("mutant " + i + " (" + what + ") threw " + t, t);
        }
    }

    private static void set(byte[] f, int at, int v, List<int[]> undo) {
        undo.add(new int[] {at, f[at]});
        f[at] = (byte) v;
    }

    private static void fixPickleCrc(byte[] f, Layout l, List<int[]> undo) {
        CRC32 crc = new CRC32();
        crc.update(f, l.pklData(), l.pklSize());
        long v = crc.getValue();
        for (int k = 0; k < 4; k++) {
            set(f, l.pklCrcField() + k, (int) (v >>> (8 * k)) & 0xFF, undo);
        }
    }
}
