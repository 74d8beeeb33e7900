package dev.rwkvjava.convert;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.io.ModelFiles;
import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.io.rwkvcpp.RwkvCppFile;
import dev.rwkvjava.state.State;
import dev.rwkvjava.tensor.WeightReader;
import dev.rwkvjava.tensor.WeightType;
import dev.rwkvjava.testutil.Close;
import dev.rwkvjava.testutil.ReferenceCase;
import dev.rwkvjava.testutil.TestData;
import dev.rwkvjava.tokenizer.Tokenizers;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code convert --to rwkvcpp} writes what rwkv.cpp's own converter (and, for Q5_0/Q5_1, its quantize tool) wrote
 * for the data's tiny models (data README, section 4.3): the same header, tensor names, shapes, types and bytes.
 * The exceptions are the values rwkv.cpp stores transformed (RWKV-4's −exp(w), RWKV-5's exp(−exp(w)) and exp(u)):
 * the BlinkDL weights were recovered from them by inverting the transform, so applying it again gives them back up to
 * rounding (README, section 6), compared here at 1e-6 relative. The written files then match the references.
 */
class RwkvCppLayoutTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "tiny-rwkv-4v0-660K, f32, FP32",
            "tiny-rwkv-5v1-730K, f32, FP32",
            "tiny-rwkv-5v2-730K, f32, FP32",
            "tiny-rwkv-7v0-834K, f32, FP32",
            "tiny-rwkv-7v0-834K, f16, FP16",
            "tiny-rwkv-7v0-834K, q5_0, Q5_0",
            "tiny-rwkv-7v0-834K, q5_1, Q5_1",
    })
    void writesWhatRwkvCppWrites(String model, String type, String file) {
        Path out = dir.resolve("out.bin");
        ModelConverter.Result r = ModelConverter.convert(new ModelConverter.Request(
                ModelFiles.of(TestData.file("models/" + model + ".f32.safetensors")), Tokenizers.bytes(), model, out,
                ModelConverter.Target.RWKV_CPP, WeightType.named(type), false), ModelConverter.Listener.none());
        assertThat(r.layout()).isEqualTo("rwkv.cpp file version 101");

        try (RwkvCppFile ours = RwkvCppFile.open(out);
             RwkvCppFile theirs = RwkvCppFile.open(TestData.file("models/rwkv.cpp/" + model + "-" + file + ".bin"))) {
            assertThat(ours.metadata().get("n_vocab")).isEqualTo(theirs.metadata().get("n_vocab"));
            assertThat(ours.metadata().get("n_embed")).isEqualTo(theirs.metadata().get("n_embed"));
            assertThat(ours.metadata().get("n_layer")).isEqualTo(theirs.metadata().get("n_layer"));
            assertThat(ours.metadata().get("data_type")).isEqualTo(theirs.metadata().get("data_type"));
            Set<String> names = new TreeSet<>();
            ours.tensors().forEach(t -> names.add(t.name()));
            Set<String> expected = new TreeSet<>();
            theirs.tensors().forEach(t -> expected.add(t.name()));
            assertThat(names).isEqualTo(expected);
            for (TensorInfo e : theirs.tensors()) {
                TensorInfo a = ours.find(e.name());
                assertThat(a.shape()).as(e.name()).isEqualTo(e.shape());
                assertThat(a.dtype()).as(e.name()).isEqualTo(e.dtype());
                if (transformed(model, e.name())) {
                    float[] x = WeightReader.toFloatArray(ours.data(a), a.dtype());
                    float[] y = WeightReader.toFloatArray(theirs.data(e), e.dtype());
                    Close.assertClose(e.name(), x, y, 1e-6 * Math.max(1, Close.maxMagnitude(y)));
                } else {
                    assertThat(ours.data(a).mismatch(theirs.data(e))).as("first differing byte of " + e.name())
                            .isEqualTo(-1L);
                }
            }
        }

        String reference = type.equals("f32") ? "reference/" + model + ".f32"
                : "reference/rwkv.cpp/" + model + "-" + file;
        try (RwkvModel m = RwkvModel.load(out)) {
            ReferenceCase rc = ReferenceCase.read(TestData.file(reference + "/quote_in.safetensors"));
            State s = m.newState();
            for (int t = 0; t < rc.tokens().length; t++) {
                Close.assertClose("quote_in row " + t, m.forward(rc.tokens()[t], s), rc.logits()[t], 1e-4);
            }
        }
    }

    /** RWKV-6, of which the data has no rwkv.cpp file: written as rwkv.cpp lays it out, read back, referenced. */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "models/tiny-rwkv-6v0-1m.f32.safetensors, f32, reference/tiny-rwkv-6v0-1m.f32, 0",
            "models/random-v6-c128-h2-l3-v1000.f32.safetensors, f32, reference/random-v6-c128-h2-l3-v1000, 0",
            "models/random-v6-c128-h2-l3-v1000.f32.safetensors, f16, reference/random-v6-c128-h2-l3-v1000, 0.05",
            "models/random-v4-c128-l3-v1000.f32.safetensors, q8_0, reference/random-v4-c128-l3-v1000, 0.1",
    })
    void otherVersionsRoundTrip(String source, String type, String reference, double tolerance) {
        Path out = dir.resolve("out.bin");
        ModelConverter.convert(new ModelConverter.Request(ModelFiles.of(TestData.file(source)), null, "m", out,
                ModelConverter.Target.RWKV_CPP, WeightType.named(type), false), ModelConverter.Listener.none());
        String caseName = reference.contains("random") ? "rand8" : "quote_in";
        try (RwkvModel m = RwkvModel.load(out)) {
            assertThat(m.info().format()).isEqualTo("rwkv.cpp .bin");
            ReferenceCase rc = ReferenceCase.read(TestData.file(reference + "/" + caseName + ".safetensors"));
            State s = m.newState();
            for (int t = 0; t < rc.tokens().length; t++) {
                Close.assertClose(caseName + " row " + t, m.forward(rc.tokens()[t], s), rc.logits()[t],
                        Math.max(1e-4, tolerance * Close.maxMagnitude(rc.logits()[t])));
            }
        }
    }

    /** The tensors rwkv.cpp stores as a function of the BlinkDL values. */
    private static boolean transformed(String model, String name) {
        return (model.contains("-4v0-") || model.contains("-5v")) && (name.endsWith(".att.time_decay")
                || name.endsWith(".att.time_first"));
    }
}
