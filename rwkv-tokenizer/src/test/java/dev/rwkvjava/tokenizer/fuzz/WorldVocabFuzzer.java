package dev.rwkvjava.tokenizer.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.rwkvjava.tokenizer.Tokenizer;
import dev.rwkvjava.tokenizer.TokenizerFormatException;
import dev.rwkvjava.tokenizer.world.WorldTokenizer;

/**
 * Coverage-guided fuzzing of RWKV World vocabulary files ({@code ID LITERAL LENGTH} lines): the only exception a file
 * may cause is a {@link TokenizerFormatException} naming it; a vocabulary that loads encodes and decodes text. Seed:
 * lines from the start, middle and end of the data set's World vocabulary ({@link TokenizerSeeds}).
 */
class WorldVocabFuzzer {
    @FuzzTest(maxDuration = "5s")
    void load(byte[] input) {
        Tokenizer t;
        try {
            t = WorldTokenizer.parse(input, "fuzzed/vocab.txt");
        } catch (TokenizerFormatException e) {
            Exercise.checkMessage(e, "fuzzed/vocab.txt");
            return;
        }
        Exercise.roundTrip(t);
    }
}
