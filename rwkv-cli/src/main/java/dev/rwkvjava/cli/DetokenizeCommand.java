package dev.rwkvjava.cli;

import dev.rwkvjava.tokenizer.Tokenizers;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code rwkv detokenize}: writes the bytes of token ids to stdout, unchanged. */
@Command(name = "detokenize",
        mixinStandardHelpOptions = true,
        description = {"Decodes token ids and writes the resulting bytes to stdout as they are.",
                "No newline is added, and invalid UTF-8 is not replaced (a token may hold part of a character)."})
final class DetokenizeCommand implements Callable<Integer> {

    @Option(names = "--tokenizer", required = true, paramLabel = "FILE",
            description = "Tokenizer file: an RWKV World vocabulary (rwkv_vocab_*.txt) or a Hugging Face tokenizer.json.")
    java.nio.file.Path tokenizerFile;

    @Option(names = "--ids", required = true, paramLabel = "IDS",
            description = "Token ids separated by commas or spaces, e.g. 1,2,3 or \"1 2 3\" (the JSON array printed by "
                    + "tokenize and the ids printed by generate work too).")
    String ids;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        int[] parsed = parseIds(ids);
        var tokenizer = Tokenizers.load(CliFiles.requireFile(spec, "--tokenizer", tokenizerFile));
        byte[] bytes = tokenizer.decode(parsed);
        PrintStream out = System.out;
        out.write(bytes);
        out.flush();
        return 0;
    }

    private int[] parseIds(String text) {
        String s = text.strip();
        if (s.startsWith("[") && s.endsWith("]")) {
            s = s.substring(1, s.length() - 1).strip();
        }
        if (s.isEmpty()) {
            return new int[0];
        }
        String[] parts = s.split("[\\s,]+");
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--ids: '" + parts[i] + "' (item " + (i + 1) + ") is not a token id; expected e.g. 1,2,3");
            }
        }
        return out;
    }
}
