package dev.rwkvjava.convert;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rwkvjava.tensor.DType;

import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A model as a safetensors file in BlinkDL's naming: exactly the tensors of the version's schema, under their
 * BlinkDL names and shapes ({@code model.py}'s), in checkpoint order; whatever else the input holds (a converter's
 * dummies, tensors the engine does not use) is left out.
 */
final class SafetensorsLayout {
    private SafetensorsLayout() {
    }

    /**
     * The file's plan.
     *
     * @param type the type of every tensor (F32, F16 or BF16), or null to keep each tensor's own where safetensors
     *             can hold it (F32 for the block types, whose decoded values F32 holds exactly)
     */
    static FilePlan plan(SourceModel m, DType type, Map<String, String> metadata) {
        if (type != null && (type.isBlockType() || !type.isWeightType())) {
            throw new IllegalArgumentException("safetensors holds F32, F16 or BF16 tensors, not " + type);
        }
        List<OutTensor> tensors = new ArrayList<>();
        for (SourceModel.Named n : m.schemaTensors()) {
            ValueSource v = m.values(n.name(), n.shape());
            DType t = type;
            if (t == null) {
                t = OutTensor.keptType(v);
                if (t.isBlockType()) {
                    t = DType.F32;
                }
            }
            tensors.add(new OutTensor(n.name(), n.shape(), t, v));
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        ObjectNode meta = header.putObject("__metadata__");
        metadata.forEach(meta::put);
        long offset = 0;
        for (OutTensor t : tensors) {
            ObjectNode o = header.putObject(t.name());
            o.put("dtype", t.dtype().name());
            ArrayNode shape = o.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            ArrayNode off = o.putArray("data_offsets");
            off.add(offset);
            offset = Math.addExact(offset, t.bytes());
            off.add(offset);
        }
        byte[] text;
        try {
            text = json.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
        int padded = (text.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(text);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        FilePlan plan = new FilePlan().bytes(head.array());
        tensors.forEach(plan::data);
        return plan;
    }
}
