package dev.rwkvjava.kernel.panama;

import dev.rwkvjava.tensor.BF16Type;
import dev.rwkvjava.tensor.BlockType;
import dev.rwkvjava.tensor.DType;
import dev.rwkvjava.tensor.F16Type;
import dev.rwkvjava.tensor.F32Type;
import dev.rwkvjava.tensor.Matrix;
import dev.rwkvjava.tensor.Q4_0Type;
import dev.rwkvjava.tensor.Q4_1Type;
import dev.rwkvjava.tensor.Q4_KType;
import dev.rwkvjava.tensor.Q5_0Type;
import dev.rwkvjava.tensor.Q5_1Type;
import dev.rwkvjava.tensor.Q5_KType;
import dev.rwkvjava.tensor.Q6_KType;
import dev.rwkvjava.tensor.Q8_0Type;
import dev.rwkvjava.tensor.WeightType;

import java.lang.foreign.MemorySegment;

/**
 * The Vector API kernels of one {@link WeightType}: matrix × vector over a range of rows, and decoding to floats
 * (which matrix × matrix and row reads build on). One subclass per type, found by {@link #of}: F32Vectors,
 * F16Vectors, BF16Vectors, Q8_0Vectors, Q4_0Vectors, Q4_KVectors, Q5_KVectors, Q6_KVectors, and SmallBlocks'
 * Q4_1, Q5_0 and Q5_1 (vector decoding, fused with the product where it is in vectors); a block type without a
 * class of its own would be served by {@link DecodedBlocks}, its scalar decoding.
 *
 * <p>Each Vector API call in a kernel loop becomes some hundreds of nodes in C2's graph before they fold away, and a
 * loop of many calls comes near the size at which C2 stops inlining; whether its vectors then stay in registers
 * depends on what the JVM compiled before (KernelAllocationTest, in a JVM of its own, catches that). The kernels
 * therefore convert with {@code convertShape} and the species given (rather than {@code convert}, which looks it
 * up), mask with constant vectors, get their per-thread arrays from the caller, and keep the calls of a loop body
 * few; a loop that needs more is a loop of steps rather than written out (see Q4_0Vectors).
 *
 * <p>Calls past that size are inlined late, on receivers whose exact class C2 no longer knows. A final convenience
 * method ({@code add}, {@code mul}, {@code intoArray}) then resolves the class through the JDK's shared type
 * profile, which other code's vectors of another shape fill (this engine's half-width F32 loads do), and a wrong
 * guess boxes the vector; a call the kernel makes itself ({@code lanewise}, {@code lane}) is resolved through the
 * kernel's own profile. So a row's sum is read with {@code lane(i)}, in lane order, rather than stored with
 * {@code intoArray} and summed, and scaled values that are stored go through {@code lanewise}.
 *
 * <p>Each accumulator of a loop starts from a zero vector of its own: with one zero shared by the twelve
 * accumulators of MatMat's tile, C2 sometimes (depending on what it compiled before) left all of them boxed, an
 * allocation per multiply-add.
 */
abstract class WeightVectors {
    private static final WeightVectors[] BY_DTYPE = new WeightVectors[DType.values().length];

    static {
        for (WeightType t : WeightType.all()) {
            BY_DTYPE[t.dtype().ordinal()] = create(t);
        }
    }

    /** The registration: which class serves each type. */
    private static WeightVectors create(WeightType type) {
        return switch (type) {
            case F32Type t -> new F32Vectors();
            case F16Type t -> new F16Vectors();
            case BF16Type t -> new BF16Vectors();
            case Q8_0Type t -> new Q8_0Vectors();
            case Q4_0Type t -> new Q4_0Vectors();
            case Q4_KType t -> new Q4_KVectors();
            case Q5_KType t -> new Q5_KVectors();
            case Q6_KType t -> new Q6_KVectors();
            case Q4_1Type t -> SmallBlocks.of(t);
            case Q5_0Type t -> SmallBlocks.of(t);
            case Q5_1Type t -> SmallBlocks.of(t);
            case BlockType t -> new DecodedBlocks(t);
        };
    }

    /** The kernels of weights of this type. */
    static WeightVectors of(WeightType type) {
        return BY_DTYPE[type.dtype().ordinal()];
    }

    /** {@code y[yOff + r] = W[r, :] · x[xOff ..]} for r in [rowStart, rowEnd); arguments already checked. */
    abstract void matVec(Matrix w, float[] x, int xOff, float[] y, int yOff, int rowStart, int rowEnd);

    /**
     * Decodes the n values (whole blocks) stored from byte {@code offset} of {@code data}, the start of a block,
     * into {@code out[outOff .. outOff + n)}, exactly.
     */
    abstract void toFloats(MemorySegment data, long offset, float[] out, int outOff, int n);
}
