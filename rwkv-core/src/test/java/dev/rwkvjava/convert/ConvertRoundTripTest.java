package dev.rwkvjava.convert;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.io.ModelFiles;
import dev.rwkvjava.io.SafetensorsFile;
import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.state.State;
import dev.rwkvjava.tensor.WeightType;
import dev.rwkvjava.testutil.Close;
import dev.rwkvjava.testutil.ReferenceCase;
import dev.rwkvjava.testutil.TestData;
import dev.rwkvjava.tokenizer.Tokenizers;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Conversions checked against the data's references: every model file of the data (each format and naming family)
 * converted to safetensors gives the logits of its reference cases and the source's logits; GGUF and other
 * layouts of the BlinkDL weights convert back to those weights bit for bit; safetensors quantized to GGUF Q8_0 or
 * Q4_0 gives the logits computed from the exactly dequantized weights of llama.cpp's own files of that type.
 */
class ConvertRoundTripTest {
    static final double LOGIT_TOL = 1e-4;
    /**
     * The same values in another type: F16 and block-type kernels sum in another order than F32's, so the last bits
     * of a logit may differ (the data's tolerance between token and sequence mode).
     */
    static final double SAME_TOL = 1e-5;
    /** Short cases, enough to tell a model from another, cheap for every model of the data. */
    private static final Set<String> CASES = Set.of("quote_in", "text64", "rand8", "rand64");

    @TempDir
    Path dir;

    static Stream<TestData.ModelReference> models() {
        return TestData.modelReferences().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void everyFormatToSafetensorsKeepsTheLogits(TestData.ModelReference ref) throws IOException {
        Path out = dir.resolve("model.safetensors");
        ModelConverter.Result r = convert(ModelFiles.of(ref.model()), out, ModelConverter.Target.SAFETENSORS, null);
        assertThat(r.exact()).as("every value written unchanged").isTrue();
        assertThat(r.maxDifference()).as("the converter's own check").isLessThanOrEqualTo(SAME_TOL);

        List<Path> cases;
        try (Stream<Path> s = Files.list(TestData.root().resolve(ref.reference()))) {
            cases = s.filter(p -> CASES.contains(p.getFileName().toString().replace(".safetensors", ""))).sorted()
                    .toList();
        }
        assertThat(cases).as("cases of " + ref.reference()).isNotEmpty();
        try (RwkvModel source = RwkvModel.load(ref.model()); RwkvModel converted = RwkvModel.load(out)) {
            assertThat(converted.info().format()).isEqualTo("safetensors");
            assertThat(converted.info().naming()).isEqualTo("blinkdl");
            assertThat(converted.info().version()).isEqualTo(source.info().version());
            for (Path c : cases) {
                ReferenceCase rc = ReferenceCase.read(c);
                State a = source.newState();
                State b = converted.newState();
                int row = 0;
                for (int t = 0; t < rc.tokens().length; t++) {
                    float[] expected = source.forward(rc.tokens()[t], a);
                    float[] actual = converted.forward(rc.tokens()[t], b);
                    Close.assertClose(rc.name() + " token " + t + " against the source", actual, expected, SAME_TOL);
                    if (row < rc.positions().length && rc.positions()[row] == t) {
                        Close.assertClose(rc.name() + " row " + t, actual, rc.logits()[row++], LOGIT_TOL);
                    }
                }
            }
        }
    }

    /** Other layouts of the BlinkDL weights (GGUF F32, fla, rwkv.cpp FP32, the PyTorch files) give them back. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "models/gguf/tiny-rwkv-7v0-834K-F32.gguf, models/tiny-rwkv-7v0-834K.f32.safetensors",
            "models/gguf/tiny-rwkv-6v0-1m-F32.gguf, models/tiny-rwkv-6v0-1m.f32.safetensors",
            "models/fla-rwkv7-tiny-834K, models/tiny-rwkv-7v0-834K.f32.safetensors",
            "models/rwkv.cpp/tiny-rwkv-7v0-834K-FP32.bin, models/tiny-rwkv-7v0-834K.f32.safetensors",
            "models/hf-rwkv4-tiny-660K-pickle, models/tiny-rwkv-4v0-660K.f32.safetensors",
            "models/tiny-rwkv-7v0-834K.bf16.pth, models/tiny-rwkv-7v0-834K.bf16.safetensors",
    })
    void backToTheBlinkDlTensorsBitForBit(String source, String original) {
        Path out = dir.resolve("back.safetensors");
        convert(ModelFiles.of(TestData.file(source)), out, ModelConverter.Target.SAFETENSORS, null);
        try (SafetensorsFile ours = SafetensorsFile.open(out);
             SafetensorsFile theirs = SafetensorsFile.open(TestData.file(original))) {
            Set<String> names = new TreeSet<>();
            ours.tensors().forEach(t -> names.add(t.name()));
            Set<String> expected = new TreeSet<>();
            theirs.tensors().forEach(t -> expected.add(t.name()));
            assertThat(names).isEqualTo(expected);
            for (TensorInfo e : theirs.tensors()) {
                TensorInfo a = ours.find(e.name());
                assertThat(a.shape()).as(e.name()).isEqualTo(e.shape());
                assertThat(a.dtype()).as(e.name()).isEqualTo(e.dtype());
                assertThat(ours.data(a).mismatch(theirs.data(e))).as("first differing byte of " + e.name())
                        .isEqualTo(-1L);
            }
        }
    }

    /** Quantized GGUF written from safetensors matches the references of the exactly dequantized weights. */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "models/tiny-rwkv-7v0-834K.f32.safetensors, q8_0, reference/gguf/tiny-rwkv-7v0-834K-Q8_0",
            "models/tiny-rwkv-7v0-834K.f32.safetensors, q4_0, reference/gguf/tiny-rwkv-7v0-834K-Q4_0",
            "models/tiny-rwkv-6v0-1m.f32.safetensors, q8_0, reference/gguf/tiny-rwkv-6v0-1m-Q8_0",
    })
    void quantizedGgufMatchesTheDequantizedReferences(String source, String type, String reference)
            throws IOException {
        Path out = dir.resolve("q.gguf");
        ModelConverter.Result r = convert(ModelFiles.of(TestData.file(source)), out, ModelConverter.Target.GGUF,
                WeightType.named(type));
        assertThat(r.exact()).isFalse();
        assertThat(r.tensorTypes()).containsKey(type.toUpperCase(java.util.Locale.ROOT));
        List<Path> cases;
        try (Stream<Path> s = Files.list(TestData.root().resolve(reference))) {
            cases = s.filter(p -> CASES.contains(p.getFileName().toString().replace(".safetensors", ""))).toList();
        }
        assertThat(cases).isNotEmpty();
        try (RwkvModel m = RwkvModel.load(out)) {
            for (Path c : cases) {
                ReferenceCase rc = ReferenceCase.read(c);
                State s = m.newState();
                for (int t = 0; t < rc.tokens().length; t++) {
                    Close.assertClose(rc.name() + " row " + t, m.forward(rc.tokens()[t], s), rc.logits()[t],
                            LOGIT_TOL);
                }
            }
        }
    }

    private static ModelConverter.Result convert(ModelFiles in, Path out, ModelConverter.Target target,
                                                 WeightType type) {
        return ModelConverter.convert(new ModelConverter.Request(in, Tokenizers.bytes(), "m", out, target, type,
                false), ModelConverter.Listener.none());
    }
}
