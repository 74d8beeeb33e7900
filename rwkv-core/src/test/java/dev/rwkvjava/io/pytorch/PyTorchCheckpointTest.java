package dev.rwkvjava.io.pytorch;

import dev.rwkvjava.LoadMode;
import dev.rwkvjava.ModelFileException;
import dev.rwkvjava.io.SafetensorsFile;
import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.testutil.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static dev.rwkvjava.io.pytorch.Checkpoints.floats;
import static dev.rwkvjava.io.pytorch.Checkpoints.iota;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PyTorchCheckpointTest {
    @TempDir
    Path dir;

    static final String BF16_PTH = "models/tiny-rwkv-7v0-834K.bf16.pth";
    static final String HF_BIN = "models/hf-rwkv4-tiny-660K-pickle/pytorch_model.bin";

    private static byte[] bytes(MemorySegment s) {
        return s.toArray(ValueLayout.JAVA_BYTE);
    }

    @ParameterizedTest
    @EnumSource(LoadMode.class)
    void blinkDlPthHoldsTheSafetensorsWeightsBitForBit(LoadMode mode) {
        try (PyTorchCheckpoint pth = PyTorchCheckpoint.open(TestData.file(BF16_PTH), mode);
             SafetensorsFile ref = SafetensorsFile.open(TestData.file("models/tiny-rwkv-7v0-834K.bf16.safetensors"))) {
            assertThat(pth.tensors()).extracting(TensorInfo::name)
                    .containsExactlyElementsOf(ref.tensors().stream().map(TensorInfo::name).toList());
            for (TensorInfo r : ref.tensors()) {
                TensorInfo t = pth.find(r.name());
                assertThat(t.dtype()).as(r.name()).isEqualTo(DType.BF16).isEqualTo(r.dtype());
                assertThat(t.shape()).as(r.name()).isEqualTo(r.shape());
                MemorySegment data = pth.data(t);
                assertThat(data.isReadOnly()).isTrue();
                assertThat(data.isMapped()).isEqualTo(mode == LoadMode.MAP);
                assertThat(t.begin() % 64).as("torch aligns storages to 64 bytes").isZero();
                if (mode == LoadMode.READ) {
                    assertThat(data.address() % 64).isZero();
                }
                assertThat(bytes(data)).as(r.name()).isEqualTo(bytes(ref.data(r)));
            }
            assertThat(pth.metadata()).containsEntry(PyTorchCheckpoint.META_ARCHIVE, "tiny-rwkv-7v0-834K.bf16")
                    .containsEntry(PyTorchCheckpoint.META_VERSION, "3")
                    .containsEntry(PyTorchCheckpoint.META_PICKLE_PROTOCOL, "2")
                    .doesNotContainKey(PyTorchCheckpoint.META_STATE_DICT_PATH);
            assertThat(pth.fileSize()).isEqualTo(1783667);
            pth.verifyChecksums();
        }
    }

    /** README section 9: the BlinkDL name of an RWKV-4 tensor as transformers names it. */
    static String huggingFaceName(String blink) {
        if (blink.equals("head.weight")) {
            return blink;
        }
        String s = blink.replaceFirst("^emb\\.", "embeddings.").replace(".ln0.", ".pre_ln.")
                .replace(".att.", ".attention.").replace(".ffn.", ".feed_forward.")
                .replaceFirst("time_mix_k$", "time_mix_key").replaceFirst("time_mix_v$", "time_mix_value")
                .replaceFirst("time_mix_r$", "time_mix_receptance");
        return "rwkv." + s;
    }

    @ParameterizedTest
    @EnumSource(LoadMode.class)
    void huggingFacePickleHoldsTheSafetensorsWeightsBitForBit(LoadMode mode) {
        try (PyTorchCheckpoint bin = PyTorchCheckpoint.open(TestData.file(HF_BIN), mode);
             SafetensorsFile ref = SafetensorsFile.open(TestData.file("models/tiny-rwkv-4v0-660K.f32.safetensors"))) {
            assertThat(bin.tensors()).hasSameSizeAs(ref.tensors());
            for (TensorInfo r : ref.tensors()) {
                String name = huggingFaceName(r.name());
                TensorInfo t = bin.find(name);
                assertThat(t).as(name).isNotNull();
                assertThat(t.dtype()).as(name).isEqualTo(DType.F32).isEqualTo(r.dtype());
                assertThat(t.shape()).as(name).isEqualTo(r.shape());
                assertThat(bytes(bin.data(t))).as(name).isEqualTo(bytes(ref.data(r)));
            }
            assertThat(bin.find("rwkv.blocks.0.attention.time_mix_key").shape()).containsExactly(1, 1, 128);
            assertThat(bin.metadata()).containsEntry(PyTorchCheckpoint.META_ARCHIVE, "pytorch_model")
                    .containsEntry(PyTorchCheckpoint.META_VERSION, "3");
            bin.verifyChecksums();
        }
    }

    @Test
    void aCorruptStorageIsFoundByVerifyChecksumsNotByOpening() throws IOException {
        byte[] b = Files.readAllBytes(TestData.file(BF16_PTH));
        long at;
        try (PyTorchCheckpoint pth = PyTorchCheckpoint.open(TestData.file(BF16_PTH))) {
            at = pth.find("blocks.1.att.key.weight").begin() + 10;
        }
        b[(int) at] ^= 0x40;
        Path p = Checkpoints.write(dir, "corrupt.pth", b);
        try (PyTorchCheckpoint pth = PyTorchCheckpoint.open(p)) {
            assertThatThrownBy(pth::verifyChecksums).isInstanceOf(ModelFileException.class)
                    .hasMessageContaining("corrupt.pth").hasMessageContaining("CRC-32")
                    .hasMessageContaining("tiny-rwkv-7v0-834K.bf16/data/");
        }
    }

    @Test
    void dataRefusesATensorOfAnotherStore() {
        try (PyTorchCheckpoint a = PyTorchCheckpoint.open(TestData.file(BF16_PTH));
             PyTorchCheckpoint b = PyTorchCheckpoint.open(TestData.file(HF_BIN))) {
            TensorInfo foreign = b.tensors().iterator().next();
            assertThatThrownBy(() -> a.data(foreign)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    // ---- archives built here: what real checkpoints contain beyond the two test files

    private PyTorchCheckpoint open(byte[] pickle, Map<String, byte[]> storages, boolean zip64) {
        Path p = Checkpoints.write(dir, "m.pth", Checkpoints.archive(pickle, storages, zip64).bytes());
        return PyTorchCheckpoint.open(p);
    }

    private static float[] floatsOf(MemorySegment s) {
        return s.toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void tensorsSharingAStorageAtOffsetsAreViewsOfIt(boolean zip64) {
        // One storage of 12 floats; "whole" is all of it as [3, 4], "row" row 1, "tail" the last 2 elements.
        PickleBuilder p = new PickleBuilder().proto(2).orderedDict().mark()
                .str("whole").tensor("FloatStorage", "0", 12, 0, new long[] {3, 4}, new long[] {4, 1})
                .str("row").tensor("FloatStorage", "0", 12, 4, new long[] {4}, new long[] {1})
                .str("tail").tensor("FloatStorage", "0", 12, 10, new long[] {1, 2}, new long[] {7, 1})
                .str("scalar").tensor("FloatStorage", "0", 12, 11, new long[] {}, new long[] {})
                .str("empty").tensor("FloatStorage", "0", 12, 12, new long[] {0, 5}, new long[] {5, 1})
                .setitems().stop();
        try (PyTorchCheckpoint c = open(p.bytes(), Map.of("0", iota(12)), zip64)) {
            assertThat(c.tensors()).extracting(TensorInfo::name).containsExactly("whole", "row", "tail", "scalar", "empty");
            assertThat(floatsOf(c.data(c.find("whole")))).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
            assertThat(floatsOf(c.data(c.find("row")))).containsExactly(4, 5, 6, 7);
            assertThat(floatsOf(c.data(c.find("tail")))).containsExactly(10, 11);
            assertThat(c.find("tail").shape()).containsExactly(1, 2);
            assertThat(floatsOf(c.data(c.find("scalar")))).containsExactly(11);
            assertThat(c.find("scalar").rank()).isZero();
            assertThat(c.data(c.find("empty")).byteSize()).isZero();
            assertThat(c.metadata()).containsEntry(PyTorchCheckpoint.META_ARCHIVE, "archive")
                    .containsEntry(PyTorchCheckpoint.META_BYTEORDER, "little");
        }
    }

    @Test
    void everyStorageTypeTorchWritesForRealNumbersAndIntegers() {
        Object[][] types = {{"FloatStorage", DType.F32}, {"HalfStorage", DType.F16}, {"BFloat16Storage", DType.BF16},
            {"DoubleStorage", DType.F64}, {"LongStorage", DType.I64}, {"IntStorage", DType.I32},
            {"ShortStorage", DType.I16}, {"CharStorage", DType.I8}, {"ByteStorage", DType.U8}, {"BoolStorage", DType.BOOL}};
        PickleBuilder p = new PickleBuilder().proto(2).emptyDict().mark();
        Map<String, byte[]> storages = new LinkedHashMap<>();
        for (int i = 0; i < types.length; i++) {
            DType t = (DType) types[i][1];
            p.str("t" + i).tensor((String) types[i][0], Integer.toString(i), 3);
            storages.put(Integer.toString(i), new byte[3 * t.bytes()]);
        }
        p.setitems().stop();
        try (PyTorchCheckpoint c = open(p.bytes(), storages, false)) {
            for (int i = 0; i < types.length; i++) {
                TensorInfo t = c.find("t" + i);
                assertThat(t.dtype()).isEqualTo(types[i][1]);
                assertThat(t.byteSize()).isEqualTo(3L * t.dtype().bytes());
            }
        }
    }

    @Test
    void parametersStateDictMetadataAndTheMemoAsTorchWritesThem() {
        // {'w': Parameter(tensor)}, the OrderedDict carrying _metadata through BUILD, and a tensor reused via BINGET.
        PickleBuilder p = new PickleBuilder().proto(2).orderedDict().binput(0).mark()
                .str("w").global("torch._utils", "_rebuild_parameter").mark()
                .tensor("FloatStorage", "0", 2).binput(1).op(0x88).orderedDict().tuple().reduce()
                .str("tied").binget(1)
                .setitems()
                .emptyDict().str("_metadata").orderedDict().mark().str("").emptyDict().str("version").integer(1)
                .setitem().setitems().setitem().build().stop();
        try (PyTorchCheckpoint c = open(p.bytes(), Map.of("0", floats(1.5f, -2)), false)) {
            assertThat(c.tensors()).extracting(TensorInfo::name).containsExactly("w", "tied");
            assertThat(floatsOf(c.data(c.find("w")))).containsExactly(1.5f, -2);
            assertThat(c.find("tied").begin()).isEqualTo(c.find("w").begin());
        }
    }

    @Test
    void protocolFourWithFramesShortStringsStackGlobalsAndMemoize() {
        PickleBuilder inner = new PickleBuilder().stackGlobal("collections", "OrderedDict").op(0x94).emptyTuple()
                .reduce().op(0x94).mark().shortStr("a").op(0x94)
                .stackGlobal("torch._utils", "_rebuild_tensor_v2").op(0x94).mark()
                .mark().shortStr("storage").stackGlobal("torch", "HalfStorage").shortStr("0").shortStr("cpu")
                .integer(4).tuple().op('Q').integer(0).ints(2, 2).ints(2, 1).op(0x89)
                .stackGlobal("collections", "OrderedDict").emptyTuple().reduce().tuple().reduce()
                .setitems().stop();
        byte[] body = inner.bytes();
        PickleBuilder p = new PickleBuilder().proto(4).op(0x95).le(body.length, 8).raw(body);
        try (PyTorchCheckpoint c = open(p.bytes(), Map.of("0", new byte[8]), false)) {
            assertThat(c.find("a").dtype()).isEqualTo(DType.F16);
            assertThat(c.find("a").shape()).containsExactly(2, 2);
            assertThat(c.metadata()).containsEntry(PyTorchCheckpoint.META_PICKLE_PROTOCOL, "4");
        }
    }

    @Test
    void aNestedStateDictIsFoundUnderItsWrapperKey() {
        // {'epoch': 3, 'optimizer': {...}, 'state_dict': {'emb.weight': t}}
        PickleBuilder p = new PickleBuilder().proto(2).emptyDict().mark()
                .str("epoch").integer(3)
                .str("optimizer").emptyDict().str("lr").op('G').raw(new byte[] {0x3f, 0x50, 0x62, 0x4d, (byte) 0xd2, (byte) 0xf1, (byte) 0xa9, (byte) 0xfc}).setitem()
                .str("state_dict").emptyDict().mark().str("emb.weight").tensor("FloatStorage", "0", 2).setitems()
                .setitems().stop();
        try (PyTorchCheckpoint c = open(p.bytes(), Map.of("0", floats(1, 2)), false)) {
            assertThat(c.tensors()).extracting(TensorInfo::name).containsExactly("emb.weight");
            assertThat(c.metadata()).containsEntry(PyTorchCheckpoint.META_STATE_DICT_PATH, "state_dict");
        }
    }

    @Test
    void tensorsInNestedDictsAndListsAreNamedByTheirDottedPath() {
        // {'emb': {'weight': t0}, 'blocks': [{'w': t1}], 'n': None} with the list also appended into itself.
        PickleBuilder p = new PickleBuilder().proto(2).emptyDict().mark()
                .str("emb").emptyDict().str("weight").tensor("FloatStorage", "0", 1).setitem()
                .str("blocks").emptyList().binput(7).emptyDict().str("w").tensor("FloatStorage", "1", 1).setitem()
                .append().binget(7).append()
                .str("n").op('N')
                .setitems().stop();
        try (PyTorchCheckpoint c = open(p.bytes(), Map.of("0", floats(1), "1", floats(2)), false)) {
            assertThat(c.tensors()).extracting(TensorInfo::name).containsExactly("emb.weight", "blocks.0.w");
            assertThat(floatsOf(c.data(c.find("blocks.0.w")))).containsExactly(2);
        }
    }

    @Test
    void anArchiveWrittenByJavasZipOutputStreamIsReadToo() throws IOException {
        byte[] pickle = new PickleBuilder().proto(2).emptyDict().str("x").tensor("FloatStorage", "0", 3).setitem()
                .stop().bytes();
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bos)) {
            for (var e : List.of(Map.entry("m/data.pkl", pickle), Map.entry("m/data/0", floats(7, 8, 9)),
                    Map.entry("m/version", "3".getBytes()))) {
                ZipEntry ze = new ZipEntry(e.getKey());
                ze.setMethod(ZipEntry.STORED);
                ze.setSize(e.getValue().length);
                CRC32 crc = new CRC32();
                crc.update(e.getValue());
                ze.setCrc(crc.getValue());
                z.putNextEntry(ze);
                z.write(e.getValue());
                z.closeEntry();
            }
        }
        Path p = Checkpoints.write(dir, "java.pth", bos.toByteArray());
        try (PyTorchCheckpoint c = PyTorchCheckpoint.open(p, LoadMode.READ)) {
            assertThat(floatsOf(c.data(c.find("x")))).containsExactly(7, 8, 9);
            assertThat(c.metadata()).containsEntry(PyTorchCheckpoint.META_ARCHIVE, "m");
        }
    }
}
