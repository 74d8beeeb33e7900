package dev.rwkvjava.model.v7;

import dev.rwkvjava.io.SafetensorsFile;
import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.tensor.WeightReader;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;

/**
 * An RWKV-7 forward pass in float64, token by token, written from the formulas of the test data's README (section 5)
 * and nothing else: it shares no code with the engine's forward passes or kernels. The float32 weights are widened
 * to double once; every product, sum, norm and transcendental after that is double. Slow and plain on purpose: it is
 * the yardstick that both the float32 engine and the float32 reference are measured against.
 *
 * <p>Handles plain RWKV-7 and RWKV-7 DeepEmbed. The state is a list of double arrays in the reference's order and
 * layout (section 7): per layer i, {@code [3i]} the time-mix x_prev [C], {@code [3i+1]} the wkv state [H, N, N]
 * indexed [head, value, key], {@code [3i+2]} the channel-mix x_prev [C].
 */
final class V7Float64Oracle {
    static final double LAYER_NORM_EPS = 1e-5;
    static final double GROUP_NORM_EPS = 64e-5;
    static final double NORMALIZE_EPS = 1e-12;
    static final double DECAY_SCALE = 0.606531;

    private final Map<String, double[]> weights = new HashMap<>();
    final int c, heads, n, layers, ffn;
    private final boolean deepEmbed;

    private V7Float64Oracle(Path file) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (TensorInfo t : f.tensors()) {
                float[] values = WeightReader.toFloatArray(f.data(t), t.dtype());
                double[] d = new double[values.length];
                for (int i = 0; i < d.length; i++) {
                    d[i] = values[i];
                }
                weights.put(t.name(), d);
            }
            TensorInfo emb = f.find("emb.weight");
            TensorInfo rk = f.find("blocks.0.att.r_k");
            c = (int) emb.dim(1);
            heads = (int) rk.dim(0);
            n = (int) rk.dim(1);
            ffn = (int) f.find("blocks.0.ffn.key.weight").dim(0);
        }
        int l = 0;
        while (weights.containsKey("blocks." + l + ".ln1.weight")) {
            l++;
        }
        layers = l;
        deepEmbed = weights.containsKey("blocks.0.ffn.s_emb.weight");
    }

    static V7Float64Oracle load(Path file) {
        return new V7Float64Oracle(file);
    }

    /** The zero state. */
    double[][] newState() {
        double[][] s = new double[3 * layers][];
        for (int i = 0; i < layers; i++) {
            s[3 * i] = new double[c];
            s[3 * i + 1] = new double[heads * n * n];
            s[3 * i + 2] = new double[c];
        }
        return s;
    }

    /** A state given as the reference stores it (e.g. a case's {@code init_state.*}). */
    double[][] state(List<float[]> reference) {
        double[][] s = newState();
        for (int i = 0; i < s.length; i++) {
            s[i] = widen(reference.get(i));
        }
        return s;
    }

    /** Feeds one token: updates the state and returns the logits [V]. */
    double[] forward(int token, double[][] state) {
        double[] e = layerNorm(row(w("emb.weight"), token, c), "blocks.0.ln0");
        double[] x = e.clone();
        double[] vFirst = null;
        for (int i = 0; i < layers; i++) {
            String p = "blocks." + i + ".";
            double[][] att = timeMix(i, layerNorm(x, p + "ln1"), state, vFirst);
            addInPlace(x, att[0]);
            vFirst = att[1];
            addInPlace(x, channelMix(i, layerNorm(x, p + "ln2"), state, token, e));
        }
        return linear(w("head.weight"), layerNorm(x, "ln_out"));
    }

    /** Returns {time-mix output [C], v_first [C]}. xIn is the ln1 output. */
    private double[][] timeMix(int layer, double[] xIn, double[][] state, double[] vFirst) {
        String p = "blocks." + layer + ".att.";
        double[] prev = state[3 * layer];
        double[] xr = shift(xIn, prev, w(p + "x_r"));
        double[] xw = shift(xIn, prev, w(p + "x_w"));
        double[] xk = shift(xIn, prev, w(p + "x_k"));
        double[] xv = shift(xIn, prev, w(p + "x_v"));
        double[] xa = shift(xIn, prev, w(p + "x_a"));
        double[] xg = shift(xIn, prev, w(p + "x_g"));
        state[3 * layer] = xIn.clone();

        double[] r = linear(w(p + "receptance.weight"), xr);
        double[] k = linear(w(p + "key.weight"), xk);
        double[] v = linear(w(p + "value.weight"), xv);

        // Low-rank parts: row vector times [C, D], then times [D, C].
        double[] wLog = lora(xw, p + "w1", p + "w2", Math::tanh);
        double[] aLog = lora(xa, p + "a1", p + "a2", z -> z);
        double[] g = lora(xg, p + "g1", p + "g2", V7Float64Oracle::sigmoid);
        double[] w0 = w(p + "w0"), a0 = w(p + "a0"), kK = w(p + "k_k"), kA = w(p + "k_a");
        double[] decay = new double[c], a = new double[c], kk = new double[c];
        for (int j = 0; j < c; j++) {
            decay[j] = Math.exp(-DECAY_SCALE * sigmoid(w0[j] + wLog[j]));
            a[j] = sigmoid(a0[j] + aLog[j]);
            kk[j] = k[j] * kK[j];
        }
        for (int h = 0; h < heads; h++) {
            // F.normalize: x / max(‖x‖₂, eps), per head.
            double sq = 0;
            for (int j = h * n; j < (h + 1) * n; j++) {
                sq += kk[j] * kk[j];
            }
            double norm = Math.max(Math.sqrt(sq), NORMALIZE_EPS);
            for (int j = h * n; j < (h + 1) * n; j++) {
                kk[j] /= norm;
            }
        }
        for (int j = 0; j < c; j++) {
            k[j] *= 1 + (a[j] - 1) * kA[j];
        }
        if (layer == 0) {
            vFirst = v.clone();
        } else {
            double[] vMix = lora(xv, p + "v1", p + "v2", z -> z);
            double[] v0 = w(p + "v0");
            for (int j = 0; j < c; j++) {
                v[j] += (vFirst[j] - v[j]) * sigmoid(v0[j] + vMix[j]);
            }
        }

        // Per head, S[i][j] with i a value channel and j a key channel:
        // S = S·diag(decay) − (S·kk)(kk·a)ᵀ + v kᵀ, then y = S r.
        double[] s = state[3 * layer + 1];
        double[] y = new double[c];
        for (int h = 0; h < heads; h++) {
            int ch = h * n;
            for (int i = 0; i < n; i++) {
                int row = (ch + i) * n;
                double sKk = 0;
                for (int j = 0; j < n; j++) {
                    sKk += s[row + j] * kk[ch + j];
                }
                double out = 0;
                for (int j = 0; j < n; j++) {
                    s[row + j] = s[row + j] * decay[ch + j] - sKk * kk[ch + j] * a[ch + j] + v[ch + i] * k[ch + j];
                    out += s[row + j] * r[ch + j];
                }
                y[ch + i] = out;
            }
        }

        // ln_x: group norm with one group per head, then the bonus (Σ_head r·k·r_k)·v.
        double[] lw = w(p + "ln_x.weight"), lb = w(p + "ln_x.bias"), rK = w(p + "r_k");
        for (int h = 0; h < heads; h++) {
            int ch = h * n;
            double[] group = normalise(y, ch, n, GROUP_NORM_EPS);
            double bonus = 0;
            for (int j = 0; j < n; j++) {
                bonus += r[ch + j] * k[ch + j] * rK[ch + j];
            }
            for (int j = 0; j < n; j++) {
                y[ch + j] = group[j] * lw[ch + j] + lb[ch + j] + bonus * v[ch + j];
            }
        }
        for (int j = 0; j < c; j++) {
            y[j] *= g[j];
        }
        return new double[][] {linear(w(p + "output.weight"), y), vFirst};
    }

    /** xIn is the ln2 output; e the token's embedding after ln0 (DeepEmbed only). */
    private double[] channelMix(int layer, double[] xIn, double[][] state, int token, double[] e) {
        String p = "blocks." + layer + ".ffn.";
        double[] xk = shift(xIn, state[3 * layer + 2], w(p + "x_k"));
        state[3 * layer + 2] = xIn.clone();
        double[] hidden = linear(w(p + "key.weight"), xk);
        for (int f = 0; f < ffn; f++) {
            hidden[f] = hidden[f] > 0 ? hidden[f] * hidden[f] : 0;
        }
        if (deepEmbed) {
            double[] gate = deepEmbedGate(p, xIn, token, e);
            for (int f = 0; f < ffn; f++) {
                hidden[f] *= gate[f];
            }
        }
        return linear(w(p + "value.weight"), hidden);
    }

    /**
     * DeepEmbed FFN gate (section 5): the token's matrix M = s_emb[t] + s_emb_x·e as R×R row-major, then
     * gate = s2ᵀ(Mᵀ(s1ᵀ x)) + s0.
     */
    private double[] deepEmbedGate(String p, double[] x, int token, double[] e) {
        int rank = w(p + "s1").length / c;
        double[] m = row(w(p + "s_emb.weight"), token, rank * rank);
        addInPlace(m, linear(w(p + "s_emb_x.weight"), e));
        double[] y = rowTimes(x, w(p + "s1"), rank);
        double[] u = rowTimes(y, m, rank);
        double[] gate = rowTimes(u, w(p + "s2"), ffn);
        addInPlace(gate, w(p + "s0"));
        return gate;
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private double[] w(String name) {
        double[] t = weights.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no tensor " + name);
        }
        return t;
    }

    /** x + (prev − x)·mix. */
    private static double[] shift(double[] x, double[] prev, double[] mix) {
        double[] out = new double[x.length];
        for (int j = 0; j < x.length; j++) {
            out[j] = x[j] + (prev[j] - x[j]) * mix[j];
        }
        return out;
    }

    /** LayerNorm of x with the tensors {@code prefix.weight} and {@code prefix.bias}. */
    private double[] layerNorm(double[] x, String prefix) {
        double[] z = normalise(x, 0, x.length, LAYER_NORM_EPS);
        double[] weight = w(prefix + ".weight"), bias = w(prefix + ".bias");
        for (int j = 0; j < z.length; j++) {
            z[j] = z[j] * weight[j] + bias[j];
        }
        return z;
    }

    /** (x − mean) / sqrt(var + eps) over x[off .. off + len), with the biased variance. */
    private static double[] normalise(double[] x, int off, int len, double eps) {
        double mean = 0;
        for (int j = 0; j < len; j++) {
            mean += x[off + j];
        }
        mean /= len;
        double var = 0;
        for (int j = 0; j < len; j++) {
            double d = x[off + j] - mean;
            var += d * d;
        }
        var /= len;
        double scale = 1 / Math.sqrt(var + eps);
        double[] out = new double[len];
        for (int j = 0; j < len; j++) {
            out[j] = (x[off + j] - mean) * scale;
        }
        return out;
    }

    /** W·x for a Linear weight W [out, in] stored row-major. */
    private static double[] linear(double[] w, double[] x) {
        int in = x.length;
        double[] y = new double[w.length / in];
        for (int o = 0; o < y.length; o++) {
            double s = 0;
            for (int i = 0; i < in; i++) {
                s += w[o * in + i] * x[i];
            }
            y[o] = s;
        }
        return y;
    }

    /** Row vector x times M [x.length, cols] stored row-major. */
    private static double[] rowTimes(double[] x, double[] m, int cols) {
        double[] y = new double[cols];
        for (int i = 0; i < x.length; i++) {
            for (int o = 0; o < cols; o++) {
                y[o] += x[i] * m[i * cols + o];
            }
        }
        return y;
    }

    /** f(x·first)·second for the low-rank pair first [C, D], second [D, C]. */
    private double[] lora(double[] x, String first, String second, DoubleUnaryOperator f) {
        double[] down = w(first);
        double[] mid = rowTimes(x, down, down.length / c);
        for (int i = 0; i < mid.length; i++) {
            mid[i] = f.applyAsDouble(mid[i]);
        }
        return rowTimes(mid, w(second), c);
    }

    private static double[] row(double[] m, int r, int cols) {
        double[] out = new double[cols];
        System.arraycopy(m, r * cols, out, 0, cols);
        return out;
    }

    private static void addInPlace(double[] a, double[] b) {
        for (int j = 0; j < a.length; j++) {
            a[j] += b[j];
        }
    }

    static double sigmoid(double z) {
        return 1 / (1 + Math.exp(-z));
    }

    static double[] widen(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }
}
