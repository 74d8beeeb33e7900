package dev.rwkvjava.cli;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.LoadMode;
import dev.rwkvjava.tensor.WeightType;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** How the commands that load a model run it: worker threads, how its weights come into memory, quantization. */
final class LoadOptions {

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Worker threads (default: all processors).")
    Integer threads;

    @Option(names = "--no-mmap",
            description = "Read the weights file into memory instead of mapping it: slower to load, and on some "
                    + "systems faster to decode large models.")
    boolean noMmap;

    @Option(names = "--quantize", paramLabel = "TYPE", converter = WeightTypeConverter.class,
            description = "Quantize the weights on load (F32, F16 and BF16 files): q8_0, q4_0, q4_1, q5_0, q5_1, "
                    + "q4_k, q5_k, q6_k, or f16, bf16, f32. The projections and the head are converted (the head "
                    + "to q6_k for the 4- and 5-bit types); the embedding, low-rank factors, vectors and rows that "
                    + "are not whole blocks stay as stored.")
    WeightType quantize;

    LoadMode loadMode() {
        return noMmap ? LoadMode.READ : LoadMode.MAP;
    }

    /** The model's load options; a thread count the engine refuses is reported as the --threads option's. */
    RwkvModel.Options options() {
        RwkvModel.Options opts = RwkvModel.Options.defaults().withLoadMode(loadMode()).withQuantize(quantize == null ? null : quantize.toString());
        if (threads == null) {
            return opts;
        }
        try {
            return opts.withThreads(threads);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--threads: " + e.getMessage(), e);
        }
    }

    /** A weight type by its lower-case ggml name; an unknown name is a usage mistake that lists the known ones. */
    static final class WeightTypeConverter implements CommandLine.ITypeConverter<WeightType> {
        @Override
        public WeightType convert(String value) {
            try {
                return WeightType.named(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
