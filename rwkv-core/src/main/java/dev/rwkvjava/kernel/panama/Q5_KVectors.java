package dev.rwkvjava.kernel.panama;

import static dev.rwkvjava.kernel.panama.MatVec.LE;

import dev.rwkvjava.tensor.Matrix;
import dev.rwkvjava.tensor.Q5_KType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;

/**
 * The Vector API kernels of {@link Q5_KType} weights, on float activations: {@link Q4_KVectors}' product with each
 * quant's fifth bit joined to its nibble in place (see {@link #rows}). matMat decodes rows with the scalar decoding
 * (see DecodedBlocks); 256-bit vectors, and at 128 bits the scalar decoding for matVec too.
 */
final class Q5_KVectors extends WeightVectors {
    private static final VectorSpecies<Float> QF = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> QI = IntVector.SPECIES_256;
    private static final int BLOCK_BYTES = 176;
    private static final boolean WIDE = PanamaConstants.BITS >= 256;
    /** A super-block's steps and offsets (see Q4_KVectors.steps); one array per thread. */
    private static final ThreadLocal<float[]> STEPS = ThreadLocal.withInitial(() -> new float[16]);
    private final DecodedBlocks narrow = new DecodedBlocks(Q5_KType.INSTANCE);

    @Override
    void matVec(Matrix w, float[] x, int xOff, float[] y, int yOff, int rowStart, int rowEnd) {
        if (!WIDE) {
            narrow.matVec(w, x, xOff, y, yOff, rowStart, rowEnd);
            return;
        }
        int blocks = w.cols() / 256;
        float[] xp = Q8_0Vectors.permuted(x, xOff, w.cols());
        float[] sums = MatVec.runSums(xp, 8 * blocks);
        Q8_0Vectors.scaleForMaskedBytes(xp, w.cols());
        rows(w.data(), w.rowOffset(rowStart), w.rowBytes(), blocks, xp, sums, STEPS.get(), y, yOff + rowStart,
                rowEnd - rowStart);
    }

    /**
     * As Q4_KVectors' rows, with 5-bit quants: each pair of sub-blocks is one 256-bit load of 32 bytes of qs (byte
     * 4j + k of the run is lane j's k'th byte), and the 32 bytes of qh, loaded alike once per super-block, give
     * sub-block s's fifth bits in bit s of each byte. Each sub-block's bytes are joined in place (its nibbles and
     * its qh bit shifted beside them, three and four operations), then masked where they lie against x scaled by
     * their place values ({@link Q8_0Vectors#scaleForMaskedBytes}), the top byte shifted down. The pairs are a loop,
     * as in Q4_KVectors.
     */
    private static void rows(MemorySegment data, long base, long rowBytes, int blocks, float[] x, float[] xSums,
                             float[] steps, float[] y, int y0, int count) {
        boolean fma = PanamaConstants.FMA;
        for (int r = 0; r < count; r++, base += rowBytes) {
            FloatVector even = FloatVector.zero(QF);
            FloatVector odd = FloatVector.zero(QF);
            FloatVector offsets = FloatVector.zero(QF);
            for (int b = 0, xb = 0; b < blocks; b++, xb += 256) {
                long o = base + (long) BLOCK_BYTES * b;
                Q4_KVectors.steps(data, o, steps);
                FloatVector off = FloatVector.fromArray(QF, steps, 8);
                FloatVector sums = FloatVector.fromArray(QF, xSums, 8 * b);
                offsets = fma ? off.lanewise(VectorOperators.FMA, sums, offsets)
                        : off.lanewise(VectorOperators.MUL, sums).lanewise(VectorOperators.ADD, offsets);
                IntVector qh = IntVector.fromMemorySegment(QI, data, o + 16, LE);
                for (int i = 0; i < 4; i++) {
                    IntVector v = IntVector.fromMemorySegment(QI, data, o + 48 + 32L * i, LE);
                    IntVector q = v.lanewise(VectorOperators.AND, IntVector.broadcast(QI, 0x0F0F0F0F))
                            .lanewise(VectorOperators.OR, qh.lanewise(VectorOperators.LSHR, 2 * i)
                                    .lanewise(VectorOperators.LSHL, 4)
                                    .lanewise(VectorOperators.AND, IntVector.broadcast(QI, 0x10101010)));
                    int xc = xb + 64 * i;
                    FloatVector lo = ((FloatVector) q.lanewise(VectorOperators.AND, IntVector.broadcast(QI, 0x1F))
                            .convertShape(VectorOperators.I2F, QF, 0))
                            .lanewise(VectorOperators.MUL, FloatVector.fromArray(QF, x, xc));
                    FloatVector w = (FloatVector) q.lanewise(VectorOperators.AND, IntVector.broadcast(QI, 0x1F00))
                            .convertShape(VectorOperators.I2F, QF, 0);
                    FloatVector xv = FloatVector.fromArray(QF, x, xc + 8);
                    lo = fma ? w.lanewise(VectorOperators.FMA, xv, lo)
                            : w.lanewise(VectorOperators.MUL, xv).lanewise(VectorOperators.ADD, lo);
                    w = (FloatVector) q.lanewise(VectorOperators.AND, IntVector.broadcast(QI, 0x1F0000))
                            .convertShape(VectorOperators.I2F, QF, 0);
                    xv = FloatVector.fromArray(QF, x, xc + 16);
                    lo = fma ? w.lanewise(VectorOperators.FMA, xv, lo)
                            : w.lanewise(VectorOperators.MUL, xv).lanewise(VectorOperators.ADD, lo);
                    w = (FloatVector) q.lanewise(VectorOperators.LSHR, 24).convertShape(VectorOperators.I2F, QF, 0);
                    xv = FloatVector.fromArray(QF, x, xc + 24);
                    lo = fma ? w.lanewise(VectorOperators.FMA, xv, lo)
                            : w.lanewise(VectorOperators.MUL, xv).lanewise(VectorOperators.ADD, lo);
                    q = v.lanewise(VectorOperators.LSHR, 4)
                            .lanewise(VectorOperators.AND, IntVector.broadcast(QI, 0x0F0F0F0F))
                            .lanewise(VectorOperators.OR, qh.lanewise(VectorOperators.LSHR, 2 * i + 1)
                                    .lanewise(VectorOperators.LSHL, 4)
                                    .lanewise(VectorOperators.AND, IntVector.broadcast(QI, 0x10101010)));
                    FloatVector hi = ((FloatVector) q.lanewise(VectorOperators.AND, IntVector.broadcast(QI, 0x1F))
                            .convertShape(VectorOperators.I2F, QF, 0))
                            .lanewise(VectorOperators.MUL, FloatVector.fromArray(QF, x, xc + 32));
                    w = (FloatVector) q.lanewise(VectorOperators.AND, IntVector.broadcast(QI, 0x1F00))
                            .convertShape(VectorOperators.I2F, QF, 0);
                    xv = FloatVector.fromArray(QF, x, xc + 40);
                    hi = fma ? w.lanewise(VectorOperators.FMA, xv, hi)
                            : w.lanewise(VectorOperators.MUL, xv).lanewise(VectorOperators.ADD, hi);
                    w = (FloatVector) q.lanewise(VectorOperators.AND, IntVector.broadcast(QI, 0x1F0000))
                            .convertShape(VectorOperators.I2F, QF, 0);
                    xv = FloatVector.fromArray(QF, x, xc + 48);
                    hi = fma ? w.lanewise(VectorOperators.FMA, xv, hi)
                            : w.lanewise(VectorOperators.MUL, xv).lanewise(VectorOperators.ADD, hi);
                    w = (FloatVector) q.lanewise(VectorOperators.LSHR, 24).convertShape(VectorOperators.I2F, QF, 0);
                    xv = FloatVector.fromArray(QF, x, xc + 56);
                    hi = fma ? w.lanewise(VectorOperators.FMA, xv, hi)
                            : w.lanewise(VectorOperators.MUL, xv).lanewise(VectorOperators.ADD, hi);
                    FloatVector stepLo = FloatVector.broadcast(QF, steps[2 * i]);
                    FloatVector stepHi = FloatVector.broadcast(QF, steps[2 * i + 1]);
                    even = fma ? lo.lanewise(VectorOperators.FMA, stepLo, even)
                            : lo.lanewise(VectorOperators.MUL, stepLo).lanewise(VectorOperators.ADD, even);
                    odd = fma ? hi.lanewise(VectorOperators.FMA, stepHi, odd)
                            : hi.lanewise(VectorOperators.MUL, stepHi).lanewise(VectorOperators.ADD, odd);
                }
            }
            FloatVector v = even.lanewise(VectorOperators.ADD, odd).lanewise(VectorOperators.ADD, offsets);
            y[y0 + r] = v.lane(0) + v.lane(1) + v.lane(2) + v.lane(3) + v.lane(4) + v.lane(5) + v.lane(6) + v.lane(7);
        }
        MatVec.faultable(data);
    }

    @Override
    void toFloats(MemorySegment data, long offset, float[] out, int outOff, int n) {
        Q5_KType.INSTANCE.decode(data, offset, out, outOff, n);
    }
}
