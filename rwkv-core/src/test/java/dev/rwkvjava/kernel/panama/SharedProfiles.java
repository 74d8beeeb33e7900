package dev.rwkvjava.kernel.panama;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Fills the type profiles of the Vector API's shared code with vectors of one shape, as other code in the same JVM
 * does (this engine's F32 kernels load half-width vectors; an application may use the Vector API elsewhere).
 * Convenience methods such as {@code add}, {@code mul} or {@code intoArray} are final and call the vector's class
 * virtually inside; when C2 does not know a receiver's exact class, it follows those profiles, and a profile that
 * names another shape makes it compile a kernel against the wrong class and box its vectors.
 */
public final class SharedProfiles {
    private SharedProfiles() {
    }

    /** Runs the common float and int operations on vectors of {@code bits} bits, {@code rounds} times. */
    public static void fill(int bits, int rounds) {
        VectorShape shape = VectorShape.forBitSize(bits);
        VectorSpecies<Float> fs = VectorSpecies.of(float.class, shape);
        VectorSpecies<Integer> is = VectorSpecies.of(int.class, shape);
        float[] f = new float[2 * fs.length()];
        int[] n = new int[2 * is.length()];
        for (int i = 0; i < f.length; i++) {
            f[i] = i * 0.25f;
        }
        for (int i = 0; i < n.length; i++) {
            n[i] = i;
        }
        for (int round = 0; round < rounds; round++) {
            FloatVector a = FloatVector.fromArray(fs, f, 0);
            a.add(a).mul(a).sub(a).mul(2f).add(1f).fma(a, a).max(a).min(a).intoArray(f, fs.length());
            IntVector v = IntVector.fromArray(is, n, 0);
            v.and(v).or(v).add(v).sub(v).and(15).or(1).lanewise(VectorOperators.LSHR, 1).intoArray(n, is.length());
            f[0] = f[fs.length()] * 0x1p-30f + ((FloatVector) v.convert(VectorOperators.I2F, 0)).add(a).lane(0) * 0x1p-30f;
            n[0] = n[is.length()] & 7;
        }
    }
}
