package dev.rwkvjava.io.pytorch;

import dev.rwkvjava.ModelFileException;
import dev.rwkvjava.testutil.TestData;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.rwkvjava.io.pytorch.Checkpoints.floats;
import static dev.rwkvjava.io.pytorch.Checkpoints.iota;
import static dev.rwkvjava.io.pytorch.Checkpoints.putLe;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Hostile and broken files: each is refused with a message naming the file and the fault, and has no effect. */
class PyTorchCheckpointRefusalTest {
    @TempDir
    Path dir;

    private AbstractThrowableAssert<?, ? extends Throwable> refused(byte[] file) {
        Path p = Checkpoints.write(dir, "bad.pth", file);
        return assertThatThrownBy(() -> PyTorchCheckpoint.open(p).close()).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("bad.pth");
    }

    private AbstractThrowableAssert<?, ? extends Throwable> refusedPickle(byte[] pickle, Map<String, byte[]> storages) {
        return refused(Checkpoints.archive(pickle, storages, false).bytes());
    }

    private AbstractThrowableAssert<?, ? extends Throwable> refusedPickle(PickleBuilder pickle) {
        return refusedPickle(pickle.bytes(), Map.of("0", iota(4)));
    }

    /** A valid state dict {"a": [4] floats over storage "0"} (left open: the caller adds items and STOP). */
    private static PickleBuilder validStart() {
        return new PickleBuilder().proto(2).orderedDict().mark().str("a").tensor("FloatStorage", "0", 4);
    }

    private static TestZip.Built valid(boolean zip64) {
        return Checkpoints.archive(validStart().setitems().stop().bytes(), Map.of("0", iota(4)), zip64);
    }

    @Test
    void theValidBaselineOpens() {
        for (boolean zip64 : new boolean[] {false, true}) {
            Path p = Checkpoints.write(dir, "ok.pth", valid(zip64).bytes());
            try (PyTorchCheckpoint c = PyTorchCheckpoint.open(p)) {
                assertThat(c.find("a").shape()).containsExactly(4);
            }
        }
    }

    // ---- globals: refused by name, and nothing runs

    @ParameterizedTest
    @CsvSource({"os,system", "posix,system", "nt,system", "builtins,eval", "builtins,exec", "__builtin__,eval",
        "subprocess,Popen", "subprocess,check_output", "torch,load", "torch.serialization,load", "runpy,_run_code",
        "collections,defaultdict", "torch._utils,_rebuild_qtensor", "numpy.core.multiarray,_reconstruct"})
    void aForbiddenGlobalIsRefusedByNameAndNothingRuns(String module, String name) {
        Path marker = dir.resolve("pwned-" + module + "-" + name);
        PickleBuilder p = new PickleBuilder().proto(2).global(module, name).mark()
                .str("touch " + marker).tuple().reduce().stop();
        refusedPickle(p).hasMessageContaining("'" + module + "." + name + "'").hasMessageContaining("not allowed");
        assertThat(marker).doesNotExist();
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aForbiddenGlobalDeepInsideAValidStateDictIsRefused(boolean stackGlobal) {
        // {"a": tensor, "cfg": [[[ ... {"x": (os.system("touch marker"),)} ... ]]]} 40 lists deep.
        Path marker = dir.resolve("pwned-nested");
        PickleBuilder p = validStart().str("cfg");
        for (int i = 0; i < 40; i++) {
            p.emptyList();
        }
        p.emptyDict().str("x");
        if (stackGlobal) {
            p.stackGlobal("os", "system");
        } else {
            p.global("os", "system");
        }
        p.mark().str("touch " + marker).tuple().reduce().op(0x85).setitem();
        for (int i = 0; i < 40; i++) {
            p.append();
        }
        p.setitems().stop();
        refusedPickle(p).hasMessageContaining("'os.system'");
        assertThat(marker).doesNotExist();
    }

    @Test
    void aForbiddenGlobalIsRefusedEvenWhenNeverCalled() {
        refusedPickle(new PickleBuilder().proto(2).global("os", "system").op('0').emptyDict().stop())
                .hasMessageContaining("'os.system'");
    }

    @Test
    void anAllowedGlobalUsedForSomethingElseIsRefused() {
        refusedPickle(new PickleBuilder().proto(2).global("torch", "FloatStorage").emptyTuple().reduce().stop())
                .hasMessageContaining("torch.FloatStorage").hasMessageContaining("REDUCE");
        refusedPickle(new PickleBuilder().proto(2).emptyDict().emptyDict().build().stop())
                .hasMessageContaining("BUILD on a dict");
        refusedPickle(new PickleBuilder().proto(2).mark().str("x").tuple().op('Q').stop())
                .hasMessageContaining("not a storage reference");
        refusedPickle(new PickleBuilder().proto(2).global("collections", "OrderedDict").mark().emptyList().tuple()
                .reduce().stop()).hasMessageContaining("collections.OrderedDict takes 0 arguments");
    }

    // ---- the zip container

    @Test
    void legacyAndNonZipFilesAreRefusedSayingWhatTheyAre() {
        byte[] legacy = {(byte) 0x80, 2, (byte) 0x8a, 10, 0x6c, (byte) 0xfc, (byte) 0x9c, 0x46, (byte) 0xf9, 0x20,
            0x6a, (byte) 0xa8, 0x50, 0x19, 0x2e};
        refused(legacy).hasMessageContaining("legacy torch.save file").hasMessageContaining("before PyTorch 1.6");
        byte[] tar = new byte[1024];
        System.arraycopy("ustar".getBytes(StandardCharsets.US_ASCII), 0, tar, 257, 5);
        refused(tar).hasMessageContaining("legacy tar-format");
        refused(new byte[0]).hasMessageContaining("empty");
        refused("{\"a\": 1}".getBytes(StandardCharsets.US_ASCII)).hasMessageContaining("not a PyTorch checkpoint");
    }

    @Test
    void truncatedArchivesAreRefused() throws IOException {
        byte[] real = Files.readAllBytes(TestData.file(PyTorchCheckpointTest.HF_BIN));
        byte[] small = valid(true).bytes();
        for (byte[] whole : List.of(real, small)) {
            for (int len : new int[] {2, 30, whole.length / 2, whole.length - 200, whole.length - 23,
                whole.length - 1}) {
                refused(Arrays.copyOf(whole, len)).hasMessageMatching("(?s).*(truncated|too short).*");
            }
        }
    }

    @Test
    void anEntryPointingOutsideTheFileIsRefused() {
        TestZip.Built z = valid(false);
        byte[] b = z.bytes().clone();
        putLe(b, z.central().get("archive/data/0") + 42, 0x7FFFFFF0L, 4);
        refused(b).hasMessageContaining("'archive/data/0' points to offset 2147483632");

        TestZip.Built z64 = valid(true);
        b = z64.bytes().clone();
        int extra = z64.central().get("archive/data/0") + 46 + "archive/data/0".length();
        putLe(b, extra + 4 + 16, Long.MAX_VALUE - 5, 8);
        refused(b).hasMessageContaining("'archive/data/0' points to offset " + (Long.MAX_VALUE - 5));
        b = z64.bytes().clone();
        putLe(b, extra + 4 + 16, -1L, 8);
        refused(b).hasMessageContaining("out of range");
    }

    @Test
    void anEntryWhoseDataRunsPastTheArchiveIsRefused() {
        TestZip.Built z = valid(false);
        byte[] b = z.bytes().clone();
        int cd = z.central().get("archive/data/0");
        putLe(b, cd + 20, 1 << 20, 4);
        putLe(b, cd + 24, 1 << 20, 4);
        refused(b).hasMessageContaining("'archive/data/0' (1048576 bytes").hasMessageContaining("runs into");

        TestZip.Built z64 = valid(true);
        b = z64.bytes().clone();
        int extra = z64.central().get("archive/data/0") + 46 + "archive/data/0".length();
        putLe(b, extra + 4, Long.MAX_VALUE, 8);
        putLe(b, extra + 12, Long.MAX_VALUE, 8);
        refused(b).hasMessageContaining("'archive/data/0'").hasMessageContaining("runs into");
    }

    @Test
    void badLocalHeadersAreRefused() {
        TestZip.Built z = valid(false);
        int lh = z.local().get("archive/data/0");
        byte[] b = z.bytes().clone();
        putLe(b, lh + 28, 0xFFFF, 2);
        refused(b).hasMessageContaining("'archive/data/0'").hasMessageContaining("runs into the central directory");
        b = z.bytes().clone();
        b[lh + 30 + "archive/data/".length()] = '1';
        refused(b).hasMessageContaining("names another entry");
        b = z.bytes().clone();
        b[lh] = 'X';
        refused(b).hasMessageContaining("no local header");
        b = z.bytes().clone();
        putLe(b, lh + 8, 8, 2);
        refused(b).hasMessageContaining("compression method 8");
    }

    @Test
    void badEndRecordsAreRefused() {
        TestZip.Built z = valid(false);
        byte[] b = z.bytes().clone();
        putLe(b, z.eocd() + 10, 1000, 2);
        putLe(b, z.eocd() + 8, 1000, 2);
        refused(b).hasMessageContaining("claims 1000 entries");
        b = z.bytes().clone();
        putLe(b, z.eocd() + 16, z.eocd() - 10, 4);
        refused(b).hasMessageContaining("central directory");
        b = z.bytes().clone();
        putLe(b, z.eocd() + 4, 1, 2);
        refused(b).hasMessageContaining("multi-disk");
        b = z.bytes().clone();
        putLe(b, z.eocd() + 10, 0xFFFF, 2);
        refused(b).hasMessageContaining("no ZIP64 locator");

        TestZip.Built z64 = valid(true);
        b = z64.bytes().clone();
        putLe(b, z64.eocd() - 20 + 8, z64.eocd() + 4, 8);
        refused(b).hasMessageContaining("no ZIP64 end-of-central-directory record");
        b = z64.bytes().clone();
        putLe(b, z64.eocd() + 12, 12, 4);
        refused(b).hasMessageContaining("central directory size is 12");
    }

    @Test
    void compressedEntriesAreRefusedByName() {
        byte[] pickle = validStart().setitems().stop().bytes();
        List<TestZip.Item> items = List.of(TestZip.Item.stored("archive/data.pkl", pickle),
                new TestZip.Item("archive/data/0", iota(4), true));
        refused(TestZip.write(items, false, true).bytes()).hasMessageContaining("'archive/data/0' is compressed");
        items = List.of(new TestZip.Item("archive/data.pkl", pickle, true),
                TestZip.Item.stored("archive/data/0", iota(4)));
        refused(TestZip.write(items, false, false).bytes()).hasMessageContaining("'archive/data.pkl' is compressed");
    }

    @Test
    void archivesWithoutOneDataPklAreRefused() {
        refused(TestZip.write(List.of(TestZip.Item.stored("archive/data/0", iota(4)),
                TestZip.Item.stored("archive/version", "3".getBytes())), false, true).bytes())
                .hasMessageContaining("no '<folder>/data.pkl' entry");
        byte[] pickle = validStart().setitems().stop().bytes();
        refused(TestZip.write(List.of(TestZip.Item.stored("a/data.pkl", pickle),
                TestZip.Item.stored("b/data.pkl", pickle)), false, true).bytes()).hasMessageContaining("two checkpoints");
        refused(TestZip.write(List.of(TestZip.Item.stored("a/data.pkl", pickle),
                TestZip.Item.stored("a/data.pkl", pickle)), false, true).bytes())
                .hasMessageContaining("two entries named 'a/data.pkl'");
        refused(TestZip.write(List.of(TestZip.Item.stored("a/data.pkl", pickle),
                TestZip.Item.stored("a/constants.pkl", pickle)), false, true).bytes()).hasMessageContaining("TorchScript");
    }

    @Test
    void corruptRecordsAreRefused() {
        TestZip.Built z = valid(false);
        byte[] b = z.bytes().clone();
        b[z.data().get("archive/data.pkl") + 5] ^= 1;
        refused(b).hasMessageContaining("'archive/data.pkl' fails its CRC-32 check");
        byte[] pickle = validStart().setitems().stop().bytes();
        refused(TestZip.write(List.of(TestZip.Item.stored("archive/data.pkl", pickle),
                TestZip.Item.stored("archive/byteorder", "big".getBytes()),
                TestZip.Item.stored("archive/data/0", iota(4))), false, true).bytes())
                .hasMessageContaining("byte order 'big'");
        refused(TestZip.write(List.of(TestZip.Item.stored("archive/data.pkl", pickle),
                TestZip.Item.stored("archive/version", "three".getBytes()),
                TestZip.Item.stored("archive/data/0", iota(4))), false, true).bytes())
                .hasMessageContaining("version record 'three'");
        b = z.bytes().clone();
        putLe(b, z.central().get("archive/data/0") + 8, 0x801, 2);
        refused(b).hasMessageContaining("encrypted");
    }

    // ---- tensors against their storages

    @Test
    void aStorageTooShortForItsTensorIsRefusedNamingTheTensor() {
        PickleBuilder p = new PickleBuilder().proto(2).emptyDict().str("w")
                .tensor("FloatStorage", "0", 4, 0, new long[] {8}, new long[] {1}).setitem().stop();
        refusedPickle(p).hasMessageContaining("tensor 'w'").hasMessageContaining("lies outside storage '0' of 4 elements");
        p = new PickleBuilder().proto(2).emptyDict().str("w")
                .tensor("FloatStorage", "0", 4, 3, new long[] {2}, new long[] {1}).setitem().stop();
        refusedPickle(p).hasMessageContaining("tensor 'w'").hasMessageContaining("offset 3, 2 elements");
        p = new PickleBuilder().proto(2).emptyDict().str("w")
                .tensor("FloatStorage", "0", 4, Long.MAX_VALUE, new long[] {2}, new long[] {1}).setitem().stop();
        refusedPickle(p).hasMessageContaining("tensor 'w'").hasMessageContaining("lies outside");
        p = new PickleBuilder().proto(2).emptyDict().str("w")
                .tensor("FloatStorage", "0", 8, 0, new long[] {8}, new long[] {1}).setitem().stop();
        refusedPickle(p).hasMessageContaining("tensor 'w'")
                .hasMessageContaining("holds 16 bytes, but the pickle declares 8 elements of F32 (32 bytes)");
    }

    @Test
    void badShapesAndStridesAreRefusedNamingTheTensor() {
        PickleBuilder p = new PickleBuilder().proto(2).emptyDict().str("t")
                .tensor("FloatStorage", "0", 4, 0, new long[] {2, 2}, new long[] {1, 2}).setitem().stop();
        refusedPickle(p).hasMessageContaining("tensor 't'").hasMessageContaining("not row-major contiguous")
                .hasMessageContaining("stride [1, 2]");
        p = new PickleBuilder().proto(2).emptyDict().str("t")
                .tensor("FloatStorage", "0", 4, 0, new long[] {-1}, new long[] {1}).setitem().stop();
        refusedPickle(p).hasMessageContaining("tensor 't'").hasMessageContaining("negative dimension");
        p = new PickleBuilder().proto(2).emptyDict().str("t")
                .tensor("FloatStorage", "0", 4, 0, new long[] {1L << 62, 8}, new long[] {8, 1}).setitem().stop();
        refusedPickle(p).hasMessageContaining("tensor 't'").hasMessageContaining("overflows");
        p = new PickleBuilder().proto(2).emptyDict().str("t")
                .tensor("FloatStorage", "0", 4, 0, new long[] {4}, new long[] {1, 1}).setitem().stop();
        refusedPickle(p).hasMessageContaining("tensor 't'").hasMessageContaining("different ranks");
    }

    @Test
    void storageProblemsAreRefusedNamingTheTensor() {
        PickleBuilder p = new PickleBuilder().proto(2).emptyDict().str("m").tensor("FloatStorage", "5", 4)
                .setitem().stop();
        refusedPickle(p).hasMessageContaining("tensor 'm'").hasMessageContaining("no entry 'archive/data/5'");
        p = new PickleBuilder().proto(2).emptyDict().mark().str("a").tensor("FloatStorage", "0", 4)
                .str("b").tensor("IntStorage", "0", 4).setitems().stop();
        refusedPickle(p).hasMessageContaining("tensor 'b'").hasMessageContaining("torch.IntStorage here but 4 x torch.FloatStorage");
    }

    @ParameterizedTest
    @ValueSource(strings = {"ComplexFloatStorage", "UntypedStorage", "QInt8Storage", "Float8_e4m3fnStorage"})
    void anUnsupportedStorageTypeIsRefusedByName(String type) {
        refusedPickle(new PickleBuilder().proto(2).emptyDict().str("c").tensor(type, "0", 4).setitem().stop())
                .hasMessageContaining("storage type torch." + type + " is not supported");
    }

    @Test
    void structuresWithoutNamedTensorsAreRefused() {
        refusedPickle(new PickleBuilder().proto(2).emptyList().tensor("FloatStorage", "0", 4).append().stop())
                .hasMessageContaining("holds a list, not a dict");
        refusedPickle(new PickleBuilder().proto(2).emptyDict().mark().integer(1).integer(2).tuple()
                .tensor("FloatStorage", "0", 4).setitem().stop()).hasMessageContaining("neither a string nor an int");
        refusedPickle(new PickleBuilder().proto(2).emptyDict().mark().str("a.b").tensor("FloatStorage", "0", 4)
                .str("a").emptyDict().str("b").tensor("FloatStorage", "0", 4).setitem().setitems().stop())
                .hasMessageContaining("tensor 'a.b'").hasMessageContaining("two tensors");
        PickleBuilder deep = new PickleBuilder().proto(2).emptyDict().str("d");
        for (int i = 0; i < 100; i++) {
            deep.emptyList();
        }
        deep.tensor("FloatStorage", "0", 4);
        for (int i = 0; i < 100; i++) {
            deep.append();
        }
        refusedPickle(deep.setitem().stop()).hasMessageContaining("more than 64 levels");
    }

    // ---- the pickle machine

    @Test
    void unknownAndUnacceptedOpcodesAreRefused() {
        refusedPickle(new PickleBuilder().proto(2).op(0xff)).hasMessageContaining("unknown pickle opcode 0xff")
                .hasMessageContaining("byte 2");
        refusedPickle(new PickleBuilder().proto(2).global("collections", "OrderedDict").emptyTuple().op(0x81).stop())
                .hasMessageContaining("NEWOBJ (0x81) is not accepted");
        refusedPickle(new PickleBuilder().proto(2).op('i').raw("os\nsystem\n".getBytes()).stop())
                .hasMessageContaining("INST (0x69) is not accepted");
        refusedPickle(new PickleBuilder().proto(2).op(0x8f).stop()).hasMessageContaining("EMPTY_SET");
        refusedPickle(new PickleBuilder().proto(1).emptyDict().stop()).hasMessageContaining("protocol 1");
    }

    @Test
    void malformedPicklesAreRefused() {
        refusedPickle(new PickleBuilder().proto(2).emptyDict()).hasMessageContaining("ends without STOP");
        refusedPickle(new PickleBuilder().proto(2).emptyDict().stop().op('N')).hasMessageContaining("1 bytes follow STOP");
        refusedPickle(new PickleBuilder().proto(2).emptyDict().emptyDict().stop()).hasMessageContaining("STOP leaves 1");
        refusedPickle(new PickleBuilder().proto(2).stop()).hasMessageContaining("finds the stack empty");
        refusedPickle(new PickleBuilder().proto(2).mark().reduce().stop()).hasMessageContaining("finds the stack empty");
        refusedPickle(new PickleBuilder().proto(2).emptyDict().op('u').stop()).hasMessageContaining("no MARK");
        refusedPickle(new PickleBuilder().proto(2).binget(9).stop()).hasMessageContaining("memo entry 9");
        refusedPickle(new PickleBuilder().proto(2).op('X').le(100, 4).raw("abc".getBytes()))
                .hasMessageContaining("ends inside BINUNICODE");
        refusedPickle(new PickleBuilder().proto(2).op('X').le(0xFFFFFFFFL, 4)).hasMessageContaining("exceeds the limit");
        refusedPickle(new PickleBuilder().proto(2).op('X').le(2, 4).op(0xC3, 0x28).stop())
                .hasMessageContaining("not valid UTF-8");
        refusedPickle(new PickleBuilder().proto(2).op(0x8a, 9).le(1, 9).stop()).hasMessageContaining("64 bits");
        refusedPickle(new PickleBuilder().proto(2).emptyDict().emptyList().integer(1).setitem().stop())
                .hasMessageContaining("unhashable");
        refusedPickle(new PickleBuilder().proto(2).emptyList().emptyDict().integer(1).setitem().stop())
                .hasMessageContaining("not a dict");
        refusedPickle(new PickleBuilder().proto(2).op('c').raw("os system\n".getBytes()).stop())
                .hasMessageContaining("malformed module or name");
        refusedPickle(new PickleBuilder().proto(4).op(0x95).le(1000, 8).emptyDict().stop())
                .hasMessageContaining("FRAME of 1000 bytes");
    }

    @Test
    void thePickleMachineIsBounded() {
        PickleBuilder marks = new PickleBuilder().proto(2);
        for (int i = 0; i <= Unpickler.MAX_MARK_DEPTH; i++) {
            marks.mark();
        }
        refusedPickle(marks).hasMessageContaining("MARKs nest deeper than 4096");

        byte[] nones = new byte[Unpickler.MAX_STACK + 3];
        Arrays.fill(nones, (byte) 'N');
        nones[0] = (byte) 0x80;
        nones[1] = 2;
        refusedPickle(nones, Map.of()).hasMessageContaining("stack exceeds 1048576 entries");

        // DUP and POP pairs: no new objects and a shallow stack, but every push counts.
        byte[] dups = new byte[(int) (2 * Unpickler.MAX_VALUES + 4)];
        dups[0] = (byte) 0x80;
        dups[1] = 2;
        dups[2] = ']';
        for (int i = 3; i + 1 < dups.length; i += 2) {
            dups[i] = '2';
            dups[i + 1] = '0';
        }
        refusedPickle(dups, Map.of()).hasMessageContaining("pushes more than 4000000 values");

        PickleBuilder memo = new PickleBuilder().proto(2).op('N');
        for (int i = 0; i <= Unpickler.MAX_MEMO; i++) {
            memo.op('r').le(i, 4);
        }
        refusedPickle(memo).hasMessageContaining("memo index 1048576 exceeds the limit of 1048576 entries");
        refusedPickle(new PickleBuilder().proto(2).op('N').op('r').le(0xFFFFFFFFL, 4).stop())
                .hasMessageContaining("memo index 4294967295 exceeds");
    }

    @Test
    void cyclesAndSharedContainersEnd() {
        // {"a": tensor, "loop": L} where L = [L, L, {"self": L}]
        PickleBuilder p = validStart().str("loop").emptyList().binput(3).binget(3).append().binget(3).append()
                .emptyDict().str("self").binget(3).setitem().append().setitems().stop();
        Path f = Checkpoints.write(dir, "cycle.pth", Checkpoints.archive(p.bytes(), Map.of("0", iota(4)), false).bytes());
        try (PyTorchCheckpoint c = PyTorchCheckpoint.open(f)) {
            assertThat(c.tensors()).hasSize(1);
        }
    }

    @Test
    void unreferencedStoragesAndUnknownRecordsAreIgnored() {
        Map<String, byte[]> storages = new LinkedHashMap<>();
        storages.put("0", iota(4));
        storages.put("9", floats(1));
        List<TestZip.Item> items = new ArrayList<>(List.of(
                TestZip.Item.stored("archive/data.pkl", validStart().setitems().stop().bytes()),
                TestZip.Item.stored("archive/.format_version", "1".getBytes()),
                TestZip.Item.stored("archive/.storage_alignment", "64".getBytes()),
                TestZip.Item.stored("archive/data/0", iota(4)),
                TestZip.Item.stored("archive/data/9", floats(1)),
                new TestZip.Item("archive/extra.txt", new byte[100], true),
                TestZip.Item.stored("archive/.data/version", "3\n".getBytes())));
        Path f = Checkpoints.write(dir, "extra.pth", TestZip.write(items, false, true).bytes());
        try (PyTorchCheckpoint c = PyTorchCheckpoint.open(f)) {
            assertThat(c.tensors()).hasSize(1);
            assertThat(c.metadata()).containsEntry(PyTorchCheckpoint.META_VERSION, "3");
        }
    }
}
