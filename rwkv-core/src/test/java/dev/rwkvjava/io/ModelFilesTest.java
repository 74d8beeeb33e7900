package dev.rwkvjava.io;

import dev.rwkvjava.ModelFileException;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.state.State;
import dev.rwkvjava.testutil.Close;
import dev.rwkvjava.testutil.ModelFiles.Tensor;
import dev.rwkvjava.testutil.ReferenceCase;
import dev.rwkvjava.testutil.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Resolution of a weights file or model folder, and the format read from a file's first bytes. */
class ModelFilesTest {
    static final String TINY_V4 = "models/tiny-rwkv-4v0-660K.f32.safetensors";

    @TempDir
    Path dir;

    @Test
    void formatsAreToldByContentNotByName() throws IOException {
        assertThat(ModelFormat.detect(TestData.file(TINY_V4))).isEqualTo(ModelFormat.SAFETENSORS);
        assertThat(ModelFormat.detect(TestData.file("models/tiny-rwkv-7v0-834K.bf16.pth"))).isEqualTo(ModelFormat.PYTORCH);
        assertThat(ModelFormat.detect(TestData.file("models/gguf/tiny-rwkv-7v0-834K-F32.gguf"))).isEqualTo(ModelFormat.GGUF);
        assertThat(ModelFormat.detect(TestData.file("models/rwkv.cpp/tiny-rwkv-4v0-660K-FP32.bin"))).isEqualTo(ModelFormat.RWKV_CPP);
        assertThat(ModelFormat.detect(TestData.file("models/hf-rwkv4-tiny-660K-pickle/pytorch_model.bin")))
                .isEqualTo(ModelFormat.PYTORCH);
        // A GGUF file named .safetensors is still GGUF.
        Path renamed = Files.copy(TestData.file("models/gguf/tiny-rwkv-7v0-834K-F32.gguf"), dir.resolve("x.safetensors"));
        assertThat(ModelFormat.detect(renamed)).isEqualTo(ModelFormat.GGUF);
    }

    @Test
    void unreadableFormatsAreNamed() throws IOException {
        Path legacy = Files.write(dir.resolve("old.pth"), new byte[] {(byte) 0x80, 2, (byte) 0x8a, 10, 0, 0, 0, 0, 0, 0});
        assertThatThrownBy(() -> ModelFormat.detect(legacy)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("old.pth").hasMessageContaining("legacy (non-zip)");
        Path ggjt = Files.write(dir.resolve("old.bin"), new byte[] {'t', 'j', 'g', 'g', 1, 0, 0, 0, 0, 0, 0, 0});
        assertThatThrownBy(() -> ModelFormat.detect(ggjt)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("GGJT");
        Path text = Files.writeString(dir.resolve("notes.bin"), "hello, this is not a model at all");
        assertThatThrownBy(() -> ModelFormat.detect(text)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("notes.bin").hasMessageContaining("not a model file");
        Path tiny = Files.write(dir.resolve("tiny.safetensors"), new byte[3]);
        assertThatThrownBy(() -> ModelFormat.detect(tiny)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("too short");
    }

    @Test
    void aPipeIsRefusedWithoutBlocking() throws Exception {
        Path fifo = dir.resolve("weights.safetensors");
        Process p = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertThat(p.waitFor()).isZero();
        assertThatThrownBy(() -> ModelFiles.of(fifo)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("not a regular file");
    }

    @Test
    void aFolderPrefersSafetensorsAndListsAmbiguity() throws IOException {
        Path folder = Files.createDirectory(dir.resolve("m"));
        Files.copy(TestData.file("models/hf-rwkv4-tiny-660K-pickle/pytorch_model.bin"), folder.resolve("pytorch_model.bin"));
        assertThat(ModelFiles.of(folder).format()).isEqualTo(ModelFormat.PYTORCH);
        Files.copy(TestData.file(TINY_V4), folder.resolve("weights.safetensors"));
        assertThat(ModelFiles.of(folder).weights().getFileName().toString()).isEqualTo("weights.safetensors");
        Files.copy(TestData.file(TINY_V4), folder.resolve("other.safetensors"));
        assertThatThrownBy(() -> ModelFiles.of(folder)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("several weights files").hasMessageContaining("other.safetensors")
                .hasMessageContaining("weights.safetensors");
        Files.copy(TestData.file(TINY_V4), folder.resolve("model.safetensors"));
        assertThat(ModelFiles.of(folder).weights().getFileName().toString()).isEqualTo("model.safetensors");
        Path empty = Files.createDirectory(dir.resolve("empty"));
        assertThatThrownBy(() -> ModelFiles.of(empty)).hasMessageContaining("holds no weights file");
    }

    @Test
    void aShardedCheckpointIsOneModelAndMatchesTheReference() throws IOException {
        Path folder = Files.createDirectory(dir.resolve("sharded"));
        List<Tensor> all = dev.rwkvjava.testutil.ModelFiles.read(TestData.file(TINY_V4));
        List<Tensor> first = new ArrayList<>(all.subList(0, all.size() / 2));
        List<Tensor> second = new ArrayList<>(all.subList(all.size() / 2, all.size()));
        dev.rwkvjava.testutil.ModelFiles.write(folder.resolve("model-00001-of-00002.safetensors"), first);
        dev.rwkvjava.testutil.ModelFiles.write(folder.resolve("model-00002-of-00002.safetensors"), second);
        writeIndex(folder, first, second, "model-00002-of-00002.safetensors");
        ModelFiles files = ModelFiles.of(folder);
        assertThat(files.weightFiles()).hasSize(2);
        ReferenceCase ref = ReferenceCase.read(TestData.file("reference/tiny-rwkv-4v0-660K.f32/quote_in.safetensors"));
        try (RwkvModel m = RwkvModel.load(folder)) {
            State s = m.newState();
            for (int i = 0; i < ref.tokens().length; i++) {
                Close.assertClose("sharded logits row " + i, m.forward(ref.tokens()[i], s), ref.logits()[i], 1e-4);
            }
        }
    }

    @Test
    void aShardIndexThatLiesIsRefused() throws IOException {
        Path folder = Files.createDirectory(dir.resolve("sharded"));
        List<Tensor> all = dev.rwkvjava.testutil.ModelFiles.read(TestData.file(TINY_V4));
        List<Tensor> first = new ArrayList<>(all.subList(0, all.size() / 2));
        List<Tensor> second = new ArrayList<>(all.subList(all.size() / 2, all.size()));
        dev.rwkvjava.testutil.ModelFiles.write(folder.resolve("a.safetensors"), first);
        dev.rwkvjava.testutil.ModelFiles.write(folder.resolve("b.safetensors"), second);
        // Every tensor in its shard but the first, listed in the second shard.
        StringBuilder sb = new StringBuilder("{\"weight_map\": {");
        for (Tensor t : all) {
            boolean inB = second.contains(t) || t == first.get(0);
            sb.append(sb.length() > 16 ? ", " : "").append('"').append(t.name()).append("\": \"")
                    .append(inB ? "b" : "a").append(".safetensors\"");
        }
        Files.writeString(folder.resolve(ModelFiles.SHARD_INDEX), sb.append("}}").toString());
        assertThatThrownBy(() -> RwkvModel.load(folder)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining(first.get(0).name()).hasMessageContaining("the index places it in b.safetensors");
        Files.writeString(folder.resolve(ModelFiles.SHARD_INDEX), "{\"weight_map\": {\"emb.weight\": \"../x.safetensors\"}}");
        assertThatThrownBy(() -> ModelFiles.of(folder)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("not a .safetensors file name in the index's folder");
    }

    private static void writeIndex(Path folder, List<Tensor> first, List<Tensor> second, String secondShard)
            throws IOException {
        StringBuilder sb = new StringBuilder("{\"metadata\": {}, \"weight_map\": {");
        String sep = "";
        for (Tensor t : first) {
            sb.append(sep).append('"').append(t.name()).append("\": \"").append(shardName(folder, 1)).append('"');
            sep = ", ";
        }
        for (Tensor t : second) {
            sb.append(sep).append('"').append(t.name()).append("\": \"").append(secondShard).append('"');
        }
        Files.writeString(folder.resolve(ModelFiles.SHARD_INDEX), sb.append("}}").toString());
    }

    private static String shardName(Path folder, int i) throws IOException {
        try (var s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".safetensors")).sorted()
                    .toList().get(i - 1);
        }
    }
}
