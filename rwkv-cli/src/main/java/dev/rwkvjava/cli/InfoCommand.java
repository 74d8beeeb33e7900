package dev.rwkvjava.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rwkvjava.ModelInfo;
import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.tensor.WeightType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code rwkv info}: what a model file is. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Show a model's version, dimensions, weight types and size.")
final class InfoCommand implements Callable<Integer> {

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE",
            description = "Weights file (.safetensors) or a directory holding one.")
    Path model;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Option(names = "--quantize", paramLabel = "TYPE", converter = LoadOptions.WeightTypeConverter.class,
            description = "Show the model as quantized on load to TYPE (q8_0, q4_0, ...; see the other commands' "
                    + "--quantize): the weight types then count the converted tensors under TYPE.")
    WeightType quantize;

    @Override
    public Integer call() throws Exception {
        RwkvModel.Options options = RwkvModel.Options.defaults().withThreads(1).withMaxChunk(1).withQuantize(quantize == null ? null : quantize.toString());
        try (RwkvModel m = RwkvModel.load(model, options)) {
            ModelInfo i = m.info();
            if (json) {
                ObjectMapper om = new ObjectMapper();
                ObjectNode o = om.createObjectNode();
                o.put("file", i.path().toString());
                o.put("version", i.version().label());
                o.put("format", i.format());
                o.put("naming", i.naming());
                o.put("n_embd", i.nEmbd());
                o.put("n_layer", i.nLayer());
                o.put("n_head", i.heads());
                o.put("head_size", i.headSize());
                o.put("vocab_size", i.vocabSize());
                o.put("ffn_size", i.ffnSize());
                ObjectNode d = o.putObject("dtypes");
                i.dtypes().forEach(d::put);
                if (i.quantization() != null) {
                    o.put("quantization", i.quantization());
                    o.put("quantization_head", i.quantizationHead());
                    o.put("quantized_tensors", i.quantized());
                    o.put("kept_for_shape", i.keptForShape());
                }
                o.put("parameters", i.parameterCount());
                o.put("file_bytes", i.fileSize());
                System.out.println(om.writeValueAsString(o));
            } else {
                System.out.printf(Locale.ROOT, "file          %s%n", i.path());
                System.out.printf(Locale.ROOT, "version       RWKV %s%n", i.version().label());
                System.out.printf(Locale.ROOT, "format        %s%n", i.format());
                System.out.printf(Locale.ROOT, "naming        %s%n", i.naming());
                System.out.printf(Locale.ROOT, "n_embd        %d%n", i.nEmbd());
                System.out.printf(Locale.ROOT, "n_layer       %d%n", i.nLayer());
                System.out.printf(Locale.ROOT, "heads         %s%n", i.heads() == 0 ? "none (RWKV-4 attention is per channel)"
                        : i.heads() + " x " + i.headSize());
                System.out.printf(Locale.ROOT, "vocab         %d%n", i.vocabSize());
                System.out.printf(Locale.ROOT, "ffn           %d%n", i.ffnSize());
                System.out.printf(Locale.ROOT, "dtypes        %s%n", formatDtypes(i.dtypes()));
                if (i.quantization() != null) {
                    System.out.printf(Locale.ROOT, "quantized     %s on load: %d tensors%s%n", i.quantization()
                            + (i.quantization().equals(i.quantizationHead()) ? ""
                                    : i.quantizationHead() == null ? " (head kept as stored)"
                                    : " (head " + i.quantizationHead() + ")"),
                            i.quantized(), i.keptForShape() == 0 ? "" : "; " + i.keptForShape()
                                    + " kept as stored (rows not whole blocks)");
                }
                System.out.printf(Locale.ROOT, "parameters    %,d (%.1f M)%n", i.parameterCount(), i.parameterCount() / 1e6);
                System.out.printf(Locale.ROOT, "file size     %,d bytes (%.1f MiB)%n", i.fileSize(), i.fileSize() / 1048576.0);
            }
        }
        return 0;
    }

    private static String formatDtypes(Map<String, Integer> d) {
        StringBuilder sb = new StringBuilder();
        d.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : ", ").append(k).append(" (").append(v)
                .append(v == 1 ? " tensor)" : " tensors)"));
        return sb.toString();
    }
}
