package dev.rwkvjava.kernel;

import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.Matrix;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Maps one file of weights per weight type, runs the kernels on them ({@code args[1]} times first: 0 leaves them
 * interpreted, thousands get them compiled by C2), truncates every file to nothing and runs each product once more.
 * Prints one line per product: {@code fault <type> <product>} when it threw the InternalError of a faulting memory
 * access, {@code read <type> <product>} when it did not fault. A kernel that faults in a compiled method HotSpot does
 * not know to make such accesses kills the JVM instead; {@link TruncatedWeightsTest} runs this in a JVM of its own.
 */
public final class TruncatedWeightsMain {
    private TruncatedWeightsMain() {
    }

    private static final int ROWS = 16;
    private static final int COLS = 512;
    private static final int N = 4;

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        int warm = Integer.parseInt(args[1]);
        Kernels k = KernelProvider.get();
        System.out.println("kernels " + k.name());
        SplittableRandom rnd = new SplittableRandom(11);
        Arena arena = Arena.ofShared();
        List<DType> types = new ArrayList<>();
        List<Matrix> mapped = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        for (DType dtype : new DType[] {DType.F32, DType.F16, DType.BF16, DType.Q8_0, DType.Q4_0, DType.Q4_1, DType.Q5_0,
            DType.Q5_1, DType.Q4_K, DType.Q5_K, DType.Q6_K}) {
            Matrix m = KernelTestSupport.matrix(arena, rnd, dtype, ROWS, COLS);
            Path f = dir.resolve(dtype.name() + ".bin");
            Files.write(f, m.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            try (FileChannel ch = FileChannel.open(f)) {
                MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
                mapped.add(new Matrix(dtype.name(), seg, dtype, ROWS, COLS));
            }
            types.add(dtype);
            files.add(f);
        }
        float[] x = KernelTestSupport.uniform(rnd, N * COLS, -1, 1);
        float[] y = new float[N * ROWS];
        float[] row = new float[COLS];
        float[] scratch = new float[k.matMatScratchSize(COLS)];
        for (int i = 0; i < warm; i++) {
            for (Matrix m : mapped) {
                k.matVec(m, x, 0, y, 0, 0, ROWS);
                k.matMat(m, x, 0, COLS, N, y, 0, ROWS, 0, ROWS, scratch);
                k.readRow(m, i % ROWS, row, 0);
            }
        }
        for (Path f : files) {
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                ch.truncate(0);
            }
        }
        for (int t = 0; t < mapped.size(); t++) {
            Matrix m = mapped.get(t);
            report(types.get(t), "matVec", () -> k.matVec(m, x, 0, y, 0, 0, ROWS));
            report(types.get(t), "matMat", () -> k.matMat(m, x, 0, COLS, N, y, 0, ROWS, 0, ROWS, scratch));
            report(types.get(t), "readRow", () -> k.readRow(m, 3, row, 0));
        }
        System.out.println("done");
    }

    private static void report(DType type, String product, Runnable r) {
        try {
            r.run();
            System.out.println("read " + type + " " + product);
        } catch (InternalError e) {
            System.out.println("fault " + type + " " + product + ": " + e.getMessage());
        }
    }
}
