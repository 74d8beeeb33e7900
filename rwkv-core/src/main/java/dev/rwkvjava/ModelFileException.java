package dev.rwkvjava;

import java.nio.file.Path;

/**
 * A model or tensor file that cannot be used: unreadable, malformed, or missing or mis-shaped tensors.
 * The message always names the file, and the tensor when one is at fault.
 */
public class ModelFileException extends RuntimeException {
    private final Path file;
    private final String tensor;

    public ModelFileException(Path file, String tensor, String problem) {
        this(file, tensor, problem, null);
    }

    public ModelFileException(Path file, String tensor, String problem, Throwable cause) {
        super(format(file, tensor, problem), cause);
        this.file = file;
        this.tensor = tensor;
    }

    private static String format(Path file, String tensor, String problem) {
        StringBuilder sb = new StringBuilder();
        sb.append(file == null ? "<unknown file>" : file.toString());
        if (tensor != null) {
            sb.append(": tensor '").append(tensor).append('\'');
        }
        return sb.append(": ").append(problem).toString();
    }

    /** The file at fault. */
    public Path file() {
        return file;
    }

    /** The tensor at fault, or null when the problem is not about one tensor. */
    public String tensor() {
        return tensor;
    }
}
