package dev.rwkvjava.cli;

import picocli.CommandLine;

/**
 * Prints a failed command's error as one line on stderr (the full stack trace only with {@code RWKV_DEBUG=1})
 * and exits with code 1.
 */
final class ErrorHandler implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult parseResult) {
        if ("1".equals(System.getenv("RWKV_DEBUG"))) {
            ex.printStackTrace(System.err);
        }
        String msg = ex.getMessage() != null ? ex.getMessage() : ex.toString();
        cl.getErr().println("rwkv " + cl.getCommandName() + ": error: " + msg);
        cl.getErr().flush();
        return 1;
    }
}
