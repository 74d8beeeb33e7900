package dev.rwkvjava.kernel.panama;

import dev.rwkvjava.kernel.VmFlags;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;


/**
 * Vector API state shared by the kernels. Kept apart from {@link PanamaKernels} so that nothing here runs before
 * the provider has decided to load the Vector API at all, and so that every species is a {@code static final}
 * constant: C2 only compiles vector code to SIMD instructions when the species is a constant.
 */
final class PanamaConstants {
    /** Forces a narrower vector shape, e.g. to test 128- and 256-bit code on an AVX-512 machine. */
    static final String BIT_SIZE_PROPERTY = "rwkv.vectorBitSize";
    /** {@code true}, {@code false} or {@code auto} (the default: whatever HotSpot's UseFMA says). */
    static final String FMA_PROPERTY = "rwkv.useFMA";

    static final int PREFERRED_BITS = VectorShape.preferredShape().vectorBitSize();
    static final int BITS = chooseBitSize();
    static final VectorSpecies<Float> F = VectorSpecies.of(float.class, VectorShape.forBitSize(BITS));
    static final VectorSpecies<Integer> I = F.withLanes(int.class);
    /** Half as wide as {@link #F} with as many lanes: F16/BF16 bits widen lane for lane into {@link #I}. */
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(BITS / 2));
    static final int LANES = F.length();
    /** Fused multiply-add is one instruction where the CPU has it, and emulated (very slowly) where it has not. */
    static final boolean FMA = useFma();

    private PanamaConstants() {
    }

    /** Half of F (F itself at 128 bits). The narrower vectors of the kernels (MatVec's FS and FH) are F or this. */
    static final VectorSpecies<Float> HALF_F = BITS >= 256
            ? VectorSpecies.of(float.class, VectorShape.forBitSize(BITS / 2)) : F;

    // Lane i with lane i ^ d, for the sums below (null where d is not below the lane count); constants, as C2
    // wants its shuffles.
    private static final VectorShuffle<Float> F_SWAP_8 = swap(F, 8);
    private static final VectorShuffle<Float> F_SWAP_4 = swap(F, 4);
    private static final VectorShuffle<Float> F_SWAP_2 = swap(F, 2);
    private static final VectorShuffle<Float> F_SWAP_1 = swap(F, 1);
    private static final int HALF_LANES = HALF_F.length();
    private static final VectorShuffle<Float> H_SWAP_4 = swap(HALF_F, 4);
    private static final VectorShuffle<Float> H_SWAP_2 = swap(HALF_F, 2);
    private static final VectorShuffle<Float> H_SWAP_1 = swap(HALF_F, 1);

    private static VectorShuffle<Float> swap(VectorSpecies<Float> species, int d) {
        return d < species.length() ? VectorShuffle.fromOp(species, i -> i ^ d) : null;
    }

    /**
     * The sum of an F vector's lanes (4 to 16 of them) as a fixed tree: each lane i plus lane i + LANES/2, then
     * those sums likewise at half the distance, down to one. Kernels reduce with this, not with reduceLanes(ADD):
     * the Vector API leaves the order of that sum to the implementation, and compiled code adds the lanes in
     * another order than the interpreter, so a kernel's results changed in the last bits as the JIT warmed up, and
     * from one run to the next (seen on AVX-512 and AVX2 alike: most sums of a product differed between its first
     * call and its compiled calls). Lane shuffles and lane-wise adds give the same bits in every tier.
     */
    static float sumF(FloatVector v) {
        if (LANES > 8) {
            v = v.add(v.rearrange(F_SWAP_8));
        }
        if (LANES > 4) {
            v = v.add(v.rearrange(F_SWAP_4));
        }
        v = v.add(v.rearrange(F_SWAP_2));
        return v.add(v.rearrange(F_SWAP_1)).lane(0);
    }

    /**
     * The sum of a HALF_F vector's lanes: the tree of {@link #sumF} after its first step, so that summing an F
     * vector's two halves added lane by lane gives sumF's bits.
     */
    static float sumHalf(FloatVector v) {
        if (HALF_F == F) {
            return sumF(v);
        }
        if (HALF_LANES > 4) {
            v = v.add(v.rearrange(H_SWAP_4));
        }
        v = v.add(v.rearrange(H_SWAP_2));
        return v.add(v.rearrange(H_SWAP_1)).lane(0);
    }

    /** acc + a · b, fused when {@link #FMA} says the CPU has it. */
    static FloatVector fma(FloatVector a, FloatVector b, FloatVector acc) {
        return FMA ? a.fma(b, acc) : a.mul(b).add(acc);
    }

    private static int chooseBitSize() {
        String value = System.getProperty(BIT_SIZE_PROPERTY);
        if (value == null || value.isBlank()) {
            if (PREFERRED_BITS < 128) {
                throw new UnsupportedOperationException("preferred vector size is only " + PREFERRED_BITS + " bits");
            }
            return PREFERRED_BITS;
        }
        int bits;
        try {
            bits = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + BIT_SIZE_PROPERTY + "=" + value + ": expected 128, 256 or 512");
        }
        if (bits != 128 && bits != 256 && bits != 512) {
            throw new IllegalArgumentException("-D" + BIT_SIZE_PROPERTY + "=" + value + ": expected 128, 256 or 512");
        }
        // A shape wider than the hardware's is emulated lane by lane: correct but hundreds of times slower.
        if (bits > PREFERRED_BITS) {
            throw new UnsupportedOperationException("-D" + BIT_SIZE_PROPERTY + "=" + bits
                    + " is wider than this CPU's " + PREFERRED_BITS + "-bit vectors");
        }
        return bits;
    }

    private static boolean useFma() {
        String value = System.getProperty(FMA_PROPERTY, "auto").trim();
        if (value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(value);
        }
        String useFma = VmFlags.value("UseFMA");
        // Not HotSpot or no management module: FMA is the common case on x86-64 and AArch64.
        return useFma == null || Boolean.parseBoolean(useFma);
    }
}
