package dev.rwkvjava.kernel.panama;

import static dev.rwkvjava.kernel.panama.MatVec.LE;

import dev.rwkvjava.tensor.Matrix;
import dev.rwkvjava.tensor.Q4_0Type;
import dev.rwkvjava.tensor.WeightReader;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;

/**
 * The Vector API kernels of {@link Q4_0Type} weights, on float activations: a block's bytes are widened to int
 * lanes, split into low nibbles (values 0..15) and high nibbles (16..31), 8 subtracted (exact), converted to floats
 * in registers and multiplied with x; the block's sum is scaled by its d. Sums as in {@link Q8_0Vectors}.
 */
final class Q4_0Vectors extends WeightVectors {
    private static final VectorSpecies<Float> QF = PanamaConstants.BITS >= 256 ? FloatVector.SPECIES_256
            : FloatVector.SPECIES_128;
    private static final VectorSpecies<Integer> QI = QF.withLanes(int.class);
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final int QL = QF.length();
    private static final int BLOCK_BYTES = 18;
    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[2 * QL]);

    @Override
    void matVec(Matrix w, float[] x, int xOff, float[] y, int yOff, int rowStart, int rowEnd) {
        int half = (rowEnd - rowStart + 1) / 2;
        if (QL == 8) {
            pairs8(w.data(), w.rowOffset(rowStart), w.rowOffset(rowEnd - half), w.rowBytes(), w.cols() / 32, x, xOff,
                    y, yOff + rowStart, yOff + rowEnd - half, half);
        } else {
            pairs4(w.data(), w.rowOffset(rowStart), w.rowOffset(rowEnd - half), w.rowBytes(), w.cols() / 32, x, xOff,
                    y, yOff + rowStart, yOff + rowEnd - half, half);
        }
    }

    /**
     * Two halves of the range side by side, as Q8_0Vectors.pairs8, everything written out in the loop. A block's
     * bytes are read as two 8-byte halves, each widened to int lanes once; the nibbles are taken apart there (in
     * byte lanes, AVX2 has no shift: a loop that split them before widening ran about a third slower).
     */
    private static void pairs8(MemorySegment data, long b0, long b1, long rowBytes, int blocks, float[] x, int xOff,
                               float[] y, int y0, int y1, int count) {
        float[] lanes = LANES.get();
        boolean fma = PanamaConstants.FMA;
        IntVector eight = IntVector.broadcast(QI, 8);
        for (int r = 0; r < count; r++, b0 += rowBytes, b1 += rowBytes) {
            FloatVector a0 = FloatVector.zero(QF);
            FloatVector a1 = FloatVector.zero(QF);
            long o0 = b0;
            long o1 = b1;
            for (int b = 0, xc = xOff; b < blocks; b++, xc += 32, o0 += BLOCK_BYTES, o1 += BLOCK_BYTES) {
                FloatVector x0 = FloatVector.fromArray(QF, x, xc);
                FloatVector x1 = FloatVector.fromArray(QF, x, xc + 8);
                FloatVector x2 = FloatVector.fromArray(QF, x, xc + 16);
                FloatVector x3 = FloatVector.fromArray(QF, x, xc + 24);
                IntVector q = (IntVector) ByteVector.fromMemorySegment(B8, data, o0 + 2, LE)
                        .convertShape(VectorOperators.B2I, QI, 0);
                FloatVector w = (FloatVector) q.and(0x0F).sub(eight).convert(VectorOperators.I2F, 0);
                FloatVector s0 = w.mul(x0);
                w = (FloatVector) q.lanewise(VectorOperators.ASHR, 4).and(0x0F).sub(eight).convert(VectorOperators.I2F, 0);
                s0 = fma ? w.lanewise(VectorOperators.FMA, x2, s0) : w.mul(x2).add(s0);
                q = (IntVector) ByteVector.fromMemorySegment(B8, data, o0 + 10, LE)
                        .convertShape(VectorOperators.B2I, QI, 0);
                w = (FloatVector) q.and(0x0F).sub(eight).convert(VectorOperators.I2F, 0);
                s0 = fma ? w.lanewise(VectorOperators.FMA, x1, s0) : w.mul(x1).add(s0);
                w = (FloatVector) q.lanewise(VectorOperators.ASHR, 4).and(0x0F).sub(eight).convert(VectorOperators.I2F, 0);
                s0 = fma ? w.lanewise(VectorOperators.FMA, x3, s0) : w.mul(x3).add(s0);
                q = (IntVector) ByteVector.fromMemorySegment(B8, data, o1 + 2, LE)
                        .convertShape(VectorOperators.B2I, QI, 0);
                w = (FloatVector) q.and(0x0F).sub(eight).convert(VectorOperators.I2F, 0);
                FloatVector s1 = w.mul(x0);
                w = (FloatVector) q.lanewise(VectorOperators.ASHR, 4).and(0x0F).sub(eight).convert(VectorOperators.I2F, 0);
                s1 = fma ? w.lanewise(VectorOperators.FMA, x2, s1) : w.mul(x2).add(s1);
                q = (IntVector) ByteVector.fromMemorySegment(B8, data, o1 + 10, LE)
                        .convertShape(VectorOperators.B2I, QI, 0);
                w = (FloatVector) q.and(0x0F).sub(eight).convert(VectorOperators.I2F, 0);
                s1 = fma ? w.lanewise(VectorOperators.FMA, x1, s1) : w.mul(x1).add(s1);
                w = (FloatVector) q.lanewise(VectorOperators.ASHR, 4).and(0x0F).sub(eight).convert(VectorOperators.I2F, 0);
                s1 = fma ? w.lanewise(VectorOperators.FMA, x3, s1) : w.mul(x3).add(s1);
                FloatVector d0 = FloatVector.broadcast(QF, Float.float16ToFloat(data.get(WeightReader.I16, o0)));
                FloatVector d1 = FloatVector.broadcast(QF, Float.float16ToFloat(data.get(WeightReader.I16, o1)));
                a0 = fma ? s0.lanewise(VectorOperators.FMA, d0, a0) : s0.mul(d0).add(a0);
                a1 = fma ? s1.lanewise(VectorOperators.FMA, d1, a1) : s1.mul(d1).add(a1);
            }
            a0.intoArray(lanes, 0);
            a1.intoArray(lanes, QL);
            float s0 = 0;
            float s1 = 0;
            for (int i = 0; i < QL; i++) {
                s0 += lanes[i];
                s1 += lanes[QL + i];
            }
            y[y0 + r] = s0;
            y[y1 + r] = s1;
        }
        MatVec.faultable(data);
    }

    /**
     * {@link #pairs8} for 4-lane vectors: a block's bytes as two 8-byte halves, each half's nibbles widened into two
     * vectors (every conversion takes a constant part, as C2 needs to compile it).
     */
    private static void pairs4(MemorySegment data, long b0, long b1, long rowBytes, int blocks, float[] x, int xOff,
                               float[] y, int y0, int y1, int count) {
        float[] lanes = LANES.get();
        boolean fma = PanamaConstants.FMA;
        for (int r = 0; r < count; r++, b0 += rowBytes, b1 += rowBytes) {
            FloatVector a0 = FloatVector.zero(QF);
            FloatVector a1 = FloatVector.zero(QF);
            long o0 = b0;
            long o1 = b1;
            for (int b = 0, xc = xOff; b < blocks; b++, xc += 32, o0 += BLOCK_BYTES, o1 += BLOCK_BYTES) {
                FloatVector s0 = FloatVector.zero(QF);
                FloatVector s1 = FloatVector.zero(QF);
                for (int k = 0; k < 16; k += 8) {
                    FloatVector xa = FloatVector.fromArray(QF, x, xc + k);
                    FloatVector xb = FloatVector.fromArray(QF, x, xc + k + 4);
                    FloatVector xc0 = FloatVector.fromArray(QF, x, xc + 16 + k);
                    FloatVector xd = FloatVector.fromArray(QF, x, xc + 16 + k + 4);
                    ByteVector q = ByteVector.fromMemorySegment(B8, data, o0 + 2 + k, LE);
                    ByteVector lo = q.and((byte) 0x0F).sub((byte) 8);
                    ByteVector hi = q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8);
                    FloatVector w = (FloatVector) lo.castShape(QF, 0);
                    s0 = fma ? w.lanewise(VectorOperators.FMA, xa, s0) : w.mul(xa).add(s0);
                    w = (FloatVector) lo.castShape(QF, 1);
                    s0 = fma ? w.lanewise(VectorOperators.FMA, xb, s0) : w.mul(xb).add(s0);
                    w = (FloatVector) hi.castShape(QF, 0);
                    s0 = fma ? w.lanewise(VectorOperators.FMA, xc0, s0) : w.mul(xc0).add(s0);
                    w = (FloatVector) hi.castShape(QF, 1);
                    s0 = fma ? w.lanewise(VectorOperators.FMA, xd, s0) : w.mul(xd).add(s0);
                    q = ByteVector.fromMemorySegment(B8, data, o1 + 2 + k, LE);
                    lo = q.and((byte) 0x0F).sub((byte) 8);
                    hi = q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8);
                    w = (FloatVector) lo.castShape(QF, 0);
                    s1 = fma ? w.lanewise(VectorOperators.FMA, xa, s1) : w.mul(xa).add(s1);
                    w = (FloatVector) lo.castShape(QF, 1);
                    s1 = fma ? w.lanewise(VectorOperators.FMA, xb, s1) : w.mul(xb).add(s1);
                    w = (FloatVector) hi.castShape(QF, 0);
                    s1 = fma ? w.lanewise(VectorOperators.FMA, xc0, s1) : w.mul(xc0).add(s1);
                    w = (FloatVector) hi.castShape(QF, 1);
                    s1 = fma ? w.lanewise(VectorOperators.FMA, xd, s1) : w.mul(xd).add(s1);
                }
                FloatVector d0 = FloatVector.broadcast(QF, Float.float16ToFloat(data.get(WeightReader.I16, o0)));
                FloatVector d1 = FloatVector.broadcast(QF, Float.float16ToFloat(data.get(WeightReader.I16, o1)));
                a0 = fma ? s0.lanewise(VectorOperators.FMA, d0, a0) : s0.mul(d0).add(a0);
                a1 = fma ? s1.lanewise(VectorOperators.FMA, d1, a1) : s1.mul(d1).add(a1);
            }
            a0.intoArray(lanes, 0);
            a1.intoArray(lanes, QL);
            float s0 = 0;
            float s1 = 0;
            for (int i = 0; i < QL; i++) {
                s0 += lanes[i];
                s1 += lanes[QL + i];
            }
            y[y0 + r] = s0;
            y[y1 + r] = s1;
        }
        MatVec.faultable(data);
    }

    @Override
    void toFloats(MemorySegment data, long offset, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i += 32, offset += BLOCK_BYTES) {
            FloatVector d = FloatVector.broadcast(QF, Float.float16ToFloat(data.get(WeightReader.I16, offset)));
            if (QL == 8) {
                IntVector eight = IntVector.broadcast(QI, 8);
                for (int k = 0; k < 16; k += 8) {
                    IntVector q = (IntVector) ByteVector.fromMemorySegment(B8, data, offset + 2 + k, LE)
                            .convertShape(VectorOperators.B2I, QI, 0);
                    ((FloatVector) q.and(0x0F).sub(eight).convert(VectorOperators.I2F, 0)).mul(d)
                            .intoArray(out, outOff + i + k);
                    ((FloatVector) q.lanewise(VectorOperators.ASHR, 4).and(0x0F).sub(eight)
                            .convert(VectorOperators.I2F, 0)).mul(d).intoArray(out, outOff + i + 16 + k);
                }
            } else {
                for (int k = 0; k < 16; k += 8) {
                    ByteVector q = ByteVector.fromMemorySegment(B8, data, offset + 2 + k, LE);
                    ByteVector lo = q.and((byte) 0x0F).sub((byte) 8);
                    ByteVector hi = q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8);
                    ((FloatVector) lo.castShape(QF, 0)).mul(d).intoArray(out, outOff + i + k);
                    ((FloatVector) lo.castShape(QF, 1)).mul(d).intoArray(out, outOff + i + k + 4);
                    ((FloatVector) hi.castShape(QF, 0)).mul(d).intoArray(out, outOff + i + 16 + k);
                    ((FloatVector) hi.castShape(QF, 1)).mul(d).intoArray(out, outOff + i + 16 + k + 4);
                }
            }
        }
        MatVec.faultable(data);
    }
}
