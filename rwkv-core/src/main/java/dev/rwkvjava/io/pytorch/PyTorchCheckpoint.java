package dev.rwkvjava.io.pytorch;

import dev.rwkvjava.LoadMode;
import dev.rwkvjava.ModelFileException;
import dev.rwkvjava.io.ModelFormat;
import dev.rwkvjava.io.TensorInfo;
import dev.rwkvjava.io.TensorStore;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A PyTorch checkpoint as {@code torch.save} writes it (PyTorch 1.6 and later): a BlinkDL {@code .pth} or a Hugging
 * Face {@code pytorch_model.bin}. The file is mapped whole (or, with {@link LoadMode#READ}, read into memory the
 * process owns); opening reads the zip directory and the pickle {@code data.pkl}, never the tensor data, which
 * {@link #data} views in place.
 *
 * <p>The archive is a zip whose entries sit in one folder {@code <prefix>/}: {@code data.pkl}, one entry
 * {@code data/<key>} per storage (raw little-endian elements), {@code version}, and in newer files
 * {@code byteorder}, {@code .data/version} and {@code .data/serialization_id}. Entries must be stored uncompressed;
 * ZIP64 archives (over 4 GB) are read. {@code data.pkl} is read by a restricted unpickler that builds data only and
 * refuses every global outside a short allow-list; the tensors it names are views
 * {@code (storage, offset, size, stride)} of those storages, and must be row-major contiguous. Several tensors may
 * view one storage, at any offset inside it.
 *
 * <p>Tensor names are the state dict's keys. When the top-level dict holds no tensor but nests the weights under
 * {@code state_dict}, {@code model_state_dict}, {@code model} or {@code module} (as training code often does), that
 * inner dict is the state dict, and {@link #metadata()} gives its path as {@value #META_STATE_DICT_PATH}; tensors
 * in dicts or lists nested further are named by their path joined with dots.
 *
 * <p>Metadata: {@value #META_ARCHIVE} (the folder), {@value #META_VERSION} and {@value #META_BYTEORDER} when the
 * archive has them, {@value #META_PICKLE_PROTOCOL}. Any violation of the format is a {@link ModelFileException}
 * naming the file (and the tensor when one is at fault); entries' CRC-32 is checked for {@code data.pkl} and the
 * small records, and for the storages only on {@link #verifyChecksums()}.
 */
public final class PyTorchCheckpoint implements TensorStore {
    /** Metadata key: the archive's folder name (usually the base name of the file it was first saved as). */
    public static final String META_ARCHIVE = "pytorch.archive";
    /** Metadata key: the archive format version record ({@code 3} for torch.save). */
    public static final String META_VERSION = "pytorch.version";
    /** Metadata key: the byte order record ({@code little}), written by newer PyTorch versions. */
    public static final String META_BYTEORDER = "pytorch.byteorder";
    /** Metadata key: the pickle protocol of {@code data.pkl}. */
    public static final String META_PICKLE_PROTOCOL = "pytorch.pickle_protocol";
    /** Metadata key: the dotted path of the nested state dict, when the weights were not at the top level. */
    public static final String META_STATE_DICT_PATH = "pytorch.state_dict_path";

    /** Largest {@code data.pkl} accepted; a checkpoint's is kilobytes to a few megabytes. */
    public static final long MAX_PICKLE_BYTES = 256L << 20;
    private static final long MAX_RECORD_BYTES = 64;

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;
    private final Collection<ZipArchive.Entry> storageEntries;

    private PyTorchCheckpoint(Path path, Arena arena, MemorySegment file, Map<String, TensorInfo> tensors,
                              Map<String, String> metadata, Collection<ZipArchive.Entry> storageEntries) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.tensors = tensors;
        this.metadata = metadata;
        this.storageEntries = storageEntries;
    }

    /** Maps and validates the file. */
    public static PyTorchCheckpoint open(Path path) {
        return open(path, LoadMode.MAP);
    }

    /**
     * Maps or reads the file, as {@code mode} says, and validates it.
     *
     * @throws ModelFileException when the file cannot be read or is not a valid torch.save checkpoint
     */
    public static PyTorchCheckpoint open(Path path, LoadMode mode) {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment seg;
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                long size = ch.size();
                if (size == 0) {
                    seg = MemorySegment.ofArray(new byte[0]);
                } else if (mode == LoadMode.READ) {
                    seg = readWhole(path, ch, size, arena);
                } else {
                    seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
                }
            }
            return parse(path, seg, arena);
        } catch (IOException e) {
            arena.close();
            throw new ModelFileException(path, null, "cannot read file: " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** Bytes per read call: large enough to stream at disk speed, small enough for a ByteBuffer view. */
    private static final int READ_CHUNK = 64 << 20;

    private static MemorySegment readWhole(Path path, FileChannel ch, long size, Arena arena) throws IOException {
        // torch.save places every entry's data on a 64-byte boundary of the file; a block starting on a (huge) page
        // keeps that alignment in memory.
        MemorySegment seg = arena.allocate(size, 2 << 20);
        for (long pos = 0; pos < size; ) {
            ByteBuffer chunk = seg.asSlice(pos, Math.min(READ_CHUNK, size - pos)).asByteBuffer();
            while (chunk.hasRemaining()) {
                if (ch.read(chunk, pos + chunk.position()) < 0) {
                    throw new ModelFileException(path, null, "file ended at byte " + (pos + chunk.position())
                            + " while reading its " + size + " bytes (changed while loading?)");
                }
            }
            pos += chunk.capacity();
        }
        return seg;
    }

    /** Validates a checkpoint held in {@code seg}; the result owns {@code arena} (null: nothing to free). */
    static PyTorchCheckpoint parse(Path path, MemorySegment seg, Arena arena) {
        checkMagic(path, seg);
        Map<String, ZipArchive.Entry> entries = ZipArchive.read(path, seg);
        String prefix = archivePrefix(path, entries);
        if (entries.containsKey(prefix + "constants.pkl")) {
            throw new ModelFileException(path, null, "this is a TorchScript archive (torch.jit.save), not a"
                    + " torch.save checkpoint; save the model's state_dict() with torch.save instead");
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(META_ARCHIVE, prefix.substring(0, prefix.length() - 1));
        String version = record(path, seg, entries, prefix + "version");
        if (version == null) {
            version = record(path, seg, entries, prefix + ".data/version");
        }
        if (version != null) {
            if (!version.matches("[0-9]{1,9}")) {
                throw new ModelFileException(path, null, "the archive's version record '" + version
                        + "' is not a number: file corrupt");
            }
            meta.put(META_VERSION, version);
        }
        String byteorder = record(path, seg, entries, prefix + "byteorder");
        if (byteorder != null) {
            if (!byteorder.equals("little")) {
                throw new ModelFileException(path, null, "the archive stores its tensors with byte order '"
                        + byteorder + "'; only little-endian checkpoints are read");
            }
            meta.put(META_BYTEORDER, byteorder);
        }
        ZipArchive.Entry pkl = entries.get(prefix + "data.pkl");
        byte[] pickle = ZipArchive.readStored(path, seg, pkl, MAX_PICKLE_BYTES);
        Unpickler.Result r = Unpickler.parse(path, pkl.name(), pickle);
        meta.put(META_PICKLE_PROTOCOL, Integer.toString(r.protocol()));
        StateDict.Result sd = StateDict.read(path, r.value(), prefix, entries::get);
        if (!sd.rootPath().isEmpty()) {
            meta.put(META_STATE_DICT_PATH, sd.rootPath());
        }
        return new PyTorchCheckpoint(path, arena, seg, sd.tensors(), Collections.unmodifiableMap(meta),
                sd.storageEntries());
    }

    private static void checkMagic(Path path, MemorySegment seg) {
        long n = seg.byteSize();
        int b0 = n > 0 ? seg.get(ValueLayout.JAVA_BYTE, 0) & 0xFF : -1;
        int b1 = n > 1 ? seg.get(ValueLayout.JAVA_BYTE, 1) & 0xFF : -1;
        if (b0 == 'P' && b1 == 'K') {
            return;
        }
        if (b0 == 0x80) {
            throw new ModelFileException(path, null, "this is a legacy torch.save file (the format before PyTorch 1.6,"
                    + " a bare pickle without a zip archive), which is not read; re-save it with a current PyTorch"
                    + " or convert it to safetensors");
        }
        if (n > 262 && "ustar".equals(new String(seg.asSlice(257, 5).toArray(ValueLayout.JAVA_BYTE),
                StandardCharsets.US_ASCII))) {
            throw new ModelFileException(path, null, "this is a legacy tar-format torch.save file (PyTorch before"
                    + " 0.4), which is not read; re-save it with a current PyTorch or convert it to safetensors");
        }
        throw new ModelFileException(path, null, "not a PyTorch checkpoint: a torch.save file is a zip archive,"
                + " starting with 'PK'" + (n == 0 ? ", and this file is empty" : ""));
    }

    /** The folder holding {@code data.pkl}, with its trailing slash; there must be exactly one. */
    private static String archivePrefix(Path path, Map<String, ZipArchive.Entry> entries) {
        String found = null;
        for (String name : entries.keySet()) {
            int slash = name.indexOf('/');
            if (slash > 0 && name.substring(slash + 1).equals("data.pkl")) {
                if (found != null) {
                    throw new ModelFileException(path, null, "the archive holds two checkpoints ('" + found
                            + "data.pkl' and '" + name + "')");
                }
                found = name.substring(0, slash + 1);
            }
        }
        if (found == null) {
            throw new ModelFileException(path, null, "the zip archive has no '<folder>/data.pkl' entry: not a"
                    + " torch.save checkpoint (" + entries.size() + " entries)");
        }
        return found;
    }

    /** A small text record, trimmed, or null when the archive does not have it. */
    private static String record(Path path, MemorySegment seg, Map<String, ZipArchive.Entry> entries, String name) {
        ZipArchive.Entry e = entries.get(name);
        if (e == null) {
            return null;
        }
        byte[] b = ZipArchive.readStored(path, seg, e, MAX_RECORD_BYTES);
        return new String(b, StandardCharsets.ISO_8859_1).strip();
    }

    /**
     * Checks every storage that a tensor views against its CRC-32, reading all of the tensor data once.
     *
     * @throws ModelFileException naming the first entry whose data does not match
     */
    public void verifyChecksums() {
        for (ZipArchive.Entry e : storageEntries) {
            ZipArchive.checkCrc(path, file, e);
        }
    }

    @Override
    public ModelFormat format() {
        return ModelFormat.PYTORCH;
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public Collection<TensorInfo> tensors() {
        return tensors.values();
    }

    @Override
    public TensorInfo find(String name) {
        return tensors.get(name);
    }

    /** The bytes of a tensor, a read-only view of the file; begin and end of a {@link TensorInfo} are file offsets. */
    @Override
    public MemorySegment data(TensorInfo t) {
        if (tensors.get(t.name()) != t) {
            throw new IllegalArgumentException("tensor " + t.name() + " does not belong to " + path);
        }
        return file.asSlice(t.begin(), t.byteSize()).asReadOnly();
    }

    @Override
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public long fileSize() {
        return file.byteSize();
    }

    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }
}
