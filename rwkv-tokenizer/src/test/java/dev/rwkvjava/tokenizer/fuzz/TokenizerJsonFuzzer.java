package dev.rwkvjava.tokenizer.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rwkvjava.tokenizer.Tokenizer;
import dev.rwkvjava.tokenizer.TokenizerFormatException;
import dev.rwkvjava.tokenizer.bpe.BpeTokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Coverage-guided fuzzing of Hugging Face {@code tokenizer.json} files (byte-level BPE): the only exception a file
 * may cause is a {@link TokenizerFormatException} naming it; a tokenizer that loads encodes and decodes text, and
 * gives the text back if its vocabulary has a token for every byte of it. Seed: the data set's GPT-NeoX tokenizer
 * cut to its first ids ({@link TokenizerSeeds}).
 */
class TokenizerJsonFuzzer {
    private static final ObjectMapper JSON = new ObjectMapper();

    @FuzzTest(maxDuration = "5s")
    void load(byte[] input) {
        Tokenizer t;
        try {
            t = BpeTokenizer.parse(input, "fuzzed/tokenizer.json");
        } catch (TokenizerFormatException e) {
            Exercise.checkMessage(e, "fuzzed/tokenizer.json");
            return;
        }
        Exercise.roundTrip(t, vocabSpellsEveryByte(input, Exercise.TEXT));
    }

    /**
     * Whether {@code model.vocab} has the one-character token of every byte of {@code text}. Byte-level BPE starts
     * each word from these tokens and only merges them; Hugging Face {@code tokenizers} drops a byte that has none
     * (or puts {@code unk_token} in its place), so without them no tokenizer gives the text back.
     */
    private static boolean vocabSpellsEveryByte(byte[] json, String text) {
        JsonNode vocab;
        try {
            vocab = JSON.readTree(json).path("model").path("vocab");
        } catch (IOException e) {
            throw new AssertionError("a file that loaded is not JSON", e);
        }
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            if (!vocab.has(String.valueOf(byteLevelChar(b & 0xFF)))) {
                return false;
            }
        }
        return true;
    }

    /** GPT-2's byte-level alphabet: printable Latin-1 bytes stand for themselves, the other 68 for U+0100 on. */
    private static char byteLevelChar(int b) {
        int next = 0x100;
        for (int x = 0; x < 256; x++) {
            boolean printable = (x >= 0x21 && x <= 0x7E) || (x >= 0xA1 && x <= 0xAC) || x >= 0xAE;
            if (x == b) {
                return printable ? (char) b : (char) next;
            }
            if (!printable) {
                next++;
            }
        }
        throw new IllegalArgumentException("not a byte: " + b);
    }
}
