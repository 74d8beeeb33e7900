package dev.rwkvjava.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing of safetensors files as models: header (length, JSON, dtypes, shapes, offsets, metadata),
 * then everything loading builds on it. Seeds: the data set's small safetensors files and one-layer cuts of its
 * tiny models ({@code SafetensorsFuzzerInputs/}).
 */
class SafetensorsFuzzer {
    @FuzzTest(maxDuration = "5s")
    void load(byte[] input) {
        FuzzedModel.load(input, "model.safetensors");
    }
}
