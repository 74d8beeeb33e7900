package dev.rwkvjava.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing of rwkv.cpp `.bin` files as models: header, tensor records, stored forms, then loading.
 * Seeds: one-layer cuts of the data set's rwkv.cpp files (FP32, FP16, Q5_1).
 */
class RwkvCppFuzzer {
    @FuzzTest(maxDuration = "5s")
    void load(byte[] input) {
        FuzzedModel.load(input, "model.bin");
    }
}
