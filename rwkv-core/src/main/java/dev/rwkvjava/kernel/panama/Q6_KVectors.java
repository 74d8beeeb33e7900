package dev.rwkvjava.kernel.panama;

import static dev.rwkvjava.kernel.panama.MatVec.LE;

import dev.rwkvjava.tensor.Matrix;
import dev.rwkvjava.tensor.Q6_KType;
import dev.rwkvjava.tensor.WeightReader;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The Vector API kernels of {@link Q6_KType} weights, on float activations. For each half of a super-block and
 * each run of 8 positions l, the three byte runs that hold their bits (two of low nibbles, one of high pairs) are
 * widened to int lanes once and give the 6-bit quants of four runs of 8 values (at 0, 32, 64 and 96 within the
 * half); for matMat each becomes its exact weight (d·scale)·(q − 32) and is stored, for matVec the quants
 * multiply x and each group of 16 products is scaled once (see rows). Two accumulators a row. 256-bit vectors; at 128 bits the scalar decoding (see DecodedBlocks).
 */
final class Q6_KVectors extends WeightVectors {
    private static final VectorSpecies<Float> QF = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> QI = IntVector.SPECIES_256;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final int BLOCK_BYTES = 210;
    private static final boolean WIDE = PanamaConstants.BITS >= 256;
    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[8]);
    private static final IntVector NIBBLE = IntVector.broadcast(QI, 0x0F);
    private static final IntVector THREE = IntVector.broadcast(QI, 3);
    /** A super-block's 16 scales times d, one array per thread. */
    private static final ThreadLocal<float[]> STEPS = ThreadLocal.withInitial(() -> new float[16]);
    private final DecodedBlocks narrow = new DecodedBlocks(Q6_KType.INSTANCE);

    @Override
    void matVec(Matrix w, float[] x, int xOff, float[] y, int yOff, int rowStart, int rowEnd) {
        if (!WIDE) {
            narrow.matVec(w, x, xOff, y, yOff, rowStart, rowEnd);
            return;
        }
        rows(w.data(), w.rowOffset(rowStart), w.rowBytes(), w.cols() / 256, x, xOff, y, yOff + rowStart,
                rowEnd - rowStart);
    }

    /**
     * Each super-block's 16 scales are first widened and multiplied by d as vectors (exact: d has 11 significant
     * bits, a scale 8) and stored; a step then takes 16 values (positions l .. l + 15) of two of the four runs of
     * 32 in the half, which share one scale each: the quants times x are summed unscaled, and the sum is scaled once
     * (q − 32 is exact, so this is the exact weights' products summed in another order). Two runs a step, not
     * four: a loop body that makes twice the vector calls took C2 past its inlining budget, and its vectors were
     * boxed.
     */
    private static void rows(MemorySegment data, long base, long rowBytes, int blocks, float[] x, int xOff,
                             float[] y, int y0, int count) {
        float[] lanes = LANES.get();
        float[] steps = STEPS.get();
        boolean fma = PanamaConstants.FMA;
        IntVector bias = IntVector.broadcast(QI, 32);
        for (int r = 0; r < count; r++, base += rowBytes) {
            FloatVector a0 = FloatVector.zero(QF);
            FloatVector a1 = FloatVector.zero(QF);
            long o = base;
            for (int b = 0, xb = xOff; b < blocks; b++, xb += 256, o += BLOCK_BYTES) {
                FloatVector d = FloatVector.broadcast(QF, Float.float16ToFloat(data.get(WeightReader.I16, o + 208)));
                ((FloatVector) ByteVector.fromMemorySegment(B8, data, o + 192, LE).castShape(QF, 0)).mul(d)
                        .intoArray(steps, 0);
                ((FloatVector) ByteVector.fromMemorySegment(B8, data, o + 200, LE).castShape(QF, 0)).mul(d)
                        .intoArray(steps, 8);
                for (int h = 0; h < 2; h++) {
                    long qh = o + 128 + 32L * h;
                    for (int l = 0; l < 32; l += 16) {
                        // Runs k and k + 2 (k = 0, 1) share their low-bit bytes (low and high nibbles of ql[32k +
                        // l ..]); value 32k + l of the half has the scale of group (128h + 32k + l) / 16.
                        for (int k = 0; k < 2; k++) {
                            long ql = o + 64L * h + 32L * k + l;
                            int xc = xb + 128 * h + 32 * k + l;
                            int group = 8 * h + l / 16 + 2 * k;
                            int shift = 2 * k;
                            IntVector la = (IntVector) ByteVector.fromMemorySegment(B8, data, ql, LE)
                                    .convertShape(VectorOperators.B2I, QI, 0);
                            IntVector lc = (IntVector) ByteVector.fromMemorySegment(B8, data, ql + 8, LE)
                                    .convertShape(VectorOperators.B2I, QI, 0);
                            IntVector hv = (IntVector) ByteVector.fromMemorySegment(B8, data, qh + l, LE)
                                    .convertShape(VectorOperators.B2I, QI, 0);
                            IntVector hw = (IntVector) ByteVector.fromMemorySegment(B8, data, qh + l + 8, LE)
                                    .convertShape(VectorOperators.B2I, QI, 0);
                            IntVector q = la.and(NIBBLE).or(hv.lanewise(VectorOperators.ASHR, shift).and(THREE)
                                    .lanewise(VectorOperators.LSHL, 4)).sub(bias);
                            FloatVector s = ((FloatVector) q.convertShape(VectorOperators.I2F, QF, 0))
                                    .mul(FloatVector.fromArray(QF, x, xc));
                            q = lc.and(NIBBLE).or(hw.lanewise(VectorOperators.ASHR, shift).and(THREE)
                                    .lanewise(VectorOperators.LSHL, 4)).sub(bias);
                            FloatVector w = (FloatVector) q.convertShape(VectorOperators.I2F, QF, 0);
                            FloatVector xv = FloatVector.fromArray(QF, x, xc + 8);
                            s = fma ? w.lanewise(VectorOperators.FMA, xv, s) : w.mul(xv).add(s);
                            FloatVector step = FloatVector.broadcast(QF, steps[group]);
                            a0 = fma ? s.lanewise(VectorOperators.FMA, step, a0) : s.mul(step).add(a0);
                            q = la.lanewise(VectorOperators.ASHR, 4).and(NIBBLE).or(hv.lanewise(VectorOperators.ASHR,
                                    shift + 4).and(THREE).lanewise(VectorOperators.LSHL, 4)).sub(bias);
                            s = ((FloatVector) q.convertShape(VectorOperators.I2F, QF, 0))
                                    .mul(FloatVector.fromArray(QF, x, xc + 64));
                            q = lc.lanewise(VectorOperators.ASHR, 4).and(NIBBLE).or(hw.lanewise(VectorOperators.ASHR,
                                    shift + 4).and(THREE).lanewise(VectorOperators.LSHL, 4)).sub(bias);
                            w = (FloatVector) q.convertShape(VectorOperators.I2F, QF, 0);
                            xv = FloatVector.fromArray(QF, x, xc + 72);
                            s = fma ? w.lanewise(VectorOperators.FMA, xv, s) : w.mul(xv).add(s);
                            step = FloatVector.broadcast(QF, steps[group + 4]);
                            a1 = fma ? s.lanewise(VectorOperators.FMA, step, a1) : s.mul(step).add(a1);
                        }
                    }
                }
            }
            a0.add(a1).intoArray(lanes, 0);
            float s = 0;
            for (int i = 0; i < 8; i++) {
                s += lanes[i];
            }
            y[y0 + r] = s;
        }
        MatVec.faultable(data);
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
                    float s0 = d * data.get(ValueLayout.JAVA_BYTE, scales + group);
                    float s2 = d * data.get(ValueLayout.JAVA_BYTE, scales + group + 2);
                    float s4 = d * data.get(ValueLayout.JAVA_BYTE, scales + group + 4);
                    float s6 = d * data.get(ValueLayout.JAVA_BYTE, scales + group + 6);
                    IntVector q = la.and(0x0F).or(hv.and(3).lanewise(VectorOperators.LSHL, 4)).sub(bias);
                    ((FloatVector) q.convertShape(VectorOperators.I2F, QF, 0)).mul(s0).intoArray(out, o + l);
                    q = lb.and(0x0F).or(hv.lanewise(VectorOperators.ASHR, 2).and(3).lanewise(VectorOperators.LSHL, 4))
                            .sub(bias);
                    ((FloatVector) q.convertShape(VectorOperators.I2F, QF, 0)).mul(s2).intoArray(out, o + 32 + l);
                    q = la.lanewise(VectorOperators.ASHR, 4).and(0x0F)
                            .or(hv.lanewise(VectorOperators.ASHR, 4).and(3).lanewise(VectorOperators.LSHL, 4))
                            .sub(bias);
                    ((FloatVector) q.convertShape(VectorOperators.I2F, QF, 0)).mul(s4).intoArray(out, o + 64 + l);
                    q = lb.lanewise(VectorOperators.ASHR, 4).and(0x0F)
                            .or(hv.lanewise(VectorOperators.ASHR, 6).and(3).lanewise(VectorOperators.LSHL, 4))
                            .sub(bias);
                    ((FloatVector) q.convertShape(VectorOperators.I2F, QF, 0)).mul(s6).intoArray(out, o + 96 + l);
                }
            }
        }
        MatVec.faultable(data);
    }
}
