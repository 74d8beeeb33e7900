package dev.rwkvjava.kernel.panama;

import dev.rwkvjava.tensor.BlockType;

import java.lang.foreign.MemorySegment;

/** A block type's kernels by its scalar decoding (see DecodedRows): for types without vector code of their own. */
final class DecodedBlocks extends DecodedRows {
    private final BlockType type;

    DecodedBlocks(BlockType type) {
        this.type = type;
    }

    @Override
    void toFloats(MemorySegment data, long offset, float[] out, int outOff, int n) {
        type.decode(data, offset, out, outOff, n);
    }
}
