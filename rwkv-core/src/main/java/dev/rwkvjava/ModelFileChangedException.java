package dev.rwkvjava;

import java.nio.file.Path;

/**
 * A loaded model's weights file was truncated or rewritten by another program while the model was mapping it. The
 * model cannot be used any more (every later call fails the same way); load the file again.
 */
public class ModelFileChangedException extends ModelFileException {
    /**
     * A mapped weights file that changed under the model.
     *
     * @param file    the file that changed
     * @param problem what changed
     * @param cause   the exception that revealed it, or null
     */
    public ModelFileChangedException(Path file, String problem, Throwable cause) {
        super(file, null, problem, cause);
    }
}
