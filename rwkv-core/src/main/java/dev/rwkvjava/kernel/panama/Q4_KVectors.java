package dev.rwkvjava.kernel.panama;

import static dev.rwkvjava.kernel.panama.MatVec.LE;

import dev.rwkvjava.tensor.Matrix;
import dev.rwkvjava.tensor.Q4_KType;
import dev.rwkvjava.tensor.WeightReader;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;

/**
 * The Vector API kernels of {@link Q4_KType} weights, on float activations. Per super-block the eight sub-blocks'
 * steps d·s and offsets dmin·m are decoded in vectors (in scalar code for matMat). matVec multiplies the nibbles
 * with x as they are and scales each sub-block's sum by its step, the offsets going against sums of x (see
 * {@link #rows}); toFloats, for matMat, decodes each weight as (d·s)·q − dmin·m (a fused multiply-add of an exact
 * product rounds as the subtraction alone). 256-bit vectors; at 128 bits rows are decoded and then multiplied (see
 * DecodedBlocks).
 */
final class Q4_KVectors extends WeightVectors {
    private static final VectorSpecies<Float> QF = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> QI = IntVector.SPECIES_256;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final int BLOCK_BYTES = 144;
    private static final boolean WIDE = PanamaConstants.BITS >= 256;
    /** A super-block's eight steps d·s and eight offsets −dmin·m (see steps); one array per thread. */
    private static final ThreadLocal<float[]> STEPS = ThreadLocal.withInitial(() -> new float[16]);
    /** Lanes 4 .. 7: the sub-blocks whose 6-bit fields are split over two bytes. */
    private static final VectorMask<Integer> HIGH = VectorMask.fromLong(QI, 0xF0);
    private static final IntVector NIBBLE = IntVector.broadcast(QI, 0x0F);
    private static final IntVector SIX_BITS = IntVector.broadcast(QI, 63);
    private static final IntVector TOP_TWO = IntVector.broadcast(QI, 0xC0);
    private final DecodedBlocks narrow = new DecodedBlocks(Q4_KType.INSTANCE);

    @Override
    void matVec(Matrix w, float[] x, int xOff, float[] y, int yOff, int rowStart, int rowEnd) {
        if (!WIDE) {
            narrow.matVec(w, x, xOff, y, yOff, rowStart, rowEnd);
            return;
        }
        int blocks = w.cols() / 256;
        float[] xp = Q8_0Vectors.permuted(x, xOff, w.cols());
        float[] sums = MatVec.runSums(xp, 8 * blocks);
        Q4_0Vectors.scaleForMasks(xp, w.cols());
        rows(w.data(), w.rowOffset(rowStart), w.rowBytes(), blocks, xp, sums, STEPS.get(), y, yOff + rowStart,
                rowEnd - rowStart);
    }

    /**
     * Each super-block's eight steps d·s and offsets −dmin·m are decoded as vectors first (the 6-bit fields of its
     * 12 scale bytes, see the comment in the loop). A sub-block's sum is Σ(step·q + off)·x = step·Σq·x + off·Σx: the
     * nibbles multiply x as they are, each sub-block's sum is scaled by its step once, and the offsets meet the
     * sums of x per 32 columns, computed once per call (MatVec.runSums), in one multiply-add a super-block.
     * Each pair of sub-blocks is one 256-bit load of 8 int lanes whose nibbles are masked in place, as in
     * {@link Q4_0Vectors}, against x in that order ({@link Q8_0Vectors#permuted}) scaled by the nibbles' place values
     * ({@link Q4_0Vectors#scaleForMasks}): fewer operations than four 8-byte loads widened to ints. The steps are
     * written out for the reason given in {@link Q8_0Vectors}.
     */
    private static void rows(MemorySegment data, long base, long rowBytes, int blocks, float[] x, float[] xSums,
                             float[] steps, float[] y, int y0, int count) {
        boolean fma = PanamaConstants.FMA;
        for (int r = 0; r < count; r++, base += rowBytes) {
            FloatVector even = FloatVector.zero(QF);
            FloatVector odd = FloatVector.zero(QF);
            FloatVector offsets = FloatVector.zero(QF);
            long o = base;
            for (int b = 0, xb = 0; b < blocks; b++, xb += 256, o += BLOCK_BYTES) {
                steps(data, o, steps);
                FloatVector off = FloatVector.fromArray(QF, steps, 8);
                FloatVector sums = FloatVector.fromArray(QF, xSums, 8 * b);
                offsets = fma ? off.lanewise(VectorOperators.FMA, sums, offsets) : off.mul(sums).add(offsets);
                for (int i = 0; i < 4; i++) {
                    // The pair's 32 bytes as 8 int lanes of 4: byte 4j + k of the run is lane j's k'th byte, its
                    // low nibble weight 4j + k of sub-block 2i, its high nibble that of sub-block 2i + 1.
                    IntVector v = IntVector.fromMemorySegment(QI, data, o + 16 + 32L * i, LE);
                    int xc = xb + 64 * i;
                    FloatVector lo = ((FloatVector) v.lanewise(VectorOperators.AND, IntVector.broadcast(QI, 0x0F))
                            .convertShape(VectorOperators.I2F, QF, 0))
                            .lanewise(VectorOperators.MUL, FloatVector.fromArray(QF, x, xc));
                    FloatVector hi = ((FloatVector) v.lanewise(VectorOperators.AND, IntVector.broadcast(QI, 0xF0))
                            .convertShape(VectorOperators.I2F, QF, 0))
                            .lanewise(VectorOperators.MUL, FloatVector.fromArray(QF, x, xc + 32));
                    FloatVector w = (FloatVector) v.lanewise(VectorOperators.AND, IntVector.broadcast(QI, 0x0F00))
                            .convertShape(VectorOperators.I2F, QF, 0);
                    FloatVector xv = FloatVector.fromArray(QF, x, xc + 8);
                    lo = fma ? w.lanewise(VectorOperators.FMA, xv, lo) : w.mul(xv).add(lo);
                    w = (FloatVector) v.lanewise(VectorOperators.AND, IntVector.broadcast(QI, 0xF000))
                            .convertShape(VectorOperators.I2F, QF, 0);
                    xv = FloatVector.fromArray(QF, x, xc + 40);
                    hi = fma ? w.lanewise(VectorOperators.FMA, xv, hi) : w.mul(xv).add(hi);
                    w = (FloatVector) v.lanewise(VectorOperators.AND, IntVector.broadcast(QI, 0x0F0000))
                            .convertShape(VectorOperators.I2F, QF, 0);
                    xv = FloatVector.fromArray(QF, x, xc + 16);
                    lo = fma ? w.lanewise(VectorOperators.FMA, xv, lo) : w.mul(xv).add(lo);
                    w = (FloatVector) v.lanewise(VectorOperators.AND, IntVector.broadcast(QI, 0xF00000))
                            .convertShape(VectorOperators.I2F, QF, 0);
                    xv = FloatVector.fromArray(QF, x, xc + 48);
                    hi = fma ? w.lanewise(VectorOperators.FMA, xv, hi) : w.mul(xv).add(hi);
                    w = (FloatVector) v.lanewise(VectorOperators.AND, IntVector.broadcast(QI, 0x0F000000))
                            .convertShape(VectorOperators.I2F, QF, 0);
                    xv = FloatVector.fromArray(QF, x, xc + 24);
                    lo = fma ? w.lanewise(VectorOperators.FMA, xv, lo) : w.mul(xv).add(lo);
                    w = (FloatVector) v.lanewise(VectorOperators.LSHR, 28).convertShape(VectorOperators.I2F, QF, 0);
                    xv = FloatVector.fromArray(QF, x, xc + 56);
                    hi = fma ? w.lanewise(VectorOperators.FMA, xv, hi) : w.mul(xv).add(hi);
                    FloatVector stepLo = FloatVector.broadcast(QF, steps[2 * i]);
                    FloatVector stepHi = FloatVector.broadcast(QF, steps[2 * i + 1]);
                    even = fma ? lo.lanewise(VectorOperators.FMA, stepLo, even) : lo.mul(stepLo).add(even);
                    odd = fma ? hi.lanewise(VectorOperators.FMA, stepHi, odd) : hi.mul(stepHi).add(odd);
                }
            }
            FloatVector v = even.lanewise(VectorOperators.ADD, odd).lanewise(VectorOperators.ADD, offsets);
            y[y0 + r] = v.lane(0) + v.lane(1) + v.lane(2) + v.lane(3) + v.lane(4) + v.lane(5) + v.lane(6) + v.lane(7);
        }
        MatVec.faultable(data);
    }

    /**
     * The eight steps d·s of the super-block at o into steps[0 .. 8) and its offsets −dmin·m into steps[8 .. 16),
     * decoded as vectors from its d, dmin and 12 scale bytes (Q4_K's and Q5_K's layout). Arrays, not vectors, cross
     * the call: a vector returned from a method C2 does not inline is boxed.
     */
    static void steps(MemorySegment data, long o, float[] steps) {
        // Bytes 4 .. 11, 8 .. 15 and 0 .. 7 of the block as int lanes; the scale bytes are 4 .. 15.
        IntVector p = (IntVector) ByteVector.fromMemorySegment(B8, data, o + 4, LE)
                .convertShape(VectorOperators.B2I, QI, 0);
        IntVector q = (IntVector) ByteVector.fromMemorySegment(B8, data, o + 8, LE)
                .convertShape(VectorOperators.B2I, QI, 0);
        IntVector h = (IntVector) ByteVector.fromMemorySegment(B8, data, o, LE)
                .convertShape(VectorOperators.B2I, QI, 0);
        // Sub-block j < 4: scale = byte j & 63, min = byte j + 4 & 63. j >= 4: scale = low nibble of byte j + 4
        // with the top two bits of byte j - 4 above it, min = high nibble of byte j + 4 with the top two bits of
        // byte j (bytes counted from the first scale byte).
        IntVector sc = p.and(SIX_BITS).blend(q.and(NIBBLE).or(h.and(TOP_TWO)
                .lanewise(VectorOperators.ASHR, 2)), HIGH);
        IntVector mn = q.and(SIX_BITS).blend(q.lanewise(VectorOperators.ASHR, 4).and(NIBBLE)
                .or(p.and(TOP_TWO).lanewise(VectorOperators.ASHR, 2)), HIGH);
        int dd = data.get(WeightReader.I32, o);
        float d = Float.float16ToFloat((short) dd);
        float dmin = Float.float16ToFloat((short) (dd >>> 16));
        ((FloatVector) sc.convertShape(VectorOperators.I2F, QF, 0))
                .lanewise(VectorOperators.MUL, FloatVector.broadcast(QF, d)).intoArray(steps, 0);
        ((FloatVector) mn.convertShape(VectorOperators.I2F, QF, 0))
                .lanewise(VectorOperators.MUL, FloatVector.broadcast(QF, -dmin)).intoArray(steps, 8);
    }

    /** The weights of {@link #rows}, stored instead of multiplied (256 bits; else the scalar decoding). */
    @Override
    void toFloats(MemorySegment data, long offset, float[] out, int outOff, int n) {
        if (!WIDE || !PanamaConstants.FMA) {
            Q4_KType.INSTANCE.decode(data, offset, out, outOff, n);
            return;
        }
        for (int b = 0; b < n; b += 256, offset += BLOCK_BYTES) {
            float d = Float.float16ToFloat(data.get(WeightReader.I16, offset));
            float dmin = Float.float16ToFloat(data.get(WeightReader.I16, offset + 2));
            for (int i = 0; i < 4; i++) {
                FloatVector stepLo = FloatVector.broadcast(QF, d * Q4_KType.scale(data, offset + 4, 2 * i));
                FloatVector offLo = FloatVector.broadcast(QF, -(dmin * Q4_KType.min(data, offset + 4, 2 * i)));
                FloatVector stepHi = FloatVector.broadcast(QF, d * Q4_KType.scale(data, offset + 4, 2 * i + 1));
                FloatVector offHi = FloatVector.broadcast(QF, -(dmin * Q4_KType.min(data, offset + 4, 2 * i + 1)));
                long qs = offset + 16 + 32L * i;
                int o = outOff + b + 64 * i;
                for (int g = 0; g < 32; g += 8) {
                    IntVector q = (IntVector) ByteVector.fromMemorySegment(B8, data, qs + g, LE)
                            .convertShape(VectorOperators.B2I, QI, 0);
                    FloatVector lo = (FloatVector) q.and(0x0F).convertShape(VectorOperators.I2F, QF, 0);
                    FloatVector hi = (FloatVector) q.lanewise(VectorOperators.ASHR, 4).and(0x0F)
                            .convertShape(VectorOperators.I2F, QF, 0);
                    lo.lanewise(VectorOperators.FMA, stepLo, offLo).intoArray(out, o + g);
                    hi.lanewise(VectorOperators.FMA, stepHi, offHi).intoArray(out, o + 32 + g);
                }
            }
        }
        MatVec.faultable(data);
    }
}
