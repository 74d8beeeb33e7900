package dev.rwkvjava.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing of GGUF files as models (llama.cpp's rwkv6/rwkv7 layout): header, typed metadata, tensor
 * infos, alignment, the vocabulary, then loading. Seeds: one-layer cuts of the data set's GGUF files (F16, Q4_0,
 * Q8_0).
 */
class GgufFuzzer {
    @FuzzTest(maxDuration = "5s")
    void load(byte[] input) {
        FuzzedModel.load(input, "model.gguf");
    }
}
