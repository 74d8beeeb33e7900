package dev.rwkvjava.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Quantizers for the K types, in the structure of ggml's reference ones (a scale, and a min where the type has
 * one, per sub-block; those quantized against the super-block's fp16 scales; then every value rounded to nearest
 * against its sub-block's stored scale) but with each sub-block's scale and min taken from its range alone, without
 * ggml's iterative search for the least-squares best. Weights come out a little less accurate than ggml's (within
 * the bounds the tests check), decode the same way, and are the same bytes on every run.
 */
final class KQuants {
    /**
     * Per-thread work arrays: quantizing a large model encodes millions of super-blocks, and arrays made for each
     * one would grow the heap by gigabytes of garbage.
     */
    private static final class Scratch {
        final int[] q = new int[256];
        final float[] scales = new float[16];
        final float[] mins = new float[8];
        final int[] ls = new int[8];
        final int[] lm = new int[8];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private KQuants() {
    }

    /** Round to nearest, ties to even, as ggml's nearest_int. */
    private static int nearest(float v) {
        return (int) Math.rint(v);
    }

    static void encodeQ4K(float[] src, int off, MemorySegment dst, long offset) {
        Scratch s = SCRATCH.get();
        int[] q = s.q;
        encodeScaledMin(src, off, dst, offset, 15, s);
        for (int i = 0; i < 4; i++) {
            for (int l = 0; l < 32; l++) {
                BlockType.putU8(dst, offset + 16 + 32 * i + l, q[64 * i + l] | q[64 * i + 32 + l] << 4);
            }
        }
    }

    static void encodeQ5K(float[] src, int off, MemorySegment dst, long offset) {
        Scratch s = SCRATCH.get();
        int[] q = s.q;
        encodeScaledMin(src, off, dst, offset, 31, s);
        for (int l = 0; l < 32; l++) {
            int h = 0;
            for (int j = 0; j < 8; j++) {
                h |= (q[32 * j + l] >>> 4) << j;
            }
            BlockType.putU8(dst, offset + 16 + l, h);
        }
        for (int i = 0; i < 4; i++) {
            for (int l = 0; l < 32; l++) {
                BlockType.putU8(dst, offset + 48 + 32 * i + l, (q[64 * i + l] & 0xF) | (q[64 * i + 32 + l] & 0xF) << 4);
            }
        }
    }

    /**
     * d, dmin and the packed 6-bit scales and mins of a Q4_K or Q5_K super-block; the values' levels 0..nmax
     * into {@code s.q}.
     */
    private static void encodeScaledMin(float[] src, int off, MemorySegment dst, long offset, int nmax, Scratch s) {
        int[] q = s.q;
        float[] scales = s.scales;
        float[] mins = s.mins;
        float maxScale = 0;
        float maxMin = 0;
        for (int j = 0; j < 8; j++) {
            float lo = 0;
            float hi = src[off + 32 * j];
            for (int l = 0; l < 32; l++) {
                lo = Math.min(lo, src[off + 32 * j + l]);
                hi = Math.max(hi, src[off + 32 * j + l]);
            }
            scales[j] = Math.max(0, hi - lo) / nmax;
            mins[j] = -lo;
            maxScale = Math.max(maxScale, scales[j]);
            maxMin = Math.max(maxMin, mins[j]);
        }
        float invScale = maxScale > 0 ? 63 / maxScale : 0;
        float invMin = maxMin > 0 ? 63 / maxMin : 0;
        int[] ls = s.ls;
        int[] lm = s.lm;
        for (int j = 0; j < 8; j++) {
            ls[j] = Math.min(63, nearest(invScale * scales[j]));
            lm[j] = Math.min(63, nearest(invMin * mins[j]));
        }
        BlockType.putHalf(dst, offset, maxScale / 63);
        BlockType.putHalf(dst, offset + 2, maxMin / 63);
        Q4_KType.putScalesAndMins(dst, offset + 4, ls, lm);
        float d = BlockType.half(dst, offset);
        float dmin = BlockType.half(dst, offset + 2);
        for (int j = 0; j < 8; j++) {
            float dj = d * ls[j];
            float mj = dmin * lm[j];
            for (int l = 0; l < 32; l++) {
                q[32 * j + l] = dj == 0 ? 0 : Math.max(0, Math.min(nmax, nearest((src[off + 32 * j + l] + mj) / dj)));
            }
        }
    }

    static void encodeQ6K(float[] src, int off, MemorySegment dst, long offset) {
        Scratch s = SCRATCH.get();
        float[] scales = s.scales;
        float maxScale = 0;
        for (int g = 0; g < 16; g++) {
            scales[g] = BlockType.signedMax(src, off + 16 * g, 16) / -32;
            if (Math.abs(scales[g]) > Math.abs(maxScale)) {
                maxScale = scales[g];
            }
        }
        int[] q = s.q;
        if (maxScale == 0) {
            java.util.Arrays.fill(q, 32);
            BlockType.putHalf(dst, offset + 208, 0);
            for (int g = 0; g < 16; g++) {
                BlockType.putU8(dst, offset + 192 + g, 0);
            }
        } else {
            float iscale = -128 / maxScale;
            BlockType.putHalf(dst, offset + 208, 1 / iscale);
            float d = BlockType.half(dst, offset + 208);
            for (int g = 0; g < 16; g++) {
                int ls = Math.max(-128, Math.min(127, nearest(iscale * scales[g])));
                BlockType.putU8(dst, offset + 192 + g, ls);
                float dg = d * ls;
                for (int l = 0; l < 16; l++) {
                    int v = dg == 0 ? 0 : Math.max(-32, Math.min(31, nearest(src[off + 16 * g + l] / dg)));
                    q[16 * g + l] = v + 32;
                }
            }
        }
        for (int h = 0; h < 2; h++) {
            for (int l = 0; l < 32; l++) {
                int base = 128 * h + l;
                BlockType.putU8(dst, offset + 64 * h + l, (q[base] & 0xF) | (q[base + 64] & 0xF) << 4);
                BlockType.putU8(dst, offset + 64 * h + 32 + l, (q[base + 32] & 0xF) | (q[base + 96] & 0xF) << 4);
                BlockType.putU8(dst, offset + 128 + 32 * h + l, q[base] >>> 4 | (q[base + 32] >>> 4) << 2
                        | (q[base + 64] >>> 4) << 4 | (q[base + 96] >>> 4) << 6);
            }
        }
    }
}
