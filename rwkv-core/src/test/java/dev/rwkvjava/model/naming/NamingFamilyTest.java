package dev.rwkvjava.model.naming;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.hub.HubConfig;
import dev.rwkvjava.hub.internal.ModelResolver;
import dev.rwkvjava.hub.DownloadProgress;
import dev.rwkvjava.ModelFileException;
import dev.rwkvjava.testutil.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Naming families and the configuration read beside the weights. */
class NamingFamilyTest {
    static final String TINY_V7 = "models/tiny-rwkv-7v0-834K.f32.safetensors";

    @TempDir
    Path dir;

    @Test
    void flaFolderIsRecognisedAndItsLowRankFactorsAreUsedInPlace() {
        try (RwkvModel m = RwkvModel.load(TestData.file("models/fla-rwkv7-tiny-834K"))) {
            assertThat(m.info().naming()).isEqualTo("fla");
            assertThat(m.info().format()).isEqualTo("safetensors");
            assertThat(m.info().version().label()).isEqualTo("7");
            // Layer 0 has no v-LoRA in fla's layout; every other BlinkDL tensor is there.
            assertThat(dev.rwkvjava.internal.Internals.canonicalTensors(m)).extracting(CanonicalTensor::name)
                    .contains("blocks.0.att.w1", "blocks.1.att.v2", "blocks.0.ln0.weight", "head.weight")
                    .doesNotContain("blocks.0.att.v1");
            CanonicalTensor w1 = dev.rwkvjava.internal.Internals.canonicalTensors(m).stream().filter(t -> t.name().equals("blocks.3.att.w1"))
                    .findFirst().orElseThrow();
            assertThat(w1.layout()).isEqualTo(Layout.TRANSPOSED);
            assertThat(w1.stored().name()).isEqualTo("model.layers.3.attn.w_lora.lora.0.weight");
            assertThat(w1.shape()).containsExactly(w1.stored().dim(1), w1.stored().dim(0));
        }
    }

    @Test
    void sameWeightsUnderEveryNamingHaveOneFingerprint() {
        try (RwkvModel blink = RwkvModel.load(TestData.file(TINY_V7));
             RwkvModel fla = RwkvModel.load(TestData.file("models/fla-rwkv7-tiny-834K"))) {
            // The BlinkDL file keeps layer 0's unused v0/v1/v2; the fingerprint covers the tensors both have.
            var names = dev.rwkvjava.internal.Internals.canonicalTensors(fla).stream().map(CanonicalTensor::name).toList();
            assertThat(dev.rwkvjava.internal.Internals.canonicalTensors(blink).stream().map(CanonicalTensor::name).filter(n -> !names.contains(n)))
                    .allMatch(n -> n.startsWith("blocks.0.att.v"));
        }
    }

    @Test
    void anUnrelatedConfigBesideAFileIsIgnored() throws IOException {
        Path m = Files.copy(TestData.file(TINY_V7), dir.resolve("model.safetensors"));
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"llama\", \"layer_norm_epsilon\": -3}");
        try (RwkvModel model = RwkvModel.load(m)) {
            assertThat(model.info().nLayer()).isEqualTo(12);
        }
        Files.writeString(dir.resolve("config.json"), "this is not JSON");
        try (RwkvModel model = RwkvModel.load(m)) {
            assertThat(model.info().nLayer()).isEqualTo(12);
        }
    }

    @Test
    void anAbsurdEpsilonIsRefusedByName() throws IOException {
        Path m = Files.copy(TestData.file(TINY_V7), dir.resolve("model.safetensors"));
        for (String eps : new String[] {"-1e-5", "0", "5", "\"NaN\""}) {
            Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"rwkv7\", \"norm_eps\": " + eps + "}");
            assertThatThrownBy(() -> RwkvModel.load(dir)).isInstanceOf(ModelFileException.class)
                    .hasMessageContaining("config.json").hasMessageContaining("norm_eps")
                    .hasMessageContaining("positive number below 0.1");
        }
    }

    @Test
    void aMissingPathShapedLikeAFileIsNotSentToTheHub() {
        for (String spec : new String[] {"models/my-model.safetensors", "./rwkv/model", "a/b/c", "/x/y"}) {
            assertThatThrownBy(() -> ModelResolver.resolve(spec, HubConfig.fromEnvironment().withOffline(false),
                    DownloadProgress.none())).isInstanceOf(ModelFileException.class)
                    .hasMessageContaining("no such file or directory");
        }
    }
}
