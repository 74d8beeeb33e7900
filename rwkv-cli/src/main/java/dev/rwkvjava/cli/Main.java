package dev.rwkvjava.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code rwkv} command line. */
@Command(name = "rwkv",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Pure-Java CPU inference for RWKV language models.",
        subcommands = {
                CommandLine.HelpCommand.class,
                InfoCommand.class,
                LogitsCommand.class,
                BenchCommand.class,
                GenerateCommand.class,
                ChatCommand.class,
                ServeCommand.class,
                PullCommand.class,
                TokenizeCommand.class,
                DetokenizeCommand.class,
        })
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        if (Relauncher.relaunchWithVectorModuleIfNeeded(args)) {
            return;
        }
        System.exit(execute(args));
    }

    /** Runs the command line and returns the exit code (for tests). */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(new ErrorHandler());
        return cl.execute(args);
    }
}
