package dev.rwkvjava.testutil;

import dev.rwkvjava.io.SafetensorsFile;
import dev.rwkvjava.io.SafetensorsWriter;
import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.tensor.WeightReader;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Model files rewritten for tests: read every tensor as float32, change some, write a new safetensors file. */
public final class ModelFiles {
    private ModelFiles() {
    }

    /** One tensor, values row-major. */
    public record Tensor(String name, long[] shape, float[] data) {
        public Tensor reshaped(long... newShape) {
            return new Tensor(name, newShape, data);
        }

        @Override
        public String toString() {
            return name + Arrays.toString(shape);
        }
    }

    /** All tensors of a model file, in file order. */
    public static List<Tensor> read(Path file) {
        List<Tensor> out = new ArrayList<>();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (TensorInfo t : f.tensors()) {
                out.add(new Tensor(t.name(), t.shape(), WeightReader.toFloatArray(f.data(t), t.dtype())));
            }
        }
        return out;
    }

    /** The tensor called name; fails when there is none. */
    public static Tensor get(List<Tensor> tensors, String name) {
        return tensors.stream().filter(t -> t.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no tensor " + name));
    }

    /** Replaces the tensor of the same name (in place, keeping the order). */
    public static void put(List<Tensor> tensors, Tensor t) {
        for (int i = 0; i < tensors.size(); i++) {
            if (tensors.get(i).name().equals(t.name())) {
                tensors.set(i, t);
                return;
            }
        }
        throw new AssertionError("no tensor " + t.name());
    }

    /** Writes the tensors as an F32 safetensors file. */
    public static Path write(Path file, List<Tensor> tensors) {
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        for (Tensor t : tensors) {
            entries.add(SafetensorsWriter.Entry.floats(t.name(), t.shape(), t.data()));
        }
        SafetensorsWriter.write(file, entries, Map.of("format", "pt"));
        return file;
    }
}
