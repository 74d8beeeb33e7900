package dev.rwkvjava.model.naming;

import dev.rwkvjava.ModelFileException;
import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.io.TensorStore;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * rwkv.cpp's {@code .bin} files: BlinkDL names, but tensors as its converter leaves them. Vectors are squeezed
 * (shape only); some values are stored as the recurrence uses them (RWKV-4's decay as −exp(w), RWKV-5's as
 * exp(−exp(w)) and its 5.0/5.1 bonus as exp(u)), and are turned back at load; RWKV-6's and RWKV-7's low-rank
 * factors are transposed (RWKV-7's used in place); RWKV-7's six token-shift vectors are fused into
 * {@code att.x_rwkvag} (parts, used as slices).
 */
public final class RwkvCppNaming implements NamingFamily {
    static final RwkvCppNaming INSTANCE = new RwkvCppNaming();

    private static final Pattern BLOCK = Pattern.compile("blocks\\.(\\d+)\\.(.+)");
    private static final String[] V7_LERPS = {"x_r", "x_w", "x_k", "x_v", "x_a", "x_g"};
    private static final Set<String> V7_TRANSPOSED = Set.of("att.w1", "att.w2", "att.a1", "att.a2", "att.v1",
            "att.v2", "att.g1", "att.g2");
    private static final Set<String> V6_TRANSPOSED = Set.of("att.time_maa_w1", "att.time_maa_w2",
            "att.time_decay_w1", "att.time_decay_w2");

    /** The generations whose stored forms differ. */
    private enum Kind { V4, V5, V6, V7 }

    private RwkvCppNaming() {
    }

    @Override
    public String label() {
        return "rwkv.cpp";
    }

    @Override
    public List<CanonicalTensor> canonical(TensorStore store) {
        Kind kind = kind(store);
        List<CanonicalTensor> out = new ArrayList<>();
        for (TensorInfo t : store.tensors()) {
            Matcher m = BLOCK.matcher(t.name());
            if (!m.matches()) {
                out.add(CanonicalTensor.same(t.name(), t));
                continue;
            }
            String prefix = "blocks." + m.group(1) + ".";
            String rest = m.group(2);
            long n = t.elementCount();
            if (kind == Kind.V7 && rest.equals("att.x_rwkvag")) {
                if (t.dim(0) != V7_LERPS.length || n % V7_LERPS.length != 0) {
                    throw new ModelFileException(store.path(), t.name(), "shape " + t.shapeString()
                            + " where [6, 1, C] was expected");
                }
                for (int i = 0; i < V7_LERPS.length; i++) {
                    out.add(new CanonicalTensor(prefix + "att." + V7_LERPS[i], new long[] {1, 1, n / 6}, t,
                            new Layout.Part(i, V7_LERPS.length)));
                }
            } else if ((kind == Kind.V7 ? V7_TRANSPOSED : kind == Kind.V6 ? V6_TRANSPOSED : Set.of()).contains(rest)
                    && t.rank() >= 2) {
                long[] s = t.shape();
                long last = s[s.length - 1];
                s[s.length - 1] = s[s.length - 2];
                s[s.length - 2] = last;
                out.add(new CanonicalTensor(t.name(), s, t, Layout.TRANSPOSED));
            } else if (rest.equals("att.time_decay") && kind == Kind.V4) {
                out.add(new CanonicalTensor(t.name(), new long[] {n}, t, new Layout.Stored(Layout.ValueForm.NEG_EXP)));
            } else if (rest.equals("att.time_decay") && kind == Kind.V5) {
                out.add(new CanonicalTensor(t.name(), headShape(t), t, new Layout.Stored(Layout.ValueForm.EXP_NEG_EXP)));
            } else if (rest.equals("att.time_first") && kind == Kind.V5) {
                out.add(new CanonicalTensor(t.name(), headShape(t), t, new Layout.Stored(Layout.ValueForm.EXP)));
            } else if (rest.equals("att.time_faaaa")) {
                out.add(new CanonicalTensor(t.name(), headShape(t), t, Layout.SAME));
            } else if (t.rank() >= 2 && t.dim(t.rank() - 1) == 1 || t.rank() == 3 && t.dim(0) == 1) {
                // A squeezed or padded vector: [C] is what the loader reads either way.
                out.add(new CanonicalTensor(t.name(), new long[] {n}, t, Layout.SAME));
            } else {
                out.add(CanonicalTensor.same(t.name(), t));
            }
        }
        return out;
    }

    /** [H, N, 1] or [H, 1, 1] as the BlinkDL per-head shape: [H, N], or [H] when N is 1. */
    private static long[] headShape(TensorInfo t) {
        long[] s = t.shape();
        if (s.length == 3 && s[2] == 1) {
            return s[1] == 1 ? new long[] {s[0]} : new long[] {s[0], s[1]};
        }
        return s;
    }

    private static Kind kind(TensorStore store) {
        boolean v6 = false;
        boolean v5 = false;
        for (TensorInfo t : store.tensors()) {
            String n = t.name();
            if (n.endsWith(".att.x_rwkvag") || n.endsWith(".att.r_k")) {
                return Kind.V7;
            }
            v6 |= n.contains(".att.time_maa_");
            v5 |= n.endsWith(".att.ln_x.weight");
        }
        return v6 ? Kind.V6 : v5 ? Kind.V5 : Kind.V4;
    }
}
