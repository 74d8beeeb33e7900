package dev.rwkvjava.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;

/** Checks on file arguments, reported as bad arguments rather than as failures of the command. */
final class CliFiles {
    private CliFiles() {
    }

    static Path requireFile(CommandLine.Model.CommandSpec spec, String option, Path file) {
        if (!Files.isRegularFile(file)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    option + ": " + (Files.isDirectory(file) ? "is a folder, not a file: " : "file not found: ") + file);
        }
        return file;
    }
}
