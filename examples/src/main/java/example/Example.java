package example;

import dev.rwkvjava.generate.GenerationConfig;
import dev.rwkvjava.generate.GenerationListener;
import dev.rwkvjava.generate.Session;
import dev.rwkvjava.generate.TextGenerator;

import java.nio.file.Path;

/**
 * Loads a model, streams a completion, forks the session and saves its state: the library example of the README
 * (the code between the markers is the README's, which a test keeps identical).
 *
 * <p>Arguments: a model (weights file, folder or hub id) and the state file to write.
 */
public final class Example {
    private Example() {
    }

    public static void main(String[] args) {
        String model = args[0];
        Path stateFile = Path.of(args.length > 1 ? args[1] : "story.state");
        // README: begin
        try (TextGenerator g = TextGenerator.load(model)) {           // a file, a folder or a hub id
            Session story = g.newSession();                            // model + tokenizer + recurrent state
            story.append("Once upon a time");                          // feeds only the new tokens
            story.generate(GenerationConfig.greedy(32),
                    GenerationListener.text(System.out::print));       // streams whole characters
            Session other = story.fork();                              // an independent copy of the story so far
            other.append(" Then");
            other.generate(GenerationConfig.greedy(16), GenerationListener.text(System.out::print));
            story.save(stateFile);                                     // later: story.load(stateFile)
        }
        // README: end
        System.out.println();
        System.out.println("state saved to " + stateFile);
    }
}
