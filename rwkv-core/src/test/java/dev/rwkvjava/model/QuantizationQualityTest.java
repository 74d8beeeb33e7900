package dev.rwkvjava.model;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.WeightType;
import dev.rwkvjava.testutil.TestData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What quantization on load (the default tensor choice, {@link Quantization#of}) does to the logits of every
 * version, measured against the float32 references of the same weights: the largest logit difference and the mean
 * KL divergence of the next-token distributions ({@link LogitErrors}). Each line is printed ({@code QUALITY ...});
 * the README's quality table comes from them.
 *
 * <p>The bounds. Q8_0 is held to llama.cpp's own Q8_0 files of the same weights (its converter's choice of tensors,
 * its quantizer): no larger an error on any of them. Every other type is held to Q8_0 on the same model, scaled by
 * how much coarser its grid is: the largest rounding error of a value, as a fraction of its block's largest
 * magnitude, is 1/254 for Q8_0, 1/64 for Q6_K, 1/32 for Q5_0, 1/31 for Q5_1 and Q5_K, 1/16 for Q4_0, 1/15 for Q4_1
 * and Q4_K, at most 1/256 for BF16 and 1/2048 for F16 (relative to the value itself, which is at most the block's
 * largest). Small weight errors move the logits in proportion (their squares, the KL divergence), so a type with a
 * grid r times as coarse should show about r times Q8_0's largest logit difference and r² times its KL divergence;
 * the bound allows three times that. The largest ratio measured is 2.5 (max-abs) and 2.1 (KL), for Q5_0 on the tiny
 * RWKV-6 model, the least well-conditioned of the data (its state grows into the hundreds); every other model and
 * type stays at or below 1.7. A wrong encoder or decoder (a misplaced nibble, a lost fifth bit, a wrong scale) moves
 * the logits by far more than that.
 */
class QuantizationQualityTest {
    static final List<String> TINY_CASES = List.of("quote_in", "hello", "text64", "utf8_seq");
    static final List<String> RANDOM_CASES = List.of("rand8", "rand64", "continue");
    /** Each type's largest rounding error, in units of Q8_0's (see the class comment). */
    static final Map<String, Double> COARSENESS = Map.of("q8_0", 1.0, "q6_k", 254 / 64.0, "q5_0", 254 / 32.0,
            "q5_1", 254 / 31.0, "q5_k", 254 / 31.0, "q4_0", 254 / 16.0, "q4_1", 254 / 15.0, "q4_k", 254 / 15.0,
            "bf16", 254 / 256.0, "f16", 254 / 2048.0);
    static final double SLACK = 3;

    @ParameterizedTest(name = "{1}")
    @CsvSource({
            "models/tiny-rwkv-4v0-660K.f32.safetensors, reference/tiny-rwkv-4v0-660K.f32",
            "models/tiny-rwkv-5v1-730K.f32.safetensors, reference/tiny-rwkv-5v1-730K.f32",
            "models/tiny-rwkv-5v2-730K.f32.safetensors, reference/tiny-rwkv-5v2-730K.f32",
            "models/tiny-rwkv-6v0-1m.f32.safetensors, reference/tiny-rwkv-6v0-1m.f32",
            "models/tiny-rwkv-7v0-834K.f32.safetensors, reference/tiny-rwkv-7v0-834K.f32",
            "models/random-v4-c128-l3-v1000.f32.safetensors, reference/random-v4-c128-l3-v1000",
            "models/random-v6-c128-h2-l3-v1000.f32.safetensors, reference/random-v6-c128-h2-l3-v1000",
            "models/random-v7-c128-h2-l3-v1000.f32.safetensors, reference/random-v7-c128-h2-l3-v1000",
            "models/random-v7-deepembed-c128-h2-l3-v1000.f32.safetensors, reference/random-v7-deepembed-c128-h2-l3-v1000",
    })
    void everyTypeStaysWithinItsGridOfQ8_0(String file, String reference) {
        List<String> cases = file.contains("/tiny-") ? TINY_CASES : RANDOM_CASES;
        Map<String, LogitErrors> errors = new LinkedHashMap<>();
        for (String type : List.of("q8_0", "q6_k", "q5_1", "q5_k", "q5_0", "q4_1", "q4_k", "q4_0", "bf16", "f16")) {
            try (RwkvModel model = RwkvModel.load(TestData.file(file),
                    RwkvModel.Options.defaults().withQuantize(type))) {
                LogitErrors e = LogitErrors.of(model, reference, cases);
                print(reference, type, e, model);
                assertThat(e.allFinite()).as(type).isTrue();
                errors.put(type, e);
            }
        }
        LogitErrors q8 = errors.get("q8_0");
        assertThat(q8.maxAbs()).as("Q8_0 changes the logits").isPositive();
        errors.forEach((type, e) -> {
            double r = COARSENESS.get(type);
            assertThat(e.maxAbs()).as("%s max-abs logit difference", type).isLessThanOrEqualTo(SLACK * r * q8.maxAbs());
            assertThat(e.klMean()).as("%s mean KL", type).isLessThanOrEqualTo(SLACK * r * r * q8.klMean());
        });
    }

    @ParameterizedTest(name = "{2}")
    @CsvSource({
            "models/tiny-rwkv-7v0-834K.f32.safetensors, q8_0, models/gguf/tiny-rwkv-7v0-834K-Q8_0.gguf, reference/tiny-rwkv-7v0-834K.f32",
            "models/tiny-rwkv-7v0-834K.f32.safetensors, q4_0, models/gguf/tiny-rwkv-7v0-834K-Q4_0.gguf, reference/tiny-rwkv-7v0-834K.f32",
            "models/tiny-rwkv-6v0-1m.f32.safetensors, q8_0, models/gguf/tiny-rwkv-6v0-1m-Q8_0.gguf, reference/tiny-rwkv-6v0-1m.f32",
    })
    void noWorseThanLlamaCppsFileOfTheSameWeights(String file, String type, String gguf, String reference) {
        LogitErrors theirs;
        try (RwkvModel model = RwkvModel.load(TestData.file(gguf))) {
            assertThat(model.info().dtypes()).containsKey(type.toUpperCase(Locale.ROOT));
            theirs = LogitErrors.of(model, reference, TINY_CASES);
            print(gguf, DType.valueOf(type.toUpperCase(Locale.ROOT)).name(), theirs, model);
        }
        try (RwkvModel model = RwkvModel.load(TestData.file(file),
                RwkvModel.Options.defaults().withQuantize(type))) {
            LogitErrors mine = LogitErrors.of(model, reference, TINY_CASES);
            assertThat(mine.maxAbs()).isLessThanOrEqualTo(theirs.maxAbs());
            assertThat(mine.klMean()).isLessThanOrEqualTo(theirs.klMean());
        }
    }

    private static void print(String what, String type, LogitErrors e, RwkvModel model) {
        System.out.printf(Locale.ROOT, "QUALITY %-46s %-5s max-abs %.4f  KL mean %.2e  KL max %.2e  (%d rows; %d "
                        + "tensors converted, %d kept)%n", what, type, e.maxAbs(), e.klMean(), e.klMax(), e.rows(),
                model.info().quantized(), model.info().keptForShape());
    }
}
