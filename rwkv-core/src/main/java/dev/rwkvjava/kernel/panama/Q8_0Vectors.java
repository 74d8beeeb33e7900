package dev.rwkvjava.kernel.panama;

import static dev.rwkvjava.kernel.panama.MatVec.LE;

import dev.rwkvjava.tensor.Matrix;
import dev.rwkvjava.tensor.Q8_0Type;
import dev.rwkvjava.tensor.WeightReader;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;

/**
 * The Vector API kernels of {@link Q8_0Type} weights, on float activations: each block's 32 int8 quants are
 * converted to floats in registers (exact), multiplied with x, and the block's sum is scaled by its d. The sums
 * round in a fixed order: each lane of a block sums four of its columns (8-lane vectors: 4j, 4j + 1, 4j + 2, 4j + 3
 * for lane j, starting from the block's share of the bias, see pairs8; 4-lane: j, j + 4, ...), the row's
 * accumulator adds block sums times d in block order, and its lanes are summed in lane order.
 *
 * <p>Rows are taken as two halves side by side, sharing each load of x (see F32Vectors). Vectors of at most 256
 * bits: a block is 32 values, and one 8-byte load widens to exactly one 256-bit float vector.
 */
final class Q8_0Vectors extends WeightVectors {
    private static final VectorSpecies<Float> QF = PanamaConstants.BITS >= 256 ? FloatVector.SPECIES_256
            : FloatVector.SPECIES_128;
    private static final VectorSpecies<Integer> QI = QF.withLanes(int.class);
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final int QL = QF.length();
    private static final int BLOCK_BYTES = 34;
    /** x in the order of a block's decoded lanes (see permuted), one per thread. */
    private static final ThreadLocal<float[][]> PERMUTED = ThreadLocal.withInitial(() -> new float[1][0]);

    @Override
    void matVec(Matrix w, float[] x, int xOff, float[] y, int yOff, int rowStart, int rowEnd) {
        int half = (rowEnd - rowStart + 1) / 2;
        if (QL == 8) {
            int blocks = w.cols() / 32;
            float[] xp = permuted(x, xOff, w.cols());
            float[] sums = MatVec.runSums(xp, blocks);
            for (int b = 0; b < blocks; b++) {
                sums[b] *= -16; // the bias's share of each lane
            }
            scaleForMaskedBytes(xp, w.cols());
            pairs8(w.data(), w.rowOffset(rowStart), w.rowOffset(rowEnd - half), w.rowBytes(), blocks, xp, sums, y,
                    yOff + rowStart, yOff + rowEnd - half, half);
        } else {
            pairs4(w.data(), w.rowOffset(rowStart), w.rowOffset(rowEnd - half), w.rowBytes(), w.cols() / 32, x, xOff,
                    y, yOff + rowStart, yOff + rowEnd - half, half);
        }
    }

    /**
     * Rows from byte b0 (sums to y[y0 ..]) and from b1 (to y[y1 ..]), count of each, 8-lane vectors, x permuted
     * by {@link #permuted} and scaled as below. A block's 32 quants are one 256-bit load of 8 int lanes, 4 quants
     * each, whose bytes are made unsigned by flipping their top bits (q + 128, one XOR for all 32); byte k of every
     * lane is then masked where it lies, (q + 128)·2^8k, and converted to float exactly, against x scaled by 2^−8k
     * (the top byte is shifted down instead, as a mask would leave it signed): the products (q + 128)·x with one
     * operation a step, where sign-extending each byte took two shifts. The bias comes off through the sums of x:
     * each lane of a block starts from −16·Σx (8 lanes: −128·Σx). The decoding and the multiply-adds are written
     * out in the loop: C2 declines to inline small helpers of ours in loops this size, and a vector crossing a call
     * that is not inlined is boxed (see BF16Vectors).
     */
    private static void pairs8(MemorySegment data, long b0, long b1, long rowBytes, int blocks, float[] x,
                               float[] sums, float[] y, int y0, int y1, int count) {
        boolean fma = PanamaConstants.FMA;
        for (int r = 0; r < count; r++, b0 += rowBytes, b1 += rowBytes) {
            FloatVector a0 = FloatVector.zero(QF);
            FloatVector a1 = FloatVector.zero(QF);
            long o0 = b0;
            long o1 = b1;
            for (int b = 0, xc = 0; b < blocks; b++, xc += 32, o0 += BLOCK_BYTES, o1 += BLOCK_BYTES) {
                FloatVector x0 = FloatVector.fromArray(QF, x, xc);
                FloatVector x1 = FloatVector.fromArray(QF, x, xc + 8);
                FloatVector x2 = FloatVector.fromArray(QF, x, xc + 16);
                FloatVector x3 = FloatVector.fromArray(QF, x, xc + 24);
                FloatVector start = FloatVector.broadcast(QF, sums[b]);
                IntVector q = IntVector.fromMemorySegment(QI, data, o0 + 2, LE)
                        .lanewise(VectorOperators.XOR, IntVector.broadcast(QI, 0x80808080));
                FloatVector w = (FloatVector) q.lanewise(VectorOperators.AND, IntVector.broadcast(QI, 0xFF))
                        .convertShape(VectorOperators.I2F, QF, 0);
                FloatVector s0 = fma ? w.lanewise(VectorOperators.FMA, x0, start)
                        : w.lanewise(VectorOperators.MUL, x0).lanewise(VectorOperators.ADD, start);
                w = (FloatVector) q.lanewise(VectorOperators.AND, IntVector.broadcast(QI, 0xFF00))
                        .convertShape(VectorOperators.I2F, QF, 0);
                s0 = fma ? w.lanewise(VectorOperators.FMA, x1, s0) : w.mul(x1).add(s0);
                w = (FloatVector) q.lanewise(VectorOperators.AND, IntVector.broadcast(QI, 0xFF0000))
                        .convertShape(VectorOperators.I2F, QF, 0);
                s0 = fma ? w.lanewise(VectorOperators.FMA, x2, s0) : w.mul(x2).add(s0);
                w = (FloatVector) q.lanewise(VectorOperators.LSHR, 24).convertShape(VectorOperators.I2F, QF, 0);
                s0 = fma ? w.lanewise(VectorOperators.FMA, x3, s0) : w.mul(x3).add(s0);
                q = IntVector.fromMemorySegment(QI, data, o1 + 2, LE)
                        .lanewise(VectorOperators.XOR, IntVector.broadcast(QI, 0x80808080));
                w = (FloatVector) q.lanewise(VectorOperators.AND, IntVector.broadcast(QI, 0xFF))
                        .convertShape(VectorOperators.I2F, QF, 0);
                FloatVector s1 = fma ? w.lanewise(VectorOperators.FMA, x0, start)
                        : w.lanewise(VectorOperators.MUL, x0).lanewise(VectorOperators.ADD, start);
                w = (FloatVector) q.lanewise(VectorOperators.AND, IntVector.broadcast(QI, 0xFF00))
                        .convertShape(VectorOperators.I2F, QF, 0);
                s1 = fma ? w.lanewise(VectorOperators.FMA, x1, s1) : w.mul(x1).add(s1);
                w = (FloatVector) q.lanewise(VectorOperators.AND, IntVector.broadcast(QI, 0xFF0000))
                        .convertShape(VectorOperators.I2F, QF, 0);
                s1 = fma ? w.lanewise(VectorOperators.FMA, x2, s1) : w.mul(x2).add(s1);
                w = (FloatVector) q.lanewise(VectorOperators.LSHR, 24).convertShape(VectorOperators.I2F, QF, 0);
                s1 = fma ? w.lanewise(VectorOperators.FMA, x3, s1) : w.mul(x3).add(s1);
                FloatVector d0 = FloatVector.broadcast(QF, Float.float16ToFloat(data.get(WeightReader.I16, o0)));
                FloatVector d1 = FloatVector.broadcast(QF, Float.float16ToFloat(data.get(WeightReader.I16, o1)));
                a0 = fma ? s0.lanewise(VectorOperators.FMA, d0, a0) : s0.mul(d0).add(a0);
                a1 = fma ? s1.lanewise(VectorOperators.FMA, d1, a1) : s1.mul(d1).add(a1);
            }
            float s0 = a0.lane(0) + a0.lane(1) + a0.lane(2) + a0.lane(3) + a0.lane(4) + a0.lane(5) + a0.lane(6)
                    + a0.lane(7);
            float s1 = a1.lane(0) + a1.lane(1) + a1.lane(2) + a1.lane(3) + a1.lane(4) + a1.lane(5) + a1.lane(6)
                    + a1.lane(7);
            y[y0 + r] = s0;
            y[y1 + r] = s1;
        }
        MatVec.faultable(data);
    }

    /**
     * x[xOff .. xOff + n) in the order in which {@link #pairs8} decodes a block: within each run of 32, position
     * 8k + j holds column 4j + k (also the order of Q4_KVectors' shifted nibbles). One per-thread buffer, grown on
     * demand.
     */
    static float[] permuted(float[] x, int xOff, int n) {
        float[] xp = MatVec.grown(PERMUTED.get(), n);
        for (int c = 0; c < n; c += 32) {
            for (int k = 0; k < 4; k++) {
                for (int j = 0; j < 8; j++) {
                    xp[c + 8 * k + j] = x[xOff + c + 4 * j + k];
                }
            }
        }
        return xp;
    }

    /**
     * Scales x in {@link #permuted}'s order for the bytes of each lane masked in place, (byte k)·2^8k: positions
     * 8 .. 15 of each run of 32 by 2^−8, 16 .. 23 by 2^−16 (the top byte is shifted down instead).
     */
    static void scaleForMaskedBytes(float[] xp, int n) {
        for (int c = 0; c + 32 <= n; c += 32) {
            for (int j = 0; j < 8; j++) {
                xp[c + 8 + j] *= 0x1p-8f;
                xp[c + 16 + j] *= 0x1p-16f;
            }
        }
    }

    /** {@link #pairs8} for 4-lane vectors: each 8-byte load widens into two. */
    private static void pairs4(MemorySegment data, long b0, long b1, long rowBytes, int blocks, float[] x, int xOff,
                               float[] y, int y0, int y1, int count) {
        boolean fma = PanamaConstants.FMA;
        for (int r = 0; r < count; r++, b0 += rowBytes, b1 += rowBytes) {
            FloatVector a0 = FloatVector.zero(QF);
            FloatVector a1 = FloatVector.zero(QF);
            long o0 = b0;
            long o1 = b1;
            for (int b = 0, xc = xOff; b < blocks; b++, xc += 32, o0 += BLOCK_BYTES, o1 += BLOCK_BYTES) {
                FloatVector s0 = FloatVector.zero(QF);
                FloatVector s1 = FloatVector.zero(QF);
                for (int k = 0; k < 32; k += 8) {
                    FloatVector xl = FloatVector.fromArray(QF, x, xc + k);
                    FloatVector xh = FloatVector.fromArray(QF, x, xc + k + 4);
                    ByteVector q = ByteVector.fromMemorySegment(B8, data, o0 + 2 + k, LE);
                    FloatVector w = (FloatVector) q.castShape(QF, 0);
                    s0 = fma ? w.lanewise(VectorOperators.FMA, xl, s0) : w.mul(xl).add(s0);
                    w = (FloatVector) q.castShape(QF, 1);
                    s0 = fma ? w.lanewise(VectorOperators.FMA, xh, s0) : w.mul(xh).add(s0);
                    q = ByteVector.fromMemorySegment(B8, data, o1 + 2 + k, LE);
                    w = (FloatVector) q.castShape(QF, 0);
                    s1 = fma ? w.lanewise(VectorOperators.FMA, xl, s1) : w.mul(xl).add(s1);
                    w = (FloatVector) q.castShape(QF, 1);
                    s1 = fma ? w.lanewise(VectorOperators.FMA, xh, s1) : w.mul(xh).add(s1);
                }
                FloatVector d0 = FloatVector.broadcast(QF, Float.float16ToFloat(data.get(WeightReader.I16, o0)));
                FloatVector d1 = FloatVector.broadcast(QF, Float.float16ToFloat(data.get(WeightReader.I16, o1)));
                a0 = fma ? s0.lanewise(VectorOperators.FMA, d0, a0) : s0.mul(d0).add(a0);
                a1 = fma ? s1.lanewise(VectorOperators.FMA, d1, a1) : s1.mul(d1).add(a1);
            }
            float s0 = a0.lane(0) + a0.lane(1) + a0.lane(2) + a0.lane(3);
            float s1 = a1.lane(0) + a1.lane(1) + a1.lane(2) + a1.lane(3);
            y[y0 + r] = s0;
            y[y1 + r] = s1;
        }
        MatVec.faultable(data);
    }

    /** Each block's quants widened and multiplied by its d: exact. */
    @Override
    void toFloats(MemorySegment data, long offset, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i += 32, offset += BLOCK_BYTES) {
            FloatVector d = FloatVector.broadcast(QF, Float.float16ToFloat(data.get(WeightReader.I16, offset)));
            for (int k = 0; k < 32; k += 8) {
                ByteVector q = ByteVector.fromMemorySegment(B8, data, offset + 2 + k, LE);
                ((FloatVector) q.castShape(QF, 0)).lanewise(VectorOperators.MUL, d).intoArray(out, outOff + i + k);
                if (QL == 4) {
                    ((FloatVector) q.castShape(QF, 1)).lanewise(VectorOperators.MUL, d)
                            .intoArray(out, outOff + i + k + 4);
                }
            }
        }
        MatVec.faultable(data);
    }
}
