package dev.rwkvjava.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing of PyTorch checkpoints (zip archive and restricted unpickler) as models. Seeds: one-layer
 * cuts of the data set's `.pth` (BF16, BlinkDL names) and Hugging Face `pytorch_model.bin` (RWKV-4 names).
 */
class PyTorchFuzzer {
    @FuzzTest(maxDuration = "5s")
    void load(byte[] input) {
        FuzzedModel.load(input, "model.pth");
    }
}
