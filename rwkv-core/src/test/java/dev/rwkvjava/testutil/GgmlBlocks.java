package dev.rwkvjava.testutil;

import dev.rwkvjava.tensor.DType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A plain scalar decoder of the ggml 32-value block formats, written from the data set's README (sections 4.3 and
 * 12.3.5), for checking where the readers place quantized tensors. Not the engine's kernels.
 */
public final class GgmlBlocks {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private GgmlBlocks() {
    }

    /** The 32 values of one block, the size of one quantization step (|d|) and the offset m (0 without one). */
    public record Block(float[] values, float step, float min) {
    }

    /** Decodes block number {@code index} of a tensor's data. */
    public static Block decode(DType type, MemorySegment data, long index) {
        long at = index * type.blockBytes();
        float d = Float.float16ToFloat(data.get(I16, at));
        float min = 0;
        float[] w = new float[32];
        switch (type) {
            case Q8_0 -> {
                for (int j = 0; j < 32; j++) {
                    w[j] = data.get(ValueLayout.JAVA_BYTE, at + 2 + j) * d;
                }
            }
            case Q4_0, Q4_1 -> {
                boolean withMin = type == DType.Q4_1;
                float m = withMin ? Float.float16ToFloat(data.get(I16, at + 2)) : 0;
                min = m;
                long qs = at + (withMin ? 4 : 2);
                for (int j = 0; j < 16; j++) {
                    int b = data.get(ValueLayout.JAVA_BYTE, qs + j) & 0xFF;
                    int lo = b & 0xF;
                    int hi = b >> 4;
                    w[j] = withMin ? lo * d + m : (lo - 8) * d;
                    w[j + 16] = withMin ? hi * d + m : (hi - 8) * d;
                }
            }
            case Q5_0, Q5_1 -> {
                boolean withMin = type == DType.Q5_1;
                float m = withMin ? Float.float16ToFloat(data.get(I16, at + 2)) : 0;
                min = m;
                long qhAt = at + (withMin ? 4 : 2);
                int qh = data.get(I32, qhAt);
                long qs = qhAt + 4;
                for (int j = 0; j < 16; j++) {
                    int b = data.get(ValueLayout.JAVA_BYTE, qs + j) & 0xFF;
                    int lo = (b & 0xF) | ((qh >>> j) & 1) << 4;
                    int hi = (b >> 4) | ((qh >>> (j + 12)) & 0x10);
                    w[j] = withMin ? lo * d + m : (lo - 16) * d;
                    w[j + 16] = withMin ? hi * d + m : (hi - 16) * d;
                }
            }
            default -> throw new IllegalArgumentException("not a 32-value block type: " + type);
        }
        return new Block(w, Math.abs(d), min);
    }

    /**
     * Decodes every block of a quantized tensor and checks it against the float32 values it was made from. The
     * quantizer picks d from the block (amax / 127 for Q8_0, max / -8 for Q4_0, max / -16 for Q5_0, (max - min) / 15
     * or / 31 for Q4_1 and Q5_1, m = min) and stores d and m rounded to fp16. So each value is within one step |d|
     * (half a step from rounding the code, one where the top code is clipped) plus (qmax + 1) half fp16 ulps of d
     * and half an ulp of m; and |d| is at most what the block's largest magnitude gives, so that a block read from
     * the wrong place, whose d is arbitrary, cannot pass on a large step.
     *
     * @return the number of blocks checked
     */
    public static long assertMatches(String name, DType type, MemorySegment data, float[] expected) {
        long blocks = expected.length / 32;
        if (blocks * 32 != expected.length || data.byteSize() != blocks * type.blockBytes()) {
            throw new AssertionError(name + ": " + data.byteSize() + " bytes of " + type + " for " + expected.length
                    + " values");
        }
        int qmax = switch (type) {
            case Q8_0 -> 127;
            case Q4_0 -> 8;
            case Q5_0 -> 16;
            case Q4_1 -> 15;
            case Q5_1 -> 31;
            default -> throw new IllegalArgumentException(type.toString());
        };
        boolean withMin = type == DType.Q4_1 || type == DType.Q5_1;
        for (long b = 0; b < blocks; b++) {
            Block block = decode(type, data, b);
            double amax = 0;
            for (int j = 0; j < 32; j++) {
                amax = Math.max(amax, Math.abs(expected[(int) (b * 32 + j)]));
            }
            double dUlp = halfUlp16(block.step());
            double largestStep = (withMin ? 2 * amax : amax) / qmax;
            if (!(block.step() <= largestStep + dUlp)) {
                throw new AssertionError(name + " block " + b + ": step " + block.step() + " is larger than "
                        + type + " gives for values up to " + amax);
            }
            double tol = block.step() + (qmax + 1) * dUlp + (withMin ? halfUlp16(block.min()) : 0);
            for (int j = 0; j < 32; j++) {
                float want = expected[(int) (b * 32 + j)];
                if (!(Math.abs(block.values()[j] - want) <= tol)) {
                    throw new AssertionError(name + " block " + b + " value " + j + ": " + block.values()[j]
                            + ", source " + want + ", step " + block.step());
                }
            }
        }
        return blocks;
    }

    /** Half the fp16 spacing at |x| (subnormal spacing 2^-24 below 2^-14). */
    static double halfUlp16(float x) {
        double a = Math.abs(x);
        double ulp = a < 0x1p-14 ? 0x1p-24 : Math.scalb(1.0, Math.getExponent((float) a) - 10);
        return ulp / 2;
    }
}
