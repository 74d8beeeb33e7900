package dev.rwkvjava.kernel.panama;

import static dev.rwkvjava.kernel.panama.MatVec.LE;

import dev.rwkvjava.tensor.BlockType;
import dev.rwkvjava.tensor.Matrix;
import dev.rwkvjava.tensor.Q4_1Type;
import dev.rwkvjava.tensor.Q5_0Type;
import dev.rwkvjava.tensor.Q5_1Type;
import dev.rwkvjava.tensor.WeightReader;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;

/**
 * Vector decoding of the 32-value block types with a min or a fifth bit: {@link Q4_1Type}, {@link Q5_0Type},
 * {@link Q5_1Type} (one small class each, below); their products make the same weights in registers and multiply
 * them with x in the same pass (see rows).
 * Each run of 8 bytes of nibbles is widened to int lanes once; a fifth bit is taken from the block's 32-bit qh
 * with a shift by the lane's column; the weights are exact (q·d, then + m with one rounding). 256-bit vectors;
 * at 128 bits the scalar decoding.
 */
final class SmallBlocks {
    private static final VectorSpecies<Float> QF = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> QI = IntVector.SPECIES_256;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final boolean WIDE = PanamaConstants.BITS >= 256;
    /** Lane i holds i + 8k: the column of the lane in the k'th run of 8 of a block. */
    private static final IntVector COLUMNS_0 = IntVector.fromArray(QI, new int[] {0, 1, 2, 3, 4, 5, 6, 7}, 0);
    private static final IntVector COLUMNS_8 = COLUMNS_0.add(8);
    private static final IntVector COLUMNS_16 = COLUMNS_0.add(16);
    private static final IntVector COLUMNS_24 = COLUMNS_0.add(24);
    private static final IntVector NIBBLE = IntVector.broadcast(QI, 0x0F);
    private static final IntVector ONE = IntVector.broadcast(QI, 1);

    private SmallBlocks() {
    }

    /** Decodes n values (whole blocks) of a 32-value type; qsAt, qhAt and mAt are byte positions in the block. */
    private static void decode(MemorySegment data, long offset, float[] out, int outOff, int n, int blockBytes,
                               int qsAt, int qhAt, int mAt, int bias) {
        IntVector biasV = IntVector.broadcast(QI, bias);
        for (int i = 0; i < n; i += 32, offset += blockBytes) {
            FloatVector d = FloatVector.broadcast(QF, Float.float16ToFloat(data.get(WeightReader.I16, offset)));
            // Without a min, −0 (which leaves every product as it is, −0 included); without fifth bits, none. The
            // vector code is the same for every type: vector operations in a branch that one type leaves cold
            // would be compiled as calls on boxed vectors.
            float min = mAt < 0 ? -0f : Float.float16ToFloat(data.get(WeightReader.I16, offset + mAt));
            FloatVector m = FloatVector.broadcast(QF, min);
            IntVector qh = IntVector.broadcast(QI, qhAt < 0 ? 0 : data.get(WeightReader.I32, offset + qhAt));
            for (int k = 0; k < 16; k += 8) {
                IntVector q = (IntVector) ByteVector.fromMemorySegment(B8, data, offset + qsAt + k, LE)
                        .convertShape(VectorOperators.B2I, QI, 0);
                IntVector lo = q.and(0x0F);
                IntVector hi = q.lanewise(VectorOperators.ASHR, 4).and(0x0F);
                lo = lo.or(qh.lanewise(VectorOperators.LSHR, k == 0 ? COLUMNS_0 : COLUMNS_8).and(1)
                        .lanewise(VectorOperators.LSHL, 4));
                hi = hi.or(qh.lanewise(VectorOperators.LSHR, k == 0 ? COLUMNS_16 : COLUMNS_24).and(1)
                        .lanewise(VectorOperators.LSHL, 4));
                FloatVector wl = (FloatVector) lo.sub(biasV).convertShape(VectorOperators.I2F, QF, 0);
                FloatVector wh = (FloatVector) hi.sub(biasV).convertShape(VectorOperators.I2F, QF, 0);
                // q·d is exact, so the fused form rounds as the product, then the sum.
                wl.lanewise(VectorOperators.FMA, d, m).intoArray(out, outOff + i + k);
                wh.lanewise(VectorOperators.FMA, d, m).intoArray(out, outOff + i + 16 + k);
            }
        }
        MatVec.faultable(data);
    }

    /**
     * y[y0 + r] = row r · x for count rows from byte {@code base}: the weights of {@link #decode}, made in
     * registers and multiplied with x straight away (one pass, nothing stored). Two accumulators a row, the low
     * nibbles' columns and the high nibbles', added in a fixed order.
     */
    private static void rows(MemorySegment data, long base, long rowBytes, int blocks, float[] x, int xOff,
                             float[] y, int y0, int count, int blockBytes, int qsAt, int qhAt, int mAt, int bias) {
        IntVector biasV = IntVector.broadcast(QI, bias);
        for (int r = 0; r < count; r++, base += rowBytes) {
            FloatVector low = FloatVector.zero(QF);
            FloatVector high = FloatVector.zero(QF);
            long o = base;
            for (int b = 0, xb = xOff; b < blocks; b++, xb += 32, o += blockBytes) {
                FloatVector d = FloatVector.broadcast(QF, Float.float16ToFloat(data.get(WeightReader.I16, o)));
                float min = mAt < 0 ? -0f : Float.float16ToFloat(data.get(WeightReader.I16, o + mAt));
                FloatVector m = FloatVector.broadcast(QF, min);
                IntVector qh = IntVector.broadcast(QI, qhAt < 0 ? 0 : data.get(WeightReader.I32, o + qhAt));
                IntVector q = (IntVector) ByteVector.fromMemorySegment(B8, data, o + qsAt, LE)
                        .convertShape(VectorOperators.B2I, QI, 0);
                IntVector lo = q.and(NIBBLE).or(qh.lanewise(VectorOperators.LSHR, COLUMNS_0).and(ONE)
                        .lanewise(VectorOperators.LSHL, 4));
                IntVector hi = q.lanewise(VectorOperators.ASHR, 4).and(NIBBLE).or(qh.lanewise(VectorOperators.LSHR,
                        COLUMNS_16).and(ONE).lanewise(VectorOperators.LSHL, 4));
                FloatVector w = ((FloatVector) lo.sub(biasV).convertShape(VectorOperators.I2F, QF, 0))
                        .lanewise(VectorOperators.FMA, d, m);
                low = w.lanewise(VectorOperators.FMA, FloatVector.fromArray(QF, x, xb), low);
                w = ((FloatVector) hi.sub(biasV).convertShape(VectorOperators.I2F, QF, 0))
                        .lanewise(VectorOperators.FMA, d, m);
                high = w.lanewise(VectorOperators.FMA, FloatVector.fromArray(QF, x, xb + 16), high);
                q = (IntVector) ByteVector.fromMemorySegment(B8, data, o + qsAt + 8, LE)
                        .convertShape(VectorOperators.B2I, QI, 0);
                lo = q.and(NIBBLE).or(qh.lanewise(VectorOperators.LSHR, COLUMNS_8).and(ONE)
                        .lanewise(VectorOperators.LSHL, 4));
                hi = q.lanewise(VectorOperators.ASHR, 4).and(NIBBLE).or(qh.lanewise(VectorOperators.LSHR, COLUMNS_24)
                        .and(ONE).lanewise(VectorOperators.LSHL, 4));
                w = ((FloatVector) lo.sub(biasV).convertShape(VectorOperators.I2F, QF, 0))
                        .lanewise(VectorOperators.FMA, d, m);
                low = w.lanewise(VectorOperators.FMA, FloatVector.fromArray(QF, x, xb + 8), low);
                w = ((FloatVector) hi.sub(biasV).convertShape(VectorOperators.I2F, QF, 0))
                        .lanewise(VectorOperators.FMA, d, m);
                high = w.lanewise(VectorOperators.FMA, FloatVector.fromArray(QF, x, xb + 24), high);
            }
            FloatVector v = low.lanewise(VectorOperators.ADD, high);
            y[y0 + r] = v.lane(0) + v.lane(1) + v.lane(2) + v.lane(3) + v.lane(4) + v.lane(5) + v.lane(6) + v.lane(7);
        }
        MatVec.faultable(data);
    }

    /**
     * The products of one of these types: fused where the decoding is (256 bits and FMA), else decoded rows (see
     * DecodedRows) times x.
     */
    private abstract static class Fused extends WeightVectors {
        private final DecodedRows decoded = new DecodedRows() {
            @Override
            void toFloats(MemorySegment data, long offset, float[] out, int outOff, int n) {
                Fused.this.toFloats(data, offset, out, outOff, n);
            }
        };

        @Override
        final void matVec(Matrix w, float[] x, int xOff, float[] y, int yOff, int rowStart, int rowEnd) {
            if (WIDE && PanamaConstants.FMA) {
                fused(w.data(), w.rowOffset(rowStart), w.rowBytes(), w.cols() / 32, x, xOff, y, yOff + rowStart,
                        rowEnd - rowStart);
            } else {
                decoded.matVec(w, x, xOff, y, yOff, rowStart, rowEnd);
            }
        }

        abstract void fused(MemorySegment data, long base, long rowBytes, int blocks, float[] x, int xOff,
                            float[] y, int y0, int count);
    }

    /** Q4_1: {d, m, qs[16]}. */
    static final class Q4_1 extends Fused {
        @Override
        void fused(MemorySegment data, long base, long rowBytes, int blocks, float[] x, int xOff, float[] y, int y0,
                   int count) {
            rows(data, base, rowBytes, blocks, x, xOff, y, y0, count, 20, 4, -1, 2, 0);
        }

        @Override
        void toFloats(MemorySegment data, long offset, float[] out, int outOff, int n) {
            if (WIDE && PanamaConstants.FMA) {
                decode(data, offset, out, outOff, n, 20, 4, -1, 2, 0);
            } else {
                Q4_1Type.INSTANCE.decode(data, offset, out, outOff, n);
            }
        }
    }

    /** Q5_0: {d, qh, qs[16]}, q − 16. */
    static final class Q5_0 extends Fused {
        @Override
        void fused(MemorySegment data, long base, long rowBytes, int blocks, float[] x, int xOff, float[] y, int y0,
                   int count) {
            rows(data, base, rowBytes, blocks, x, xOff, y, y0, count, 22, 6, 2, -1, 16);
        }

        @Override
        void toFloats(MemorySegment data, long offset, float[] out, int outOff, int n) {
            if (WIDE && PanamaConstants.FMA) {
                decode(data, offset, out, outOff, n, 22, 6, 2, -1, 16);
            } else {
                Q5_0Type.INSTANCE.decode(data, offset, out, outOff, n);
            }
        }
    }

    /** Q5_1: {d, m, qh, qs[16]}. */
    static final class Q5_1 extends Fused {
        @Override
        void fused(MemorySegment data, long base, long rowBytes, int blocks, float[] x, int xOff, float[] y, int y0,
                   int count) {
            rows(data, base, rowBytes, blocks, x, xOff, y, y0, count, 24, 8, 4, 2, 0);
        }

        @Override
        void toFloats(MemorySegment data, long offset, float[] out, int outOff, int n) {
            if (WIDE && PanamaConstants.FMA) {
                decode(data, offset, out, outOff, n, 24, 8, 4, 2, 0);
            } else {
                Q5_1Type.INSTANCE.decode(data, offset, out, outOff, n);
            }
        }
    }

    /** For the registration: the vector decoding of these types. */
    static WeightVectors of(BlockType type) {
        return switch (type) {
            case Q4_1Type t -> new Q4_1();
            case Q5_0Type t -> new Q5_0();
            case Q5_1Type t -> new Q5_1();
            default -> new DecodedBlocks(type);
        };
    }
}
