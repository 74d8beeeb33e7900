package dev.rwkvjava.tokenizer.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.rwkvjava.tokenizer.Tokenizer;
import dev.rwkvjava.tokenizer.TokenizerFormatException;
import dev.rwkvjava.tokenizer.bpe.BpeTokenizer;

/**
 * Coverage-guided fuzzing of Hugging Face {@code tokenizer.json} files (byte-level BPE): the only exception a file
 * may cause is a {@link TokenizerFormatException} naming it; a tokenizer that loads encodes and decodes text. Seed:
 * the data set's GPT-NeoX tokenizer cut to its first ids ({@link TokenizerSeeds}).
 */
class TokenizerJsonFuzzer {
    @FuzzTest(maxDuration = "5s")
    void load(byte[] input) {
        Tokenizer t;
        try {
            t = BpeTokenizer.parse(input, "fuzzed/tokenizer.json");
        } catch (TokenizerFormatException e) {
            Exercise.checkMessage(e, "fuzzed/tokenizer.json");
            return;
        }
        Exercise.roundTrip(t);
    }
}
