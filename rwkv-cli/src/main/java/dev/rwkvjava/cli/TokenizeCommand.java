package dev.rwkvjava.cli;

import dev.rwkvjava.tokenizer.Tokenizer;
import dev.rwkvjava.tokenizer.Tokenizers;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code rwkv tokenize}: prints the token ids of a text as one JSON array. */
@Command(name = "tokenize",
        mixinStandardHelpOptions = true,
        description = {"Encodes text with a tokenizer and prints the ids as one JSON array, e.g. [1,2,3].",
                "No BOS/EOS ids are added."})
final class TokenizeCommand implements Callable<Integer> {

    @Option(names = "--tokenizer", required = true, paramLabel = "FILE",
            description = "Tokenizer file: an RWKV World vocabulary (rwkv_vocab_*.txt) or a Hugging Face tokenizer.json.")
    Path tokenizerFile;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--text", paramLabel = "TEXT", description = "The text to encode.")
        String text;

        @Option(names = "--input", paramLabel = "FILE",
                description = "A file whose raw bytes are encoded (the World tokenizer accepts any bytes); - reads "
                        + "standard input. At most 1 GiB.")
        Path file;
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Tokenizer tokenizer = Tokenizers.load(CliFiles.requireFile(spec, "--tokenizer", tokenizerFile));
        int[] ids = input.text != null
                ? tokenizer.encode(input.text)
                : tokenizer.encode(CliFiles.readInput("--input", input.file));
        // Written as it is formatted: a large input has more ids than one string can hold as text.
        PrintWriter out = spec.commandLine().getOut();
        out.print('[');
        for (int i = 0; i < ids.length; i++) {
            if (i > 0) {
                out.print(',');
            }
            out.print(ids[i]);
        }
        out.println(']');
        out.flush();
        return 0;
    }
}
