package dev.rwkvjava.io;

import dev.rwkvjava.ModelFileException;

import dev.rwkvjava.LoadMode;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

/**
 * The file formats a model's weights come in, told apart by their first bytes (never by the file name). This is
 * the only place that decides a file's format.
 */
public enum ModelFormat {
    /** safetensors: an 8-byte header length, then a JSON header. */
    SAFETENSORS("safetensors"),
    /** PyTorch's {@code torch.save} zip ({@code .pth}, {@code pytorch_model.bin}). */
    PYTORCH("PyTorch checkpoint"),
    /** llama.cpp's GGUF. */
    GGUF("GGUF"),
    /** rwkv.cpp's own {@code .bin} (magic {@code ggmf}). */
    RWKV_CPP("rwkv.cpp .bin");

    private final String label;

    ModelFormat(String label) {
        this.label = label;
    }

    /** The format's name for messages and {@code info}. */
    public String label() {
        return label;
    }

    /**
     * The format of a weights file, from its first bytes.
     *
     * @throws ModelFileException when the file is missing, not a regular file, or in no format this engine reads
     *                            (naming what it looks like where that is known)
     */
    public static ModelFormat detect(Path file) {
        if (!Files.exists(file)) {
            throw new ModelFileException(file, null, "no such file");
        }
        if (!Files.isRegularFile(file)) {
            throw new ModelFileException(file, null, Files.isDirectory(file) ? "is a directory, not a weights file"
                    : "not a regular file (a pipe or device cannot be mapped)");
        }
        byte[] head = new byte[16];
        int n;
        long size;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, head.length);
            size = Files.size(file);
        } catch (IOException e) {
            throw new ModelFileException(file, null, "cannot read: " + e.getMessage(), e);
        }
        if (n < 8) {
            throw new ModelFileException(file, null, "only " + size + " bytes: too short to be a model file");
        }
        int magic = (head[0] & 0xFF) | (head[1] & 0xFF) << 8 | (head[2] & 0xFF) << 16 | (head[3] & 0xFF) << 24;
        if (head[0] == 'P' && head[1] == 'K') {
            return PYTORCH;
        }
        if (magic == 0x46554747) { // "GGUF"
            return GGUF;
        }
        if (magic == 0x67676d66) { // rwkv.cpp's "ggmf", stored little-endian
            return RWKV_CPP;
        }
        if (magic == 0x67676d6c || magic == 0x67676a74 || magic == 0x67676c61) {
            throw new ModelFileException(file, null, "an old ggml/GGJT file (the format before GGUF), which this "
                    + "engine does not read: convert it to GGUF");
        }
        if ((head[0] & 0xFF) == 0x80 && head[1] >= 2 && head[1] <= 5) {
            throw new ModelFileException(file, null, "a PyTorch checkpoint in the legacy (non-zip) format, which "
                    + "this engine does not read: re-save it with torch.save from PyTorch 1.6 or newer");
        }
        if (head[8] == '{') {
            return SAFETENSORS;
        }
        throw new ModelFileException(file, null, "not a model file in a format this engine reads (safetensors, "
                + "PyTorch .pth/.bin, GGUF, rwkv.cpp .bin): it starts with bytes "
                + HexFormat.ofDelimiter(" ").formatHex(head, 0, Math.min(n, 8)));
    }

    /** Opens a single weights file of this format. */
    public TensorStore open(Path file, LoadMode mode) {
        return switch (this) {
            case SAFETENSORS -> SafetensorsFile.open(file, mode);
            case PYTORCH -> dev.rwkvjava.io.pytorch.PyTorchCheckpoint.open(file, mode);
            case GGUF -> dev.rwkvjava.io.gguf.GgufFile.open(file, mode);
            case RWKV_CPP -> dev.rwkvjava.io.rwkvcpp.RwkvCppFile.open(file, mode);
        };
    }
}
