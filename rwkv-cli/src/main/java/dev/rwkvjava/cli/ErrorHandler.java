package dev.rwkvjava.cli;

import java.io.PrintWriter;
import picocli.CommandLine;

/**
 * How failures reach the user: one line on stderr naming the command and the problem, never a stack trace unless
 * {@code RWKV_DEBUG=1} is set in the environment (then the trace follows the line).
 *
 * <ul>
 * <li>a failed command (any exception): {@code rwkv CMD: error: MESSAGE}, exit code 1;</li>
 * <li>a usage mistake (unknown option, missing value): the mistake and a pointer to {@code --help}, exit code 2;</li>
 * <li>a JVM error (out of memory, a stack overflow): one line saying what ran out, exit code 1.</li>
 * </ul>
 */
final class ErrorHandler implements CommandLine.IExecutionExceptionHandler, CommandLine.IParameterExceptionHandler {
    static final String DEBUG_ENV = "RWKV_DEBUG";

    static boolean debug() {
        return "1".equals(System.getenv(DEBUG_ENV));
    }

    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult parseResult) {
        PrintWriter err = cl.getErr();
        if (debug()) {
            ex.printStackTrace(err);
        }
        String msg = ex.getMessage() != null ? ex.getMessage() : ex.toString();
        err.println("rwkv " + cl.getCommandName() + ": error: " + msg);
        err.flush();
        return 1;
    }

    @Override
    public int handleParseException(CommandLine.ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        PrintWriter err = cl.getErr();
        if (debug()) {
            ex.printStackTrace(err);
        }
        String name = cl.getCommandSpec().qualifiedName();
        err.println(name + ": " + ex.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
        err.println("Run '" + name + " --help' for the options.");
        err.flush();
        return cl.getCommandSpec().exitCodeOnInvalidInput();
    }

    /** The line for an error of the JVM itself (not an Exception), which the command could not handle. */
    static String describe(Error e) {
        String what = e.getMessage() != null ? e.getClass().getSimpleName() + ": " + e.getMessage()
                : e.getClass().getSimpleName();
        if (e instanceof OutOfMemoryError) {
            return "out of memory (" + what + "); give Java more with -Xmx (for ./rwkv: RWKV_JAVA_OPTS=-Xmx16g), "
                    + "or use a smaller input";
        }
        if (e instanceof StackOverflowError) {
            return "internal error: the input nests too deeply (StackOverflowError); " + DEBUG_ENV
                    + "=1 shows where";
        }
        return "internal error: " + what + " (" + DEBUG_ENV + "=1 shows the stack trace)";
    }
}
