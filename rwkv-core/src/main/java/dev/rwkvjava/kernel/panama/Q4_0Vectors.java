package dev.rwkvjava.kernel.panama;

import static dev.rwkvjava.kernel.panama.MatVec.LE;

import dev.rwkvjava.tensor.Matrix;
import dev.rwkvjava.tensor.Q4_0Type;
import dev.rwkvjava.tensor.WeightReader;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The Vector API kernels of {@link Q4_0Type} weights, on float activations. With 8-lane vectors matVec multiplies
 * the quants with x as they are, two blocks a step, and takes the 8 off through sums of x (see {@link #rows8}); with
 * 4-lane vectors, and to decode weights for matMat, a block's bytes are widened to int lanes, split into low nibbles
 * (values 0..15) and high nibbles (16..31), 8 subtracted (exact), converted to floats in registers and multiplied
 * with x; the block's sum is scaled by its d.
 */
final class Q4_0Vectors extends WeightVectors {
    private static final VectorSpecies<Float> QF = PanamaConstants.BITS >= 256 ? FloatVector.SPECIES_256
            : FloatVector.SPECIES_128;
    private static final VectorSpecies<Integer> QI = QF.withLanes(int.class);
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final int QL = QF.length();
    private static final int BLOCK_BYTES = 18;
    /** x in {@link #rows8}'s order, one per thread, grown on demand. */
    private static final ThreadLocal<float[][]> ORDERED = ThreadLocal.withInitial(() -> new float[][] {new float[0]});
    /** The sums of x per block times −8, spread over the block's lanes (see blockSums), one per thread. */
    private static final ThreadLocal<float[][]> SUMS = ThreadLocal.withInitial(() -> new float[][] {new float[0]});
    /** Lanes 4 .. 7: the second block of a pair. */
    private static final VectorMask<Integer> SECOND_INT = VectorMask.fromLong(QI, 0xF0);
    private static final VectorMask<Float> SECOND_FLOAT = VectorMask.fromLong(QF, 0xF0);
    /** The scales of x against the low and high nibble of byte k of a lane, masked in place: 2^−8k, 2^−(8k+4). */
    private static final float[] LOW_SCALE = {1, 0x1p-8f, 0x1p-16f, 0x1p-24f};
    private static final float[] HIGH_SCALE = {0x1p-4f, 0x1p-12f, 0x1p-20f, 1}; // the top nibble is shifted down

    @Override
    void matVec(Matrix w, float[] x, int xOff, float[] y, int yOff, int rowStart, int rowEnd) {
        if (QL == 8) {
            int blocks = w.cols() / 32;
            float[] xp = MatVec.grown(ORDERED.get(), w.cols());
            float[] sums = MatVec.grown(SUMS.get(), 4 * blocks);
            prepare(x, xOff, blocks, xp, sums);
            rows8(w.data(), w.rowOffset(rowStart), w.rowBytes(), blocks, x, xOff, xp, sums, y, yOff + rowStart,
                    rowEnd - rowStart);
        } else {
            int half = (rowEnd - rowStart + 1) / 2;
            pairs4(w.data(), w.rowOffset(rowStart), w.rowOffset(rowEnd - half), w.rowBytes(), w.cols() / 32, x, xOff,
                    y, yOff + rowStart, yOff + rowEnd - half, half);
        }
    }

    /**
     * x for {@link #rows8}: within each pair of blocks (64 columns), position 8k + j holds the column whose weight
     * lane j decodes at step k (low nibbles, then at 32 + 8k + j the high nibbles), each times its nibble's place
     * value in the lane inverted ({@link #LOW_SCALE}, {@link #HIGH_SCALE}), and the sums of x per block times −8
     * spread over its lanes ({@link #blockSums}). Once per call, per thread.
     */
    private static void prepare(float[] x, int xOff, int blocks, float[] xp, float[] sums) {
        for (int c = 0; c + 64 <= 32 * blocks; c += 64) {
            for (int k = 0; k < 4; k++) {
                for (int j = 0; j < 4; j++) {
                    xp[c + 8 * k + j] = x[xOff + c + 4 * j + k];
                    xp[c + 8 * k + 4 + j] = x[xOff + c + 32 + 4 * j + k];
                    xp[c + 32 + 8 * k + j] = x[xOff + c + 16 + 4 * j + k];
                    xp[c + 32 + 8 * k + 4 + j] = x[xOff + c + 48 + 4 * j + k];
                }
            }
        }
        scaleForMasks(xp, 32 * blocks);
        blockSums(x, xOff, blocks, sums);
    }

    /**
     * The sums of x per block times −8, spread over the block's four lanes: a quarter, −2·Σx, at 4b .. 4b + 3. The
     * kernels start each block's sum of products there, so that d·Σ(q − 8)·x comes out of the one multiply-add by d.
     */
    private static void blockSums(float[] x, int xOff, int blocks, float[] sums) {
        for (int b = 0; b < blocks; b++) {
            float s = 0;
            for (int c = xOff + 32 * b, end = c + 32; c < end; c++) {
                s += x[c];
            }
            sums[4 * b] = sums[4 * b + 1] = sums[4 * b + 2] = sums[4 * b + 3] = -2 * s;
        }
    }

    /** One block's d·Σ(q − 8)·x in scalar code, the ends of rows that do not fill a vector step. */
    private static float scalarBlock(MemorySegment data, long o, float[] x, int xc) {
        float t = 0;
        for (int l = 0; l < 16; l++) {
            int q = data.get(ValueLayout.JAVA_BYTE, o + 2 + l);
            t += ((q & 0x0F) - 8) * x[xc + l] + (((q >> 4) & 0x0F) - 8) * x[xc + 16 + l];
        }
        return Float.float16ToFloat(data.get(WeightReader.I16, o)) * t;
    }

    /**
     * Scales x in the order of {@link Q8_0Vectors#permuted} (position 8k + j of each run of 32: byte k of lane j)
     * for nibbles masked in place: within each 64 columns, the low nibbles of byte k (positions 8k ..) by 2^−8k,
     * the high nibbles (32 + 8k ..) by 2^−(8k+4), all but the top one, which is shifted down.
     */
    static void scaleForMasks(float[] xp, int n) {
        for (int c = 0; c + 64 <= n; c += 64) {
            for (int k = 0; k < 4; k++) {
                for (int j = 0; j < 8; j++) {
                    xp[c + 8 * k + j] *= LOW_SCALE[k];
                    xp[c + 32 + 8 * k + j] *= HIGH_SCALE[k];
                }
            }
        }
    }

    /**
     * 8-lane vectors, two blocks a step: the quant bytes of blocks b and b + 1 as one vector of 8 int lanes (two
     * overlapping loads blended, the second block's scale lying between them). Each of a lane's eight nibbles is
     * masked where it lies, q·2^4i, converted to float exactly and multiplied with x scaled by 2^−4i
     * ({@link #prepare}): the product q·x (exact scaling unless |x| is below 2^−98), one operation fewer than
     * shifting the nibble down first (the top nibble is shifted: masked, it would read as signed). The quants
     * multiply x as they are and each block's sum is scaled by its d once, the −8 going against the sums of x:
     * d·Σ(q − 8)·x = d·(Σq·x − 8·Σx), the block's lanes starting from the second term ({@link #blockSums}) instead
     * of zero. 8-byte loads widened to ints cost more than the whole multiply. The four
     * steps are a loop rather than written out: written out, the kernel's graph came near the size at which C2
     * stops inlining, and kernels compiled after it in the same JVM were left with boxed vectors. An odd last block
     * is summed in scalar code.
     */
    private static void rows8(MemorySegment data, long base, long rowBytes, int blocks, float[] x, int xOff,
                              float[] xp, float[] sums, float[] y, int y0, int count) {
        boolean fma = PanamaConstants.FMA;
        int pairs = blocks / 2;
        for (int r = 0; r < count; r++, base += rowBytes) {
            FloatVector acc = FloatVector.zero(QF);
            for (int p = 0, xc = 0; p < pairs; p++, xc += 64) {
                long o = base + 2L * BLOCK_BYTES * p;
                IntVector v = IntVector.fromMemorySegment(QI, data, o + 2, LE)
                        .blend(IntVector.fromMemorySegment(QI, data, o + 4, LE), SECOND_INT);
                FloatVector lo = FloatVector.fromArray(QF, sums, 8 * p);
                FloatVector hi = FloatVector.zero(QF);
                for (int k = 0; k < 4; k++) {
                    IntVector q = v.lanewise(VectorOperators.AND, IntVector.broadcast(QI, 0x0F << 8 * k));
                    FloatVector w = (FloatVector) q.convertShape(VectorOperators.I2F, QF, 0);
                    FloatVector xv = FloatVector.fromArray(QF, xp, xc + 8 * k);
                    lo = fma ? w.lanewise(VectorOperators.FMA, xv, lo) : w.lanewise(VectorOperators.MUL, xv)
                            .lanewise(VectorOperators.ADD, lo);
                    q = k == 3 ? v.lanewise(VectorOperators.LSHR, 28)
                            : v.lanewise(VectorOperators.AND, IntVector.broadcast(QI, 0xF0 << 8 * k));
                    w = (FloatVector) q.convertShape(VectorOperators.I2F, QF, 0);
                    xv = FloatVector.fromArray(QF, xp, xc + 32 + 8 * k);
                    hi = fma ? w.lanewise(VectorOperators.FMA, xv, hi) : w.lanewise(VectorOperators.MUL, xv)
                            .lanewise(VectorOperators.ADD, hi);
                }
                float d0 = Float.float16ToFloat(data.get(WeightReader.I16, o));
                float d1 = Float.float16ToFloat(data.get(WeightReader.I16, o + BLOCK_BYTES));
                FloatVector d = FloatVector.broadcast(QF, d0).blend(FloatVector.broadcast(QF, d1), SECOND_FLOAT);
                FloatVector s = lo.lanewise(VectorOperators.ADD, hi);
                acc = fma ? s.lanewise(VectorOperators.FMA, d, acc) : s.mul(d).add(acc);
            }
            float sum = acc.lane(0) + acc.lane(1) + acc.lane(2) + acc.lane(3) + acc.lane(4) + acc.lane(5)
                    + acc.lane(6) + acc.lane(7);
            if ((blocks & 1) != 0) {
                sum += scalarBlock(data, base + 2L * BLOCK_BYTES * pairs, x, xOff + 32 * (blocks - 1));
            }
            y[y0 + r] = sum;
        }
        MatVec.faultable(data);
    }

    /**
     * {@link #rows8} for 4-lane vectors, rows in two halves side by side: a block's bytes as two 8-byte halves, each
     * half's nibbles widened into two vectors (every conversion takes a constant part, as C2 needs to compile it).
     */
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
            float s0 = a0.lane(0) + a0.lane(1) + a0.lane(2) + a0.lane(3);
            float s1 = a1.lane(0) + a1.lane(1) + a1.lane(2) + a1.lane(3);
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
                    ((FloatVector) q.and(0x0F).sub(eight).convertShape(VectorOperators.I2F, QF, 0))
                            .lanewise(VectorOperators.MUL, d).intoArray(out, outOff + i + k);
                    ((FloatVector) q.lanewise(VectorOperators.ASHR, 4).and(0x0F).sub(eight)
                            .convertShape(VectorOperators.I2F, QF, 0))
                            .lanewise(VectorOperators.MUL, d).intoArray(out, outOff + i + 16 + k);
                }
            } else {
                for (int k = 0; k < 16; k += 8) {
                    ByteVector q = ByteVector.fromMemorySegment(B8, data, offset + 2 + k, LE);
                    ByteVector lo = q.and((byte) 0x0F).sub((byte) 8);
                    ByteVector hi = q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8);
                    ((FloatVector) lo.castShape(QF, 0)).lanewise(VectorOperators.MUL, d).intoArray(out, outOff + i + k);
                    ((FloatVector) lo.castShape(QF, 1))
                            .lanewise(VectorOperators.MUL, d).intoArray(out, outOff + i + k + 4);
                    ((FloatVector) hi.castShape(QF, 0))
                            .lanewise(VectorOperators.MUL, d).intoArray(out, outOff + i + 16 + k);
                    ((FloatVector) hi.castShape(QF, 1))
                            .lanewise(VectorOperators.MUL, d).intoArray(out, outOff + i + 16 + k + 4);
                }
            }
        }
        MatVec.faultable(data);
    }
}
