package dev.rwkvjava.model;

import dev.rwkvjava.ModelFileException;
import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.convert.ModelConverter;
import dev.rwkvjava.io.ModelFiles;
import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.io.gguf.GgufFile;
import dev.rwkvjava.testutil.Close;
import dev.rwkvjava.testutil.ReferenceCase;
import dev.rwkvjava.testutil.TestData;
import dev.rwkvjava.tokenizer.Tokenizers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * RWKV-6 GGUF files as llama.cpp's converter writes real Finch models: {@code time_mix_output} and
 * {@code channel_mix_value} of layer i divided by 2^(i / n), {@code rwkv6.rescale_every_n_layers} = n. Built here
 * from the data's F32 file (12 layers, n = 3), they give the references of the original weights, and the very
 * logits of the undivided file.
 */
class RescaledGgufTest {
    private static final Pattern SCALED = Pattern.compile("blk\\.(\\d+)\\.(time_mix_output|channel_mix_value)\\.weight");
    private static final String KEY = "rwkv6.rescale_every_n_layers";

    @TempDir
    Path dir;

    @Test
    void rescaledFinchFileGivesTheReferencesOfItsWeights() throws IOException {
        Path file = rescaled(3, true);
        try (RwkvModel model = RwkvModel.load(file, RwkvModel.Options.defaults().withMaxChunk(16))) {
            for (String name : new String[] {"quote_in", "text64"}) {
                ReferenceCase ref = ReferenceCase.read(TestData.file("reference/tiny-rwkv-6v0-1m.f32/" + name + ".safetensors"));
                float[] all = ref.assertReproducedBy(model, ReferenceParityTest.LOGIT_TOL, ReferenceParityTest.STATE_TOL);
                try (RwkvModel original = RwkvModel.load(TestData.file("models/gguf/tiny-rwkv-6v0-1m-F32.gguf"),
                        RwkvModel.Options.defaults().withMaxChunk(16))) {
                    assertThat(all).as("the same bits as the undivided file")
                            .isEqualTo(original.forwardAll(ref.tokens(), original.newState()));
                }
            }
        }
    }

    @Test
    void convertWritesTheUndividedWeights() throws IOException {
        Path out = dir.resolve("undivided.safetensors");
        ModelConverter.convert(new ModelConverter.Request(ModelFiles.of(rescaled(3, true)), Tokenizers.bytes(), "m", out,
                ModelConverter.Target.SAFETENSORS, null, false), ModelConverter.Listener.none());
        ReferenceCase ref = ReferenceCase.read(TestData.file("reference/tiny-rwkv-6v0-1m.f32/text64.safetensors"));
        try (RwkvModel model = RwkvModel.load(out)) {
            float[] all = model.forwardAll(ref.tokens(), model.newState());
            int v = model.vocabSize();
            for (int i = 0; i < ref.positions().length; i++) {
                int pos = ref.positions()[i];
                Close.assertClose("converted row " + pos, Arrays.copyOfRange(all, pos * v, (pos + 1) * v),
                        ref.logits()[i], ReferenceParityTest.LOGIT_TOL);
            }
        }
    }

    @Test
    void withoutTheKeyTheDividedWeightsGiveOtherLogits() throws IOException {
        // The same divided weights under rescale_every_n_layers = 0: the key is what makes them right.
        Path file = rescaled(3, false);
        ReferenceCase ref = ReferenceCase.read(TestData.file("reference/tiny-rwkv-6v0-1m.f32/quote_in.safetensors"));
        try (RwkvModel model = RwkvModel.load(file)) {
            float[] all = model.forwardAll(ref.tokens(), model.newState());
            int v = model.vocabSize();
            double worst = 0;
            for (int i = 0; i < ref.positions().length; i++) {
                int pos = ref.positions()[i];
                worst = Math.max(worst, Close.maxAbs(Arrays.copyOfRange(all, pos * v, (pos + 1) * v), ref.logits()[i]));
            }
            assertThat(worst).isGreaterThan(1e-2);
        }
    }

    @Test
    void aLayerCountThatIsNotOneIsRefusedByName() throws IOException {
        Path file = rescaled(3, true);
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(valueOffset(bytes) - 4, 5); // type 5: int32
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(valueOffset(bytes), -2);
        Path bad = dir.resolve("negative.gguf");
        Files.write(bad, bytes);
        assertThatThrownBy(() -> RwkvModel.load(bad).close()).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("negative.gguf").hasMessageContaining(KEY + " is -2");
    }

    /** The data's F32 Finch file with its output weights divided as llama.cpp's converter divides them. */
    private Path rescaled(int every, boolean writeKey) throws IOException {
        Path src = TestData.file("models/gguf/tiny-rwkv-6v0-1m-F32.gguf");
        byte[] bytes = Files.readAllBytes(src);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int divided = 0;
        try (GgufFile gguf = GgufFile.open(src)) {
            for (TensorInfo t : gguf.tensors()) {
                Matcher m = SCALED.matcher(t.name());
                if (!m.matches()) {
                    continue;
                }
                float scale = 1f / (1 << (Integer.parseInt(m.group(1)) / every));
                for (long at = gguf.dataOffset() + t.begin(); at < gguf.dataOffset() + t.end(); at += 4) {
                    b.putFloat((int) at, b.getFloat((int) at) * scale);
                }
                divided++;
            }
        }
        assertThat(divided).isEqualTo(24);
        if (writeKey) {
            int at = valueOffset(bytes);
            assertThat(b.getInt(at - 4)).as("u32").isEqualTo(4);
            assertThat(b.getInt(at)).isZero();
            b.putInt(at, every);
        }
        Path out = dir.resolve("rescaled-" + every + "-" + writeKey + ".gguf");
        Files.write(out, bytes);
        return out;
    }

    /** Offset of the value of {@link #KEY}, after its type. */
    private static int valueOffset(byte[] bytes) {
        byte[] key = KEY.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i + key.length <= bytes.length; i++) {
            if (Arrays.equals(bytes, i, i + key.length, key, 0, key.length)) {
                return i + key.length + 4;
            }
        }
        throw new AssertionError(KEY + " not in the file");
    }
}
