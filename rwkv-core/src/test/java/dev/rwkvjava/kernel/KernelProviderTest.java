package dev.rwkvjava.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.Matrix;
import dev.rwkvjava.tensor.WeightType;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * Which kernels the JVM gets. Surefire runs this twice: with the Vector API module (expect Panama) and in the
 * {@code scalar-fallback} execution without it, which sets {@code -Drwkv.expectKernels=scalar}.
 */
class KernelProviderTest {

    @Test
    void choosesTheExpectedKernels() {
        String expect = System.getProperty("rwkv.expectKernels", "panama");
        if (expect.equals("scalar")) {
            assertThat(KernelProvider.vectorModulePresent()).isFalse();
            assertThat(KernelProvider.get().name()).isEqualTo("scalar");
        } else {
            KernelTestSupport.panamaOrSkip();
            String bits = System.getProperty("rwkv.vectorBitSize");
            assertThat(KernelProvider.get().name())
                    .matches(bits == null ? "panama-(128|256|512) \\((no )?FMA\\)" : "panama-" + bits + " \\((no )?FMA\\)");
        }
    }

    @Test
    void refusesVectorCodeWithoutTheOptimizingCompiler() {
        String hotspot = "OpenJDK 64-Bit Server VM";
        assertThat(KernelProvider.optimizingCompilerOff(hotspot, "mixed mode, sharing", "4", "true")).isNull();
        assertThat(KernelProvider.optimizingCompilerOff("Java HotSpot(TM) 64-Bit Server VM", "mixed mode", null, null))
                .isNull();
        assertThat(KernelProvider.optimizingCompilerOff(hotspot, "mixed mode", "1", "true")).contains("TieredStopAtLevel=1");
        assertThat(KernelProvider.optimizingCompilerOff(hotspot, "interpreted mode, sharing", "4", "false"))
                .contains("-Xint");
        assertThat(KernelProvider.optimizingCompilerOff("Eclipse OpenJ9 VM", "", null, null)).contains("OpenJ9");
    }

    @Test
    void aJvmWithoutC2GetsTheScalarKernelsAndANotice() throws Exception {
        KernelTestSupport.panamaOrSkip();
        Path launcher = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(launcher.toString(), "--add-modules=jdk.incubator.vector", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), KernelNameMain.class.getName()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(err).isZero();
        assertThat(out.strip()).isEqualTo("scalar");
        assertThat(err).contains("TieredStopAtLevel=1").contains("using scalar kernels");
    }

    @Test
    void selectionIsMadeOnce() {
        assertThat(KernelProvider.get()).isSameAs(KernelProvider.get());
    }

    @Test
    void scalarKernelsPassTheSelfCheck() {
        assertThat(KernelSelfCheck.mismatch(new ScalarKernels())).isNull();
    }

    @Test
    void panamaKernelsPassTheSelfCheck() {
        assertThat(KernelSelfCheck.mismatch(KernelTestSupport.panamaOrSkip())).isNull();
    }

    @Test
    void selfCheckCatchesAWrongKernel() {
        Kernels broken = new Delegating(new ScalarKernels()) {
            @Override
            public void matVec(Matrix w, float[] x, int xOff, float[] y, int yOff, int rowStart, int rowEnd) {
                super.matVec(w, x, xOff, y, yOff, rowStart, rowEnd);
                y[yOff + rowEnd - 1] += 0.01f;
            }
        };
        assertThat(KernelSelfCheck.mismatch(broken)).startsWith("matVec F32 differs at 8");
    }

    @Test
    void forTypesGivesTheKernelsOfGet() {
        assertThat(KernelProvider.forTypes(List.of(WeightType.of(DType.BF16)))).isSameAs(KernelProvider.get());
    }

    @Test
    void theSelfCheckOfOneWeightTypeLooksAtThatTypeOnly() {
        Kernels broken = new Delegating(new ScalarKernels()) {
            @Override
            public void matVec(Matrix w, float[] x, int xOff, float[] y, int yOff, int rowStart, int rowEnd) {
                super.matVec(w, x, xOff, y, yOff, rowStart, rowEnd);
                if (w.type().dtype() == DType.BF16) {
                    y[yOff + rowStart] += 0.01f;
                }
            }
        };
        assertThat(KernelSelfCheck.matrixMismatch(broken, WeightType.of(DType.BF16))).startsWith("matVec BF16 differs");
        assertThat(KernelSelfCheck.matrixMismatch(broken, WeightType.of(DType.F32))).isNull();
        assertThat(KernelSelfCheck.matrixMismatch(broken, WeightType.of(DType.Q8_0))).isNull();
        assertThat(KernelSelfCheck.elementwiseMismatch(broken)).isNull();
        assertThat(KernelSelfCheck.mismatch(broken)).startsWith("matVec BF16 differs");
    }

    @Test
    void loadingAModelSelfChecksItsWeightTypesAndNoOthers() throws Exception {
        KernelTestSupport.panamaOrSkip();
        Path launcher = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(launcher.toString(), "--add-modules=jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), CheckedTypesMain.class.getName()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(err).isZero();
        List<String> lines = out.strip().lines().toList();
        assertThat(lines).as(out).hasSize(3);
        Set<String> checked = names(lines.get(0));
        Set<String> modelTypes = names(lines.get(1));
        assertThat(modelTypes).contains("BF16");
        // Every type the model holds, and F32 (the type of matrices computed at load), but nothing else.
        Set<String> expected = new TreeSet<>(modelTypes);
        expected.add("F32");
        assertThat(checked).isEqualTo(expected);
        assertThat(lines.get(2)).startsWith("panama-");
    }

    private static Set<String> names(String list) {
        String inner = list.strip().replaceAll("^\\[|\\]$", "");
        Set<String> s = new TreeSet<>();
        Arrays.stream(inner.split(",")).map(String::strip).filter(x -> !x.isEmpty()).forEach(s::add);
        return s;
    }

    /** Forwards everything, so a test can break one method. */
    private static class Delegating implements Kernels {
        private final Kernels k;

        Delegating(Kernels k) {
            this.k = k;
        }

        @Override
        public String name() {
            return "delegating";
        }

        @Override
        public void matVec(Matrix w, float[] x, int xOff, float[] y, int yOff, int rowStart, int rowEnd) {
            k.matVec(w, x, xOff, y, yOff, rowStart, rowEnd);
        }

        @Override
        public void matMat(Matrix w, float[] x, int xOff, int xStride, int n, float[] y, int yOff, int yStride,
                           int rowStart, int rowEnd, float[] scratch) {
            k.matMat(w, x, xOff, xStride, n, y, yOff, yStride, rowStart, rowEnd, scratch);
        }

        @Override
        public void readRow(Matrix w, int r, float[] out, int outOff) {
            k.readRow(w, r, out, outOff);
        }

        @Override
        public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
            return k.dot(a, aOff, b, bOff, n);
        }

        @Override
        public void layerNorm(float[] x, int xOff, float[] weight, float[] bias, float eps, float[] out, int outOff, int n) {
            k.layerNorm(x, xOff, weight, bias, eps, out, outOff, n);
        }

        @Override
        public void groupNorm(float[] x, int xOff, int groups, float[] weight, float[] bias, float eps, float[] out,
                              int outOff, int n) {
            k.groupNorm(x, xOff, groups, weight, bias, eps, out, outOff, n);
        }

        @Override
        public void lerp(float[] a, int aOff, float[] b, int bOff, float[] t, float[] out, int outOff, int n) {
            k.lerp(a, aOff, b, bOff, t, out, outOff, n);
        }

        @Override
        public void mul(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
            k.mul(a, aOff, b, bOff, out, outOff, n);
        }

        @Override
        public void addInPlace(float[] a, int aOff, float[] b, int bOff, int n) {
            k.addInPlace(a, aOff, b, bOff, n);
        }

        @Override
        public void sigmoidInPlace(float[] x, int off, int n) {
            k.sigmoidInPlace(x, off, n);
        }

        @Override
        public void reluSquareInPlace(float[] x, int off, int n) {
            k.reluSquareInPlace(x, off, n);
        }

        @Override
        public void wkv4(float[] k1, float[] v, int kvOff, float[] u, float[] w, float[] state, int aaOff, int bbOff,
                         int ppOff, float[] out, int outOff, int n) {
            k.wkv4(k1, v, kvOff, u, w, state, aaOff, bbOff, ppOff, out, outOff, n);
        }
    }
}
