package dev.rwkvjava.model;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.LoadMode;
import dev.rwkvjava.ModelFileException;
import dev.rwkvjava.io.ModelFiles;
import dev.rwkvjava.io.SafetensorsFile;
import dev.rwkvjava.io.TensorStore;
import dev.rwkvjava.kernel.KernelProvider;
import dev.rwkvjava.kernel.WorkerPool;
import dev.rwkvjava.model.naming.CanonicalTensor;
import dev.rwkvjava.model.naming.Layout;
import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.Matrix;
import dev.rwkvjava.tensor.WeightType;
import dev.rwkvjava.testutil.ReferenceCase;
import dev.rwkvjava.testutil.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static dev.rwkvjava.model.WeightRole.DECAY_LOW_RANK;
import static dev.rwkvjava.model.WeightRole.EMBEDDING;
import static dev.rwkvjava.model.WeightRole.HEAD;
import static dev.rwkvjava.model.WeightRole.LOW_RANK;
import static dev.rwkvjava.model.WeightRole.PROJECTION;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Quantization on load against files that llama.cpp's and rwkv.cpp's converters quantized from the same float
 * weights (data README 12.3 and 4.3). Quantizing the float model on load with the tensor choice of the converter
 * gives the file's tensors byte for byte (our encoders are ggml's reference quantizers), so the model computes the
 * logits and states of the file's own references, within the float tolerance (data README 8.5).
 */
class QuantizeOnLoadTest {
    /** llama.cpp's converter for RWKV-7: everything but the decay's low-rank factors. */
    private static final Set<WeightRole> GGUF_V7 = EnumSet.of(EMBEDDING, HEAD, PROJECTION, LOW_RANK);
    /** llama.cpp's converter for RWKV-6: every low-rank factor stays F32. */
    private static final Set<WeightRole> GGUF_V6 = EnumSet.of(EMBEDDING, HEAD, PROJECTION);
    /** rwkv.cpp: the linear layers only. */
    private static final Set<WeightRole> RWKV_CPP = EnumSet.of(PROJECTION);

    @ParameterizedTest(name = "{0} as {1} -> {3}")
    @CsvSource({
            "models/tiny-rwkv-7v0-834K.f32.safetensors, Q8_0, GGUF_V7, models/gguf/tiny-rwkv-7v0-834K-Q8_0.gguf, reference/gguf/tiny-rwkv-7v0-834K-Q8_0",
            "models/tiny-rwkv-7v0-834K.f32.safetensors, Q4_0, GGUF_V7, models/gguf/tiny-rwkv-7v0-834K-Q4_0.gguf, reference/gguf/tiny-rwkv-7v0-834K-Q4_0",
            // The same weights in other files and types: BF16 (this model's weights are bf16-exact), llama.cpp's F32.
            "models/tiny-rwkv-7v0-834K.bf16.safetensors, Q8_0, GGUF_V7, models/gguf/tiny-rwkv-7v0-834K-Q8_0.gguf, reference/gguf/tiny-rwkv-7v0-834K-Q8_0",
            "models/tiny-rwkv-7v0-834K.bf16.pth, Q4_0, GGUF_V7, models/gguf/tiny-rwkv-7v0-834K-Q4_0.gguf, reference/gguf/tiny-rwkv-7v0-834K-Q4_0",
            "models/gguf/tiny-rwkv-7v0-834K-F32.gguf, Q8_0, GGUF_V7, models/gguf/tiny-rwkv-7v0-834K-Q8_0.gguf, reference/gguf/tiny-rwkv-7v0-834K-Q8_0",
            "models/tiny-rwkv-6v0-1m.f32.safetensors, Q8_0, GGUF_V6, models/gguf/tiny-rwkv-6v0-1m-Q8_0.gguf, reference/gguf/tiny-rwkv-6v0-1m-Q8_0",
            "models/tiny-rwkv-7v0-834K.f32.safetensors, Q5_0, RWKV_CPP, models/rwkv.cpp/tiny-rwkv-7v0-834K-Q5_0.bin, reference/rwkv.cpp/tiny-rwkv-7v0-834K-Q5_0",
            "models/tiny-rwkv-7v0-834K.f32.safetensors, Q5_1, RWKV_CPP, models/rwkv.cpp/tiny-rwkv-7v0-834K-Q5_1.bin, reference/rwkv.cpp/tiny-rwkv-7v0-834K-Q5_1",
    })
    void quantizedOnLoadIsTheConvertersFile(String source, DType dtype, String choice, String quantizedFile,
                                            String reference) {
        Set<WeightRole> roles = switch (choice) {
            case "GGUF_V7" -> GGUF_V7;
            case "GGUF_V6" -> GGUF_V6;
            default -> RWKV_CPP;
        };
        Quantization q = new Quantization(WeightType.of(dtype), roles);
        Path src = TestData.file(source);

        // The same tensors converted, to the same bytes.
        try (WorkerPool pool = new WorkerPool(2);
             TensorStore floats = ModelFiles.of(src).open(LoadMode.MAP);
             TensorStore quantized = ModelFiles.of(TestData.file(quantizedFile)).open(LoadMode.MAP)) {
            ModelTensors mine = new ModelTensors(floats, q, pool);
            ModelLoader.build(mine, ModelFiles.of(src), KernelProvider.get(), pool, 16).close();
            ModelTensors theirs = new ModelTensors(quantized);
            Set<String> expected = new TreeSet<>();
            int compared = 0;
            for (CanonicalTensor t : theirs.tensors()) {
                if (t.stored().dtype() != dtype || t.name().matches("blocks\\.0\\.att\\.v[12]")) {
                    continue; // GGUF's layer-0 v-LoRA is a dummy copy that no engine reads
                }
                expected.add(t.name());
                long rows = t.dim(0);
                long cols = t.dim(1);
                boolean transposed = t.layout() instanceof Layout.Transposed;
                Matrix a = transposed ? mine.transposedMatrix(t.name(), rows, cols) : mine.matrix(t.name(), rows, cols);
                Matrix b = transposed ? theirs.transposedMatrix(t.name(), rows, cols) : theirs.matrix(t.name(), rows, cols);
                assertThat(a.dtype()).as(t.name()).isEqualTo(dtype);
                long at = a.data().mismatch(b.data());
                assertThat(at).as("%s: first differing byte", t.name()).isEqualTo(-1);
                compared++;
            }
            assertThat(compared).isPositive();
            Set<String> converted = new TreeSet<>();
            for (String stored : mine.converted().keySet()) {
                converted.add(canonicalOf(mine, stored));
            }
            assertThat(converted).as("tensors quantized on load").isEqualTo(expected);
        }

        // Hence the references of the converter's file, in token and sequence mode, states included.
        try (RwkvModel model = RwkvModel.load(src, dev.rwkvjava.internal.Internals.withQuantization(RwkvModel.Options.defaults().withMaxChunk(16), q))) {
            for (String name : new String[] {"quote_in", "text64"}) {
                ReferenceCase ref = ReferenceCase.read(TestData.file(reference + "/" + name + ".safetensors"));
                ref.assertReproducedBy(model, ReferenceParityTest.LOGIT_TOL, ReferenceParityTest.STATE_TOL);
            }
        }
    }

    /** The canonical name of a stored tensor (BlinkDL files: the same). */
    private static String canonicalOf(ModelTensors t, String stored) {
        for (CanonicalTensor c : t.tensors()) {
            if (c.stored().name().equals(stored)) {
                return c.name();
            }
        }
        throw new AssertionError("no canonical tensor for " + stored);
    }

    @Test
    void sameBytesOnEveryRunAndThreadCount() {
        Path file = TestData.file("models/random-v7-deepembed-c128-h2-l3-v1000.f32.safetensors");
        for (WeightType type : WeightType.all()) {
            if (type.dtype() == DType.F32) {
                continue;
            }
            Quantization q = new Quantization(type, EnumSet.allOf(WeightRole.class));
            Map<String, byte[]> first = null;
            for (int threads : new int[] {1, 3}) {
                Map<String, byte[]> bytes = convertedBytes(file, q, threads);
                if (first == null) {
                    first = bytes;
                    assertThat(first).as("%s converts something", type).isNotEmpty();
                } else {
                    assertThat(bytes.keySet()).isEqualTo(first.keySet());
                    for (var e : first.entrySet()) {
                        assertThat(bytes.get(e.getKey())).as("%s %s on %d threads", type, e.getKey(), threads)
                                .isEqualTo(e.getValue());
                    }
                }
            }
        }
    }

    /** Every converted matrix of the model's forward pass (asked for again, as the pass did), by canonical name. */
    private static Map<String, byte[]> convertedBytes(Path file, Quantization q, int threads) {
        Map<String, byte[]> out = new TreeMap<>();
        try (WorkerPool pool = new WorkerPool(threads); TensorStore store = ModelFiles.of(file).open(LoadMode.MAP)) {
            ModelTensors t = new ModelTensors(store, q, pool);
            ModelLoader.build(t, ModelFiles.of(file), KernelProvider.get(), pool, 4).close();
            for (String stored : t.converted().keySet()) {
                CanonicalTensor c = t.find(stored);
                Matrix m = WeightRole.of(c.name()) == LOW_RANK || WeightRole.of(c.name()) == DECAY_LOW_RANK
                        ? t.transposedMatrix(c.name(), c.dim(0), c.dim(1)) : t.matrix(c.name(), c.dim(0), c.dim(1));
                assertThat(m.type()).isEqualTo(q.type());
                out.put(c.name(), m.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            }
        }
        return out;
    }

    @Test
    void logitsDoNotDependOnTheThreadCount() {
        Path file = TestData.file("models/tiny-rwkv-7v0-834K.f32.safetensors");
        int[] tokens = "The quick brown fox".chars().toArray();
        float[] one;
        try (RwkvModel m = RwkvModel.load(file, RwkvModel.Options.defaults().withThreads(1).withQuantize("q4_0"))) {
            one = m.forwardAll(tokens, m.newState());
        }
        try (RwkvModel m = RwkvModel.load(file, RwkvModel.Options.defaults().withThreads(3).withQuantize("q4_0"))) {
            assertThat(m.forwardAll(tokens, m.newState())).containsExactly(one);
        }
    }

    @ParameterizedTest
    @CsvSource({"models/gguf/tiny-rwkv-7v0-834K-Q8_0.gguf, Q8_0", "models/rwkv.cpp/tiny-rwkv-7v0-834K-Q5_1.bin, Q5_1"})
    void refusesFilesThatAreAlreadyQuantized(String file, DType stored) {
        Path p = TestData.file(file);
        assertThatThrownBy(() -> RwkvModel.load(p, RwkvModel.Options.defaults().withQuantize("q8_0")))
                .isInstanceOf(ModelFileException.class)
                .hasMessageContaining(p.getFileName().toString())
                .hasMessageContaining("already quantized (" + stored + ")")
                .hasMessageContaining("F32, F16 and BF16");
    }

    @Test
    void countsTypesAsHeld() {
        Path file = TestData.file("models/tiny-rwkv-7v0-834K.f32.safetensors");
        int tensors;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            tensors = f.tensors().size();
        }
        try (RwkvModel m = RwkvModel.load(file, RwkvModel.Options.defaults().withQuantize("q8_0"))) {
            // Default roles: 12 layers × (4 time-mix + 2 channel-mix projections), and the head.
            assertThat(m.info().quantized()).isEqualTo(73);
            assertThat(m.info().keptForShape()).isZero();
            assertThat(m.info().dtypes()).isEqualTo(Map.of("Q8_0", 73, "F32", tensors - 73));
            assertThat(m.info().dtypes().keySet()).containsExactly("F32", "Q8_0");
            assertThat(m.info().quantization()).isEqualTo("q8_0");
        }
        try (RwkvModel m = RwkvModel.load(file)) {
            assertThat(m.info().dtypes()).isEqualTo(Map.of("F32", tensors));
            assertThat(m.info().quantization()).isNull();
            assertThat(m.info().quantized()).isZero();
        }
    }

    @Test
    void rowsThatAreNotWholeBlocksKeepTheirType() {
        // C = 64, F = 256: only the channel-mix value rows (F values) are whole blocks of 256.
        Path file = TestData.file("models/tiny-rwkv-7v0-834K.f32.safetensors");
        try (WorkerPool pool = new WorkerPool(2); TensorStore store = ModelFiles.of(file).open(LoadMode.MAP)) {
            ModelTensors t = new ModelTensors(store, Quantization.of(WeightType.named("q4_k")), pool);
            assertThat(t.matrix("blocks.3.ffn.value.weight", 64, 256).dtype()).isEqualTo(DType.Q4_K);
            assertThat(t.matrix("blocks.3.ffn.key.weight", 256, 64).dtype()).isEqualTo(DType.F32);
            // The head's Q6_K needs rows of 256 too: it takes Q8_0 rather than staying in float.
            assertThat(t.matrix("head.weight", 256, 64).dtype()).isEqualTo(DType.Q8_0);
            assertThat(t.converted()).containsOnlyKeys("blocks.3.ffn.value.weight", "head.weight");
            assertThat(t.keptForShape()).containsOnlyKeys("blocks.3.ffn.key.weight");
        }
        try (WorkerPool pool = new WorkerPool(2); TensorStore store = ModelFiles.of(file).open(LoadMode.MAP)) {
            ModelTensors t = new ModelTensors(store, new Quantization(WeightType.named("q4_k"),
                    Quantization.DEFAULT_ROLES), pool);
            assertThat(t.matrix("head.weight", 256, 64).dtype()).isEqualTo(DType.F32);
            assertThat(t.keptForShape()).containsOnlyKeys("head.weight");
        }
        try (RwkvModel m = RwkvModel.load(file, RwkvModel.Options.defaults().withQuantize("q4_k"))) {
            assertThat(m.info().quantized()).isEqualTo(13);
            assertThat(m.info().keptForShape()).isEqualTo(12 * 5);
            assertThat(m.info().dtypes()).containsEntry("Q4_K", 12).containsEntry("Q8_0", 1);
        }
    }

    @Test
    void rolesOfTheCanonicalNames() {
        assertThat(WeightRole.of("emb.weight")).isEqualTo(EMBEDDING);
        assertThat(WeightRole.of("blocks.2.ffn.s_emb.weight")).isEqualTo(EMBEDDING);
        assertThat(WeightRole.of("head.weight")).isEqualTo(HEAD);
        assertThat(WeightRole.of("blocks.0.att.key.weight")).isEqualTo(PROJECTION);
        assertThat(WeightRole.of("blocks.11.ffn.value.weight")).isEqualTo(PROJECTION);
        assertThat(WeightRole.of("blocks.1.ffn.s_emb_x.weight")).isEqualTo(PROJECTION);
        assertThat(WeightRole.of("blocks.5.att.w1")).isEqualTo(DECAY_LOW_RANK);
        assertThat(WeightRole.of("blocks.5.att.time_decay_w2")).isEqualTo(DECAY_LOW_RANK);
        for (String n : new String[] {"a1", "a2", "v1", "v2", "g1", "g2", "time_maa_w1", "time_maa_w2"}) {
            assertThat(WeightRole.of("blocks.3.att." + n)).as(n).isEqualTo(LOW_RANK);
        }
        assertThat(WeightRole.of("blocks.3.ffn.s1")).isEqualTo(LOW_RANK);
        assertThat(Quantization.of(WeightType.named("q8_0")).covers("blocks.0.att.w1")).isFalse();
        assertThat(Quantization.of(WeightType.named("q8_0")).covers("emb.weight")).isFalse();
        assertThat(Quantization.of(WeightType.named("q8_0")).covers("head.weight")).isTrue();
        assertThat(Quantization.of(WeightType.named("q8_0")).headType()).isEqualTo(WeightType.named("q8_0"));
        assertThat(Quantization.of(WeightType.named("q6_k")).headType()).isEqualTo(WeightType.named("q6_k"));
        for (String low : new String[] {"q4_0", "q4_1", "q5_0", "q5_1", "q4_k", "q5_k"}) {
            Quantization q = Quantization.of(WeightType.named(low));
            assertThat(q.headType()).as(low).isEqualTo(WeightType.named("q6_k"));
            assertThat(q.typeFor("head.weight", 768)).as(low).isEqualTo(WeightType.named("q6_k"));
            assertThat(q.typeFor("head.weight", 64)).as(low).isEqualTo(WeightType.named("q8_0"));
            assertThat(q.typeFor("head.weight", 48)).as(low).isNull();
            assertThat(q.typeFor("blocks.0.att.key.weight", 768)).as(low).isEqualTo(q.type());
        }
    }
}
