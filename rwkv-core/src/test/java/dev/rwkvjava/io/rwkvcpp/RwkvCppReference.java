package dev.rwkvjava.io.rwkvcpp;

import dev.rwkvjava.testutil.ModelFiles;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The value an rwkv.cpp {@code .bin} tensor must hold, made from the BlinkDL tensors of the {@code .f32.safetensors}
 * model by the forward transforms of the data set's README, section 4.3: squeezed time-mix vectors, the v4 decay
 * stored as -exp(w), the v5 decay as exp(-exp(w)) and bonus as exp(u) with trailing unit dims, the v5.2 bonus
 * reshaped, the v7 x_rwkvag stack and the v7 LoRA matrices transposed.
 */
final class RwkvCppReference {
    /** Expected shape (PyTorch order), row-major values, and whether they come from a transcendental transform. */
    record Expected(long[] shape, float[] values, boolean transcendental) {
    }

    private static final Pattern LORA = Pattern.compile("blocks\\.\\d+\\.att\\.[wavg][12]");

    private final List<ModelFiles.Tensor> source;
    private final String version;
    private final int heads;
    private final Set<String> used = new HashSet<>();

    RwkvCppReference(List<ModelFiles.Tensor> source, String version, int heads) {
        this.source = source;
        this.version = version;
        this.heads = heads;
    }

    /** Names of the source tensors used so far. */
    Set<String> used() {
        return used;
    }

    Expected of(String name) {
        if (name.endsWith(".att.x_rwkvag")) {
            String prefix = name.substring(0, name.length() - "rwkvag".length());
            float[][] parts = new float[6][];
            String letters = "rwkvag";
            for (int i = 0; i < 6; i++) {
                parts[i] = get(prefix + letters.charAt(i)).data();
            }
            int c = parts[0].length;
            float[] out = new float[6 * c];
            for (int i = 0; i < 6; i++) {
                System.arraycopy(parts[i], 0, out, i * c, c);
            }
            return new Expected(new long[] {6, 1, c}, out, false);
        }
        if (LORA.matcher(name).matches()) {
            ModelFiles.Tensor t = get(name);
            int rows = (int) t.shape()[0];
            int cols = (int) t.shape()[1];
            float[] out = new float[rows * cols];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    out[c * rows + r] = t.data()[r * cols + c];
                }
            }
            return new Expected(new long[] {cols, rows}, out, false);
        }
        ModelFiles.Tensor t = get(name);
        float[] v = t.data();
        if (name.endsWith(".att.time_decay")) {
            float[] out = new float[v.length];
            for (int i = 0; i < v.length; i++) {
                float e = (float) Math.exp(v[i]);
                out[i] = version.equals("4") ? -e : (float) Math.exp(-e);
            }
            long[] shape = switch (version) {
                case "4" -> new long[] {v.length};
                case "5.0" -> new long[] {v.length, 1, 1};
                default -> new long[] {heads, v.length / heads, 1};
            };
            return new Expected(shape, out, true);
        }
        if (name.endsWith(".att.time_first") && version.equals("5.0")) {
            float[] out = new float[v.length];
            for (int i = 0; i < v.length; i++) {
                out[i] = (float) Math.exp(v[i]);
            }
            return new Expected(new long[] {v.length, 1, 1}, out, true);
        }
        if (name.endsWith(".att.time_faaaa")) {
            return new Expected(new long[] {heads, v.length / heads, 1}, v, false);
        }
        if (name.contains(".time_")) {
            return new Expected(new long[] {v.length}, v, false);
        }
        return new Expected(t.shape(), v, false);
    }

    private ModelFiles.Tensor get(String name) {
        used.add(name);
        return ModelFiles.get(source, name);
    }
}
