package dev.rwkvjava.kernel.panama;

import static dev.rwkvjava.kernel.panama.PanamaConstants.F;
import static dev.rwkvjava.kernel.panama.PanamaConstants.I;
import static dev.rwkvjava.kernel.panama.PanamaConstants.LANES;
import static dev.rwkvjava.kernel.panama.PanamaConstants.S;

import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.WeightReader;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * F16 and BF16 bits to float32, a vector at a time, with integer operations only (the Vector API has no
 * half-float lane conversion). Both conversions are exact for all 65,536 inputs: F16 subnormals, infinities and
 * NaNs included; NaN payloads are kept.
 *
 * <p>Two input forms exist. <em>Pairs</em>: an int lane holds two consecutive 16-bit values (one full-width load
 * covers 2 × LANES weights); the low halves are the even elements and the high halves the odd ones, so the caller
 * pairs them with x permuted into even/odd order. <em>Widened</em>: a half-width short load sign-extended into int
 * lanes, which keeps the natural element order (for converting rows into float arrays).
 */
final class HalfFloats {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Sign in bit 31, exponent and mantissa of the half in bits 27..13: the float32 layout, bias still 15. */
    private static final int F16_POSITIONED = 0x8FFF_E000;
    /** The half's exponent field all ones (infinity or NaN), in the positioned layout. */
    private static final int F16_EXPONENT_ALL_ONES = 0x1F << 23;
    /** 2^(127 - 15): moves the exponent bias from 15 to 127; the product is exact, subnormal halves included. */
    private static final float F16_REBIAS = 0x1p112f;

    private HalfFloats() {
    }

    /** BF16 in the low half of each lane (the even elements of a pair load). */
    static FloatVector bf16Low(IntVector pairs) {
        return pairs.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** BF16 in the high half of each lane (the odd elements of a pair load). */
    static FloatVector bf16High(IntVector pairs) {
        return pairs.lanewise(VectorOperators.AND, 0xFFFF_0000).reinterpretAsFloats();
    }

    /**
     * {@link #F16_POSITIONED} in every lane, for the F16 decoders below; a loop makes it once. An AND with a vector
     * costs C2 fewer nodes than an AND with a scalar (which broadcasts it each time), and the F16 loops stay well
     * within C2's inlining budget (past it, vector operations become calls on boxed vectors, 50x slower).
     */
    static IntVector f16Mask(VectorSpecies<Integer> species) {
        return IntVector.broadcast(species, F16_POSITIONED);
    }

    /** F16 in the low half of each lane; {@code mask} from {@link #f16Mask}. */
    static FloatVector f16Low(IntVector pairs, IntVector mask) {
        return f16Positioned(f16LowPositioned(pairs, mask).reinterpretAsInts());
    }

    /** F16 in the high half of each lane; {@code mask} from {@link #f16Mask}. */
    static FloatVector f16High(IntVector pairs, IntVector mask) {
        return f16Positioned(f16HighPositioned(pairs, mask).reinterpretAsInts());
    }

    /**
     * The low halves moved into float position without rebiasing: each lane is the half's value times 2^-112
     * (exact, subnormals included; an infinite or NaN half becomes a finite value of at least 2^-96).
     */
    static FloatVector f16LowPositioned(IntVector pairs, IntVector mask) {
        // Shift the half to the top, then arithmetic-shift back by 3 so the sign stays in bit 31.
        return pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(mask)
                .reinterpretAsFloats();
    }

    /** {@link #f16LowPositioned} for the high halves. */
    static FloatVector f16HighPositioned(IntVector pairs, IntVector mask) {
        return pairs.lanewise(VectorOperators.ASHR, 3).and(mask).reinterpretAsFloats();
    }

    /** F16 sign-extended from 16 to 32 bits in each lane (bits 31..16 all equal the sign). */
    static FloatVector f16Widened(IntVector widened) {
        return f16Positioned(widened.lanewise(VectorOperators.LSHL, 13).lanewise(VectorOperators.AND, F16_POSITIONED));
    }

    private static FloatVector f16Positioned(IntVector positioned) {
        IntVector rebiased = positioned.reinterpretAsFloats().mul(F16_REBIAS).reinterpretAsInts();
        // Infinity and NaN (half exponent all ones): set the float exponent to all ones; the mantissa (NaN
        // payload) is already in place.
        VectorMask<Integer> infOrNan = positioned.lanewise(VectorOperators.AND, 0x7FFF_FFFF)
                .compare(VectorOperators.GE, F16_EXPONENT_ALL_ONES);
        return rebiased.lanewise(VectorOperators.OR, 0x7F80_0000, infOrNan).reinterpretAsFloats();
    }

    /** LANES 16-bit values at {@code byteOffset}, sign-extended into int lanes. */
    static IntVector loadWidened(MemorySegment data, long byteOffset) {
        return (IntVector) ShortVector.fromMemorySegment(S, data, byteOffset, LE)
                .convertShape(VectorOperators.S2I, I, 0);
    }

    /**
     * Converts n consecutive weights of type dtype, starting at element {@code index} of {@code data}, into
     * {@code out[outOff .. outOff + n)}.
     */
    static void toFloats(MemorySegment data, DType dtype, long index, float[] out, int outOff, int n) {
        // One method per type: a loop that some other type's calls leave cold in the shared profile would be
        // compiled with its helper calls left out of line, boxing a vector per step.
        int done = switch (dtype) {
            case F32 -> f32ToFloats(data, index, out, outOff, n);
            case BF16 -> bf16ToFloats(data, index, out, outOff, n);
            case F16 -> f16ToFloats(data, index, out, outOff, n);
            default -> throw new IllegalArgumentException("not a float weight type: " + dtype);
        };
        for (int i = done; i < n; i++) {
            out[outOff + i] = WeightReader.get(data, dtype, index + i);
        }
    }

    /** The whole vectors of {@link #toFloats} for F32; returns how many elements it converted. */
    private static int f32ToFloats(MemorySegment data, long index, float[] out, int outOff, int n) {
        int bound = F.loopBound(n);
        long base = index * 4;
        for (int i = 0; i < bound; i += LANES) {
            FloatVector.fromMemorySegment(F, data, base + 4L * i, LE).intoArray(out, outOff + i);
        }
        return bound;
    }

    private static int bf16ToFloats(MemorySegment data, long index, float[] out, int outOff, int n) {
        int bound = F.loopBound(n);
        long base = index * 2;
        for (int i = 0; i < bound; i += LANES) {
            loadWidened(data, base + 2L * i).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()
                    .intoArray(out, outOff + i);
        }
        return bound;
    }

    private static int f16ToFloats(MemorySegment data, long index, float[] out, int outOff, int n) {
        int bound = F.loopBound(n);
        long base = index * 2;
        for (int i = 0; i < bound; i += LANES) {
            f16Widened(loadWidened(data, base + 2L * i)).intoArray(out, outOff + i);
        }
        return bound;
    }
}
