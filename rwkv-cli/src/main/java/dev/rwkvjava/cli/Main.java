package dev.rwkvjava.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code rwkv} command line. */
@Command(name = "rwkv",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Pure-Java CPU inference for RWKV language models.",
        footer = {"", "Errors are one line on stderr; set RWKV_DEBUG=1 to add the stack trace."},
        subcommands = {
                CommandLine.HelpCommand.class,
                InfoCommand.class,
                LogitsCommand.class,
                BenchCommand.class,
                GenerateCommand.class,
                ChatCommand.class,
                ServeCommand.class,
                PerplexityCommand.class,
                PullCommand.class,
                ConvertCommand.class,
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
        String[] decoded;
        try {
            decoded = Arguments.decode(args);
        } catch (IllegalArgumentException e) {
            System.err.println("rwkv: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (Relauncher.relaunchWithVectorModuleIfNeeded(decoded)) {
            return;
        }
        Relauncher.stopWithTheLaunchingJvm();
        System.exit(execute(Relauncher.argumentsFromParent(decoded)));
    }

    /**
     * Runs the command line and returns the exit code (for tests). An Error (out of memory, a stack overflow),
     * which picocli passes through, is reported in one line like any other failure.
     */
    public static int execute(String... args) {
        CliLogging.install();
        CommandLine cl = new CommandLine(new Main());
        ErrorHandler handler = new ErrorHandler();
        cl.setExecutionExceptionHandler(handler);
        cl.setParameterExceptionHandler(handler);
        try {
            return cl.execute(args);
        } catch (Error e) {
            if (ErrorHandler.debug()) {
                e.printStackTrace();
            }
            System.err.println(commandName(cl) + ": error: " + ErrorHandler.describe(e));
            System.err.flush();
            return 1;
        }
    }

    /** "rwkv" and the subcommand that was running, as far as the arguments were parsed. */
    private static String commandName(CommandLine cl) {
        CommandLine.ParseResult r = cl.getParseResult();
        String name = "rwkv";
        while (r != null && r.subcommand() != null) {
            r = r.subcommand();
            name = r.commandSpec().qualifiedName();
        }
        return name;
    }
}
