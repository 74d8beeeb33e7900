package dev.rwkvjava.kernel.panama;

import static dev.rwkvjava.kernel.panama.PanamaConstants.I;
import static dev.rwkvjava.kernel.panama.PanamaConstants.S;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * F16 and BF16 bits to float32, a vector at a time, with integer operations (the Vector API has no half-float
 * lane conversion).
 *
 * <p>Two input forms exist. <em>Pairs</em>: an int lane holds two consecutive 16-bit values (one full-width load
 * covers 2 × LANES weights); the low halves are the even elements and the high halves the odd ones, so the caller
 * pairs them with x permuted into even/odd order. <em>Widened</em>: a half-width short load sign-extended into int
 * lanes, which keeps the natural element order (for converting BF16 rows into float arrays).
 *
 * <p>F16 in pairs is read <em>raised</em>: the half's sign, exponent and mantissa moved into float position and the
 * exponent field raised by 32, with no other arithmetic. Every half with a non-zero exponent field then reads as
 * its value times 2^-80, a normal float. The obvious alternative, the half's value times 2^-112, is exact for
 * subnormal halves too but makes them subnormal floats, and on Intel cores every vector operation that meets a
 * subnormal input takes a slow microcode assist, which even the few subnormal weights of a trained model make
 * the product's bottleneck. A half whose exponent field is zero (zero or
 * subnormal) reads as a wrong but known value, {@link #raisedF16Error} away from the right one; kernels correct
 * those few afterwards (see Matrix.zeroExponentHalves).
 */
final class HalfFloats {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Sign in bit 31, exponent and mantissa of the half in bits 27..13: the float32 layout, bias still 15. */
    private static final int F16_POSITIONED = 0x8FFF_E000;
    /** 32 in the float exponent field (bit 28), which the positioned bits leave clear. */
    private static final int F16_RAISE = 0x1000_0000;
    /** A raised half is the half's value times this. */
    static final float F16_RAISED_SCALE = 0x1p-80f;

    private HalfFloats() {
    }

    /**
     * {@link #F16_POSITIONED} in every lane, for the F16 decoding in MatVec; a loop makes it once. An AND with a vector
     * costs C2 fewer nodes than an AND with a scalar (which broadcasts it each time), and the F16 loops stay well
     * within C2's inlining budget (past it, vector operations become calls on boxed vectors, 50x slower).
     */
    static IntVector f16Mask(VectorSpecies<Integer> species) {
        return IntVector.broadcast(species, F16_POSITIONED);
    }

    /** {@link #F16_RAISE} in every lane, for the F16 decoding in MatVec; a loop makes it once. */
    static IntVector f16Raise(VectorSpecies<Integer> species) {
        return IntVector.broadcast(species, F16_RAISE);
    }

    /**
     * For a half whose exponent field is zero, its value minus what its raised reading stands for (the reading
     * times 2^80): a zero or subnormal half of mantissa m reads as ±2^-15 · (1 + m/1024) where it is ±2^-24 · m.
     * Exact in float.
     */
    static float raisedF16Error(short bits) {
        float e = (bits & 0x3FF) * 0x1p-25f - 0x1p-15f;
        return bits < 0 ? -e : e;
    }

    /** LANES 16-bit values at {@code byteOffset}, sign-extended into int lanes. */
    static IntVector loadWidened(MemorySegment data, long byteOffset) {
        return (IntVector) ShortVector.fromMemorySegment(S, data, byteOffset, LE)
                .convertShape(VectorOperators.S2I, I, 0);
    }
}
