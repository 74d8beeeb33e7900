package dev.rwkvjava.kernel.panama;

import static dev.rwkvjava.kernel.panama.MatVec.LE;

import dev.rwkvjava.tensor.Matrix;
import dev.rwkvjava.tensor.Q6_KType;
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
 * The Vector API kernels of {@link Q6_KType} weights, on float activations. matVec loads a run's bytes 32 at a
 * time as int lanes and multiplies its 6-bit quants with x in that order (see {@link #rows}); toFloats, for
 * matMat, widens each run of 8 bytes to int lanes once and gives the exact weights (d·scale)·(q − 32) of four runs
 * of 8 values (at 0, 32, 64 and 96 within a half super-block). 256-bit vectors; at 128 bits the scalar decoding
 * (see DecodedBlocks).
 */
final class Q6_KVectors extends WeightVectors {
    private static final VectorSpecies<Float> QF = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> QI = IntVector.SPECIES_256;
    private static final FloatVector MINUS_32 = FloatVector.broadcast(QF, -32f);
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final int BLOCK_BYTES = 210;
    private static final boolean WIDE = PanamaConstants.BITS >= 256;
    /** Lanes 4 .. 7: a run's second group of 16 values. */
    private static final VectorMask<Float> SECOND = VectorMask.fromLong(QF, 0xF0);
    /** The sums of x per group of 16 columns; one array per thread, grown to the widest row seen. */
    private static final ThreadLocal<float[][]> X_SUMS = ThreadLocal.withInitial(() -> new float[1][0]);
    /** A super-block's 16 scales times d, one array per thread. */
    private static final ThreadLocal<float[]> STEPS = ThreadLocal.withInitial(() -> new float[16]);
    private final DecodedBlocks narrow = new DecodedBlocks(Q6_KType.INSTANCE);

    @Override
    void matVec(Matrix w, float[] x, int xOff, float[] y, int yOff, int rowStart, int rowEnd) {
        if (!WIDE) {
            narrow.matVec(w, x, xOff, y, yOff, rowStart, rowEnd);
            return;
        }
        int n = w.cols();
        float[] xp = Q8_0Vectors.permuted(x, xOff, n);
        Q8_0Vectors.scaleForMaskedBytes(xp, n);
        rows(w.data(), w.rowOffset(rowStart), w.rowBytes(), n / 256, xp, groupSums(x, xOff, n), STEPS.get(), y,
                yOff + rowStart, rowEnd - rowStart);
    }

    /**
     * A super-block is eight runs of 32 values, each the low or high nibbles of 32 bytes of ql with two bits of
     * the 32 bytes of qh above them. A run's two 32-byte spans are loaded as 8 int lanes each, shifted so that each
     * byte's nibble and two bits lie side by side and joined into one vector of 6-bit quants (byte k of lane j is
     * value 4j + k), whose bytes are masked in place against x permuted by {@link Q8_0Vectors#permuted} and scaled
     * by the bytes' place values ({@link Q8_0Vectors#scaleForMaskedBytes}): a run is two loads, five operations to
     * join them and one to take each of its four quant vectors. Lanes 0 .. 3 of a run hold its first group of 16
     * values, lanes 4 .. 7 its second: the products of a run are summed unscaled and scaled once by a vector of the
     * two groups' steps d·scale. The quants are taken as stored (0 .. 63) and the 32 they are offset by goes
     * against sums of x per group ({@link #groupSums}), one multiply-add per eight groups. The runs are a loop of
     * eight, not written out: the body is what C2 keeps in registers whatever it compiled before (see
     * WeightVectors).
     */
    private static void rows(MemorySegment data, long base, long rowBytes, int blocks, float[] x, float[] xSums,
                             float[] steps, float[] y, int y0, int count) {
        boolean fma = PanamaConstants.FMA;
        for (int r = 0; r < count; r++, base += rowBytes) {
            FloatVector acc = FloatVector.zero(QF);
            FloatVector offsets = FloatVector.zero(QF);
            long o = base;
            for (int b = 0, xb = 0; b < blocks; b++, xb += 256, o += BLOCK_BYTES) {
                FloatVector d = FloatVector.broadcast(QF, Float.float16ToFloat(data.get(WeightReader.I16, o + 208)));
                FloatVector s0 = ((FloatVector) ByteVector.fromMemorySegment(B8, data, o + 192, LE)
                        .convertShape(VectorOperators.B2I, QI, 0).convertShape(VectorOperators.I2F, QF, 0))
                        .lanewise(VectorOperators.MUL, d);
                FloatVector s1 = ((FloatVector) ByteVector.fromMemorySegment(B8, data, o + 200, LE)
                        .convertShape(VectorOperators.B2I, QI, 0).convertShape(VectorOperators.I2F, QF, 0))
                        .lanewise(VectorOperators.MUL, d);
                s0.intoArray(steps, 0);
                s1.intoArray(steps, 8);
                FloatVector xs = FloatVector.fromArray(QF, xSums, 16 * b);
                offsets = fma ? s0.lanewise(VectorOperators.FMA, xs, offsets) : s0.mul(xs).add(offsets);
                xs = FloatVector.fromArray(QF, xSums, 16 * b + 8);
                offsets = fma ? s1.lanewise(VectorOperators.FMA, xs, offsets) : s1.mul(xs).add(offsets);
                for (int t = 0; t < 8; t++) {
                    // Run t = 4h + k: low nibbles (k < 2) or high nibbles of ql[64h + 32(k & 1) ..], bits 2k, 2k + 1
                    // of qh[32h ..].
                    int h = t >> 2;
                    int k = t & 3;
                    IntVector lo = IntVector.fromMemorySegment(QI, data, o + 64L * h + 32L * (k & 1), LE)
                            .lanewise(VectorOperators.LSHR, 4 * (k >> 1));
                    IntVector hi = IntVector.fromMemorySegment(QI, data, o + 128 + 32L * h, LE)
                            .lanewise(VectorOperators.LSHR, 2 * k).lanewise(VectorOperators.LSHL, 4);
                    // Each byte's 6-bit quant assembled in place, then masked where it lies against x scaled by
                    // the byte's place value (see matVec).
                    IntVector q = lo.lanewise(VectorOperators.AND, IntVector.broadcast(QI, 0x0F0F0F0F))
                            .lanewise(VectorOperators.OR, hi.lanewise(VectorOperators.AND,
                                    IntVector.broadcast(QI, 0x30303030)));
                    int xc = xb + 32 * t;
                    FloatVector s = ((FloatVector) q.lanewise(VectorOperators.AND, IntVector.broadcast(QI, 0x3F))
                            .convertShape(VectorOperators.I2F, QF, 0))
                            .lanewise(VectorOperators.MUL, FloatVector.fromArray(QF, x, xc));
                    FloatVector w = (FloatVector) q.lanewise(VectorOperators.AND, IntVector.broadcast(QI, 0x3F00))
                            .convertShape(VectorOperators.I2F, QF, 0);
                    FloatVector xv = FloatVector.fromArray(QF, x, xc + 8);
                    s = fma ? w.lanewise(VectorOperators.FMA, xv, s) : w.mul(xv).add(s);
                    w = (FloatVector) q.lanewise(VectorOperators.AND, IntVector.broadcast(QI, 0x3F0000))
                            .convertShape(VectorOperators.I2F, QF, 0);
                    xv = FloatVector.fromArray(QF, x, xc + 16);
                    s = fma ? w.lanewise(VectorOperators.FMA, xv, s) : w.mul(xv).add(s);
                    w = (FloatVector) q.lanewise(VectorOperators.LSHR, 24).convertShape(VectorOperators.I2F, QF, 0);
                    xv = FloatVector.fromArray(QF, x, xc + 24);
                    s = fma ? w.lanewise(VectorOperators.FMA, xv, s) : w.mul(xv).add(s);
                    FloatVector step = FloatVector.broadcast(QF, steps[2 * t])
                            .blend(FloatVector.broadcast(QF, steps[2 * t + 1]), SECOND);
                    acc = fma ? s.lanewise(VectorOperators.FMA, step, acc) : s.mul(step).add(acc);
                }
            }
            FloatVector v = offsets.lanewise(VectorOperators.FMA, MINUS_32, acc);
            y[y0 + r] = v.lane(0) + v.lane(1) + v.lane(2) + v.lane(3) + v.lane(4) + v.lane(5) + v.lane(6) + v.lane(7);
        }
        MatVec.faultable(data);
    }

    /** The sums of x[xOff ..] over each group of 16 columns of n, in this thread's array. */
    private static float[] groupSums(float[] x, int xOff, int n) {
        float[] sums = MatVec.grown(X_SUMS.get(), n / 16);
        for (int g = 0, c = xOff; g < n / 16; g++) {
            float s = 0;
            for (int end = c + 16; c < end; c++) {
                s += x[c];
            }
            sums[g] = s;
        }
        return sums;
    }

    /** The weights of {@link #rows}, stored instead of multiplied (256 bits; else the scalar decoding). */
    @Override
    void toFloats(MemorySegment data, long offset, float[] out, int outOff, int n) {
        if (!WIDE) {
            Q6_KType.INSTANCE.decode(data, offset, out, outOff, n);
            return;
        }
        IntVector bias = IntVector.broadcast(QI, 32);
        for (int b = 0; b < n; b += 256, offset += BLOCK_BYTES) {
            float d = Float.float16ToFloat(data.get(WeightReader.I16, offset + 208));
            long scales = offset + 192;
            for (int h = 0; h < 2; h++) {
                long ql = offset + 64L * h;
                long qh = offset + 128 + 32L * h;
                int o = outOff + b + 128 * h;
                for (int l = 0; l < 32; l += 8) {
                    IntVector la = (IntVector) ByteVector.fromMemorySegment(B8, data, ql + l, LE)
                            .convertShape(VectorOperators.B2I, QI, 0);
                    IntVector lb = (IntVector) ByteVector.fromMemorySegment(B8, data, ql + 32 + l, LE)
                            .convertShape(VectorOperators.B2I, QI, 0);
                    IntVector hv = (IntVector) ByteVector.fromMemorySegment(B8, data, qh + l, LE)
                            .convertShape(VectorOperators.B2I, QI, 0);
                    int group = (128 * h + l) / 16;
                    FloatVector s0 = FloatVector.broadcast(QF,
                            d * data.get(ValueLayout.JAVA_BYTE, scales + group));
                    FloatVector s2 = FloatVector.broadcast(QF,
                            d * data.get(ValueLayout.JAVA_BYTE, scales + group + 2));
                    FloatVector s4 = FloatVector.broadcast(QF,
                            d * data.get(ValueLayout.JAVA_BYTE, scales + group + 4));
                    FloatVector s6 = FloatVector.broadcast(QF,
                            d * data.get(ValueLayout.JAVA_BYTE, scales + group + 6));
                    IntVector q = la.and(0x0F).or(hv.and(3).lanewise(VectorOperators.LSHL, 4)).sub(bias);
                    ((FloatVector) q.convertShape(VectorOperators.I2F, QF, 0))
                            .lanewise(VectorOperators.MUL, s0).intoArray(out, o + l);
                    q = lb.and(0x0F).or(hv.lanewise(VectorOperators.ASHR, 2).and(3).lanewise(VectorOperators.LSHL, 4))
                            .sub(bias);
                    ((FloatVector) q.convertShape(VectorOperators.I2F, QF, 0))
                            .lanewise(VectorOperators.MUL, s2).intoArray(out, o + 32 + l);
                    q = la.lanewise(VectorOperators.ASHR, 4).and(0x0F)
                            .or(hv.lanewise(VectorOperators.ASHR, 4).and(3).lanewise(VectorOperators.LSHL, 4))
                            .sub(bias);
                    ((FloatVector) q.convertShape(VectorOperators.I2F, QF, 0))
                            .lanewise(VectorOperators.MUL, s4).intoArray(out, o + 64 + l);
                    q = lb.lanewise(VectorOperators.ASHR, 4).and(0x0F)
                            .or(hv.lanewise(VectorOperators.ASHR, 6).and(3).lanewise(VectorOperators.LSHL, 4))
                            .sub(bias);
                    ((FloatVector) q.convertShape(VectorOperators.I2F, QF, 0))
                            .lanewise(VectorOperators.MUL, s6).intoArray(out, o + 96 + l);
                }
            }
        }
        MatVec.faultable(data);
    }
}
