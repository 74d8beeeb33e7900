package dev.rwkvjava.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rwkvjava.testutil.TestData;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The quantizers against files that ggml's own tools wrote from the same float weights (testdata README 12.3.1 and
 * 4.3): every quantized tensor of the GGUF Q8_0 and Q4_0 files (gguf-py's reference quantizer, byte-identical to
 * llama.cpp's) and of the rwkv.cpp Q5_0 and Q5_1 files, quantized here from the F32 file's tensor, must come out
 * as the same bytes. Decoding those tensors then gives the weights the references were computed with.
 */
class QuantizeReferenceTest {

    @ParameterizedTest
    @CsvSource({
            "models/gguf/tiny-rwkv-7v0-834K-F32.gguf, models/gguf/tiny-rwkv-7v0-834K-Q8_0.gguf, Q8_0, 146",
            "models/gguf/tiny-rwkv-7v0-834K-F32.gguf, models/gguf/tiny-rwkv-7v0-834K-Q4_0.gguf, Q4_0, 146",
            "models/gguf/tiny-rwkv-6v0-1m-F32.gguf, models/gguf/tiny-rwkv-6v0-1m-Q8_0.gguf, Q8_0, 98",
            "models/rwkv.cpp/tiny-rwkv-7v0-834K-FP32.bin, models/rwkv.cpp/tiny-rwkv-7v0-834K-Q5_0.bin, Q5_0, 0",
            "models/rwkv.cpp/tiny-rwkv-7v0-834K-FP32.bin, models/rwkv.cpp/tiny-rwkv-7v0-834K-Q5_1.bin, Q5_1, 0",
    })
    void quantizesAsGgmlDid(String floats, String quantized, DType dtype, int expectedTensors) throws IOException {
        BlockType type = (BlockType) WeightType.of(dtype);
        try (Arena arena = Arena.ofConfined()) {
            boolean gguf = floats.endsWith(".gguf");
            MemorySegment f = GgmlTestFiles.map(TestData.file(floats), arena);
            MemorySegment q = GgmlTestFiles.map(TestData.file(quantized), arena);
            Map<String, GgmlTestFiles.Tensor> source = gguf ? GgmlTestFiles.gguf(f) : GgmlTestFiles.rwkvCpp(f);
            Map<String, GgmlTestFiles.Tensor> target = gguf ? GgmlTestFiles.gguf(q) : GgmlTestFiles.rwkvCpp(q);
            int compared = 0;
            for (GgmlTestFiles.Tensor t : target.values()) {
                if (t.dtype() != dtype) {
                    continue;
                }
                GgmlTestFiles.Tensor s = source.get(t.name());
                assertThat(s).as(t.name()).isNotNull();
                assertThat(s.dtype()).as(t.name()).isEqualTo(DType.F32);
                assertThat(s.elements()).as(t.name()).isEqualTo(t.elements());
                float[] values = WeightReader.toFloatArray(s.data(), DType.F32);
                MemorySegment mine = arena.allocate(t.data().byteSize());
                type.encode(values, 0, values.length, mine, 0);
                long at = mine.mismatch(t.data());
                assertThat(at).as("%s %s: first differing byte (block %d)", t.name(), dtype,
                        at / type.blockBytes()).isEqualTo(-1);
                compared++;
            }
            if (expectedTensors > 0) {
                assertThat(compared).isEqualTo(expectedTensors);
            } else {
                assertThat(compared).isPositive();
            }
        }
    }
}
