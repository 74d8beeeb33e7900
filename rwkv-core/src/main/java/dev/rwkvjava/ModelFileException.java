package dev.rwkvjava;

import java.nio.file.Path;

/**
 * A model or tensor file that cannot be used: unreadable, malformed, or missing or mis-shaped tensors.
 * The message always names the file, and the tensor when one is at fault.
 */
public class ModelFileException extends RuntimeException {
    /** The file at fault. */
    private final Path file;
    /** The tensor at fault, or null. */
    private final String tensor;

    /**
     * A problem with a model file.
     *
     * @param file    the file at fault
     * @param tensor  the tensor at fault, or null when the problem is not about one tensor
     * @param problem what is wrong
     */
    public ModelFileException(Path file, String tensor, String problem) {
        this(file, tensor, problem, null);
    }

    /**
     * A problem with a model file, found through another exception.
     *
     * @param file    the file at fault
     * @param tensor  the tensor at fault, or null when the problem is not about one tensor
     * @param problem what is wrong
     * @param cause   the exception that revealed it
     */
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

    /** {@return the file at fault} */
    public Path file() {
        return file;
    }

    /** {@return the tensor at fault, or null when the problem is not about one tensor} */
    public String tensor() {
        return tensor;
    }
}
