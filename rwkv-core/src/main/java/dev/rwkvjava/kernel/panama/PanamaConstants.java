package dev.rwkvjava.kernel.panama;

import dev.rwkvjava.kernel.VmFlags;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
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
