package dev.rwkvjava.cli;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.synthetic.SyntheticModels;
import dev.rwkvjava.tensor.DType;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The training run of the ahead-of-time cache that the build ships beside the jar ({@code rwkv.aot}, made with
 * {@code -XX:AOTCacheOutput}): what a short command line session does, on small synthetic models of each float
 * weight type, so that the cache holds the classes those commands load and the profiles of the code they run.
 * Not a command; the build runs it as {@code java -cp rwkv.jar dev.rwkvjava.cli.AotTraining}.
 */
public final class AotTraining {
    private AotTraining() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Files.createTempDirectory("rwkv-aot-training");
        PrintStream out = System.out;
        PrintStream err = System.err;
        System.setOut(new PrintStream(OutputStream.nullOutputStream()));
        System.setErr(new PrintStream(OutputStream.nullOutputStream()));
        int failures = 0;
        try {
            for (String shape : new String[] {"v4-tiny", "v7-tiny"}) {
                for (DType type : new DType[] {DType.F32, DType.BF16, DType.F16}) {
                    Path model = dir.resolve(shape + "-" + type + ".safetensors");
                    SyntheticModels.write(SyntheticModels.spec(shape), type, 1, model);
                    String m = model.toString();
                    failures += Main.execute("info", "--model", m) != 0 ? 1 : 0;
                    failures += Main.execute("generate", "--model", m, "--prompt-ids",
                            "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", "-n", "48", "--ignore-eos") != 0 ? 1 : 0;
                    failures += Main.execute("generate", "--model", m, "--prompt-ids", "3,4,5", "-n", "16",
                            "--temperature", "0.8", "--top-p", "0.9", "--seed", "1", "--json") != 0 ? 1 : 0;
                    // The kernel warm-up is opt-in; its classes belong in the cache too.
                    System.setProperty(RwkvModel.Options.WARMUP_PROPERTY, "true");
                    try {
                        failures += Main.execute("generate", "--model", m, "--prompt-ids", "5,6", "-n", "4",
                                "--ignore-eos") != 0 ? 1 : 0;
                    } finally {
                        System.clearProperty(RwkvModel.Options.WARMUP_PROPERTY);
                    }
                }
            }
        } finally {
            System.setOut(out);
            System.setErr(err);
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
        if (failures > 0) {
            System.err.println("rwkv AOT training: " + failures + " commands failed");
            System.exit(1);
        }
    }
}
