package dev.rwkvjava.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.rwkvjava.io.ModelFiles;
import dev.rwkvjava.testutil.TestData;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of a sharded checkpoint's index ({@code model.safetensors.index.json}): the fuzzer's bytes
 * are the index of a folder whose two shards hold a one-layer cut of the data set's tiny v7 model, and the folder is
 * loaded as a model. Seed: the index of those shards.
 */
class ShardedIndexFuzzer {
    private static Path folder;

    private static synchronized Path folder() {
        if (folder == null) {
            try {
                Path d = Files.createDirectories(FuzzedModel.file("sharded"));
                FuzzSeeds.shards(TestData.file("models/tiny-rwkv-7v0-834K.f32.safetensors"), d);
                folder = d;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return folder;
    }

    @FuzzTest(maxDuration = "5s")
    void load(byte[] input) throws IOException {
        Path dir = folder();
        Files.write(dir.resolve(ModelFiles.SHARD_INDEX), input);
        FuzzedModel.load(dir);
    }
}
