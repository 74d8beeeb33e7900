package dev.rwkvjava.io.pytorch;

import dev.rwkvjava.ModelFileException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * The directory of a zip archive held in a memory segment, read from the end-of-central-directory record (and the
 * ZIP64 records when present), with every entry's local header checked so that an entry's data can be viewed in
 * place. Only the structure is read here: no entry's data is touched.
 */
final class ZipArchive {
    /** One entry of the central directory, with where its data starts in the file. */
    record Entry(String name, int flags, int method, long crc, long compressedSize, long size, long headerOffset,
                 long dataOffset) {
        boolean stored() {
            return method == 0;
        }

        long dataEnd() {
            return dataOffset + compressedSize;
        }
    }

    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final int LOCAL_HEADER_SIG = 0x04034b50;
    private static final int CENTRAL_HEADER_SIG = 0x02014b50;
    private static final int EOCD_SIG = 0x06054b50;
    private static final int ZIP64_EOCD_SIG = 0x06064b50;
    private static final int ZIP64_LOCATOR_SIG = 0x07064b50;

    private static final int EOCD_SIZE = 22;
    private static final int ZIP64_LOCATOR_SIZE = 20;
    private static final int ZIP64_EOCD_MIN_SIZE = 56;
    private static final int CENTRAL_HEADER_SIZE = 46;
    private static final int LOCAL_HEADER_SIZE = 30;
    private static final int MAX_COMMENT = 0xFFFF;
    private static final int ZIP64_EXTRA_ID = 0x0001;

    /** Far more entries than any checkpoint has (one per storage); bounds what a forged count can make us hold. */
    static final long MAX_ENTRIES = 10_000_000;

    private final Path path;
    private final MemorySegment file;
    private final long size;

    private ZipArchive(Path path, MemorySegment file) {
        this.path = path;
        this.file = file;
        this.size = file.byteSize();
    }

    /** The entries of the archive in central-directory order, keyed by name. */
    static Map<String, Entry> read(Path path, MemorySegment file) {
        return new ZipArchive(path, file).read();
    }

    /** The data of a stored entry, checked against its CRC-32; for the small entries read whole. */
    static byte[] readStored(Path path, MemorySegment file, Entry e, long maxBytes) {
        if (!e.stored()) {
            throw compressed(path, e);
        }
        if (e.size() > maxBytes) {
            throw new ModelFileException(path, null, "archive entry '" + e.name() + "' has " + e.size()
                    + " bytes, more than the " + maxBytes + " allowed for it");
        }
        byte[] b = file.asSlice(e.dataOffset(), e.size()).toArray(ValueLayout.JAVA_BYTE);
        CRC32 crc = new CRC32();
        crc.update(b);
        if (crc.getValue() != e.crc()) {
            throw badCrc(path, e, crc.getValue());
        }
        return b;
    }

    /** Checks a stored entry's data against its CRC-32, reading it through the mapping in chunks. */
    static void checkCrc(Path path, MemorySegment file, Entry e) {
        if (!e.stored()) {
            throw compressed(path, e);
        }
        CRC32 crc = new CRC32();
        final long chunk = 1L << 28;
        for (long pos = 0; pos < e.size(); pos += chunk) {
            ByteBuffer b = file.asSlice(e.dataOffset() + pos, Math.min(chunk, e.size() - pos)).asByteBuffer();
            crc.update(b);
        }
        if (crc.getValue() != e.crc()) {
            throw badCrc(path, e, crc.getValue());
        }
    }

    static ModelFileException compressed(Path path, Entry e) {
        return new ModelFileException(path, null, "archive entry '" + e.name() + "' is compressed (zip method "
                + e.method() + "); torch.save stores entries uncompressed and this reader only reads them in place");
    }

    private static ModelFileException badCrc(Path path, Entry e, long actual) {
        return new ModelFileException(path, null, String.format(
                "archive entry '%s' fails its CRC-32 check (directory says %08x, data gives %08x): file corrupt",
                e.name(), e.crc(), actual));
    }

    private ModelFileException corrupt(String problem) {
        return new ModelFileException(path, null, problem);
    }

    private int u16(long at) {
        return Short.toUnsignedInt(file.get(U16, at));
    }

    private long u32(long at) {
        return Integer.toUnsignedLong(file.get(U32, at));
    }

    private int sig(long at) {
        return file.get(U32, at);
    }

    /** An unsigned 64-bit field, refused when it does not fit a signed long (no file is that large). */
    private long u64(long at, String what) {
        long v = file.get(U64, at);
        if (v < 0) {
            throw corrupt("zip " + what + " " + Long.toUnsignedString(v) + " is out of range: file corrupt");
        }
        return v;
    }

    private Map<String, Entry> read() {
        if (size < EOCD_SIZE) {
            throw corrupt("not a zip archive: " + size + " bytes, too short for the end-of-central-directory record"
                    + " (file truncated?)");
        }
        long eocd = findEocd();
        int disk = u16(eocd + 4);
        int cdDisk = u16(eocd + 6);
        long entriesOnDisk = u16(eocd + 8);
        long entries = u16(eocd + 10);
        long cdSize = u32(eocd + 12);
        long cdOffset = u32(eocd + 16);
        long cdLimit = eocd;

        long locator = eocd - ZIP64_LOCATOR_SIZE;
        if (locator >= 0 && sig(locator) == ZIP64_LOCATOR_SIG) {
            if (u32(locator + 4) != 0 || u32(locator + 16) > 1) {
                throw corrupt("multi-disk zip archives are not supported");
            }
            long rec = u64(locator + 8, "ZIP64 end-of-central-directory offset");
            if (rec > locator - ZIP64_EOCD_MIN_SIZE || sig(rec) != ZIP64_EOCD_SIG) {
                throw corrupt("the ZIP64 locator points to offset " + rec + ", where there is no ZIP64"
                        + " end-of-central-directory record: file truncated or corrupt");
            }
            long recSize = u64(rec + 4, "ZIP64 record size");
            if (recSize < ZIP64_EOCD_MIN_SIZE - 12 || recSize > locator - rec - 12) {
                throw corrupt("the ZIP64 end-of-central-directory record claims " + recSize
                        + " bytes, which do not fit before its locator: file corrupt");
            }
            long disk64 = u32(rec + 16);
            long cdDisk64 = u32(rec + 20);
            long onDisk64 = u64(rec + 24, "entry count");
            long entries64 = u64(rec + 32, "entry count");
            long cdSize64 = u64(rec + 40, "central directory size");
            long cdOffset64 = u64(rec + 48, "central directory offset");
            checkAgrees("disk number", disk, 0xFFFF, disk64);
            checkAgrees("central directory disk", cdDisk, 0xFFFF, cdDisk64);
            checkAgrees("entry count", entriesOnDisk, 0xFFFF, onDisk64);
            checkAgrees("entry count", entries, 0xFFFF, entries64);
            checkAgrees("central directory size", cdSize, 0xFFFFFFFFL, cdSize64);
            checkAgrees("central directory offset", cdOffset, 0xFFFFFFFFL, cdOffset64);
            disk = (int) Math.min(disk64, Integer.MAX_VALUE);
            cdDisk = (int) Math.min(cdDisk64, Integer.MAX_VALUE);
            entriesOnDisk = onDisk64;
            entries = entries64;
            cdSize = cdSize64;
            cdOffset = cdOffset64;
            cdLimit = rec;
        } else if (entries == 0xFFFF || cdSize == 0xFFFFFFFFL || cdOffset == 0xFFFFFFFFL) {
            throw corrupt("the end-of-central-directory record needs ZIP64 values, but there is no ZIP64 locator"
                    + " before it: file truncated or corrupt");
        }
        if (disk != 0 || cdDisk != 0 || entriesOnDisk != entries) {
            throw corrupt("multi-disk zip archives are not supported");
        }
        if (cdOffset > cdLimit || cdSize > cdLimit - cdOffset) {
            throw corrupt("the central directory (" + cdSize + " bytes at offset " + cdOffset
                    + ") does not lie before the end-of-central-directory record at " + cdLimit
                    + ": file truncated or corrupt");
        }
        if (entries > cdSize / CENTRAL_HEADER_SIZE || entries > MAX_ENTRIES) {
            throw corrupt("the archive claims " + entries + " entries, which its central directory of " + cdSize
                    + " bytes cannot hold: file corrupt");
        }
        Map<String, Entry> out = new LinkedHashMap<>();
        long at = cdOffset;
        long cdEnd = cdOffset + cdSize;
        for (long i = 0; i < entries; i++) {
            at = readCentralHeader(at, cdEnd, cdOffset, out);
        }
        if (at != cdEnd) {
            throw corrupt("the central directory holds " + (cdEnd - at) + " bytes after its " + entries
                    + " entries: file corrupt");
        }
        checkNoOverlap(out);
        return Collections.unmodifiableMap(out);
    }

    /** The end-of-central-directory record: the last signature whose comment length reaches the end exactly. */
    private long findEocd() {
        long last = size - EOCD_SIZE;
        long first = Math.max(0, last - MAX_COMMENT);
        for (long p = last; p >= first; p--) {
            if (sig(p) == EOCD_SIG && u16(p + 20) == size - p - EOCD_SIZE) {
                return p;
            }
        }
        throw corrupt("no zip end-of-central-directory record at the end of the file: file truncated, or not a zip"
                + " archive");
    }

    private void checkAgrees(String what, long classic, long saturated, long zip64) {
        if (classic != saturated && classic != zip64) {
            throw corrupt("the zip " + what + " is " + classic + " in the end-of-central-directory record but "
                    + zip64 + " in the ZIP64 record: file corrupt");
        }
    }

    private long readCentralHeader(long at, long cdEnd, long cdOffset, Map<String, Entry> out) {
        if (cdEnd - at < CENTRAL_HEADER_SIZE || sig(at) != CENTRAL_HEADER_SIG) {
            throw corrupt("central directory entry " + out.size() + " at offset " + at
                    + " is missing or malformed: file corrupt");
        }
        int flags = u16(at + 8);
        int method = u16(at + 10);
        long crc = u32(at + 16);
        long csize = u32(at + 20);
        long usize = u32(at + 24);
        int nameLen = u16(at + 28);
        int extraLen = u16(at + 30);
        int commentLen = u16(at + 32);
        long diskStart = u16(at + 34);
        long lho = u32(at + 42);
        long next = at + CENTRAL_HEADER_SIZE + nameLen + extraLen + commentLen;
        if (next > cdEnd) {
            throw corrupt("central directory entry " + out.size() + " at offset " + at
                    + " runs past the end of the central directory: file corrupt");
        }
        byte[] nameBytes = file.asSlice(at + CENTRAL_HEADER_SIZE, nameLen).toArray(ValueLayout.JAVA_BYTE);
        String name = decodeName(nameBytes, flags);

        // The ZIP64 extra field holds, in this order, exactly the values saturated in the fixed header.
        boolean needUsize = usize == 0xFFFFFFFFL;
        boolean needCsize = csize == 0xFFFFFFFFL;
        boolean needLho = lho == 0xFFFFFFFFL;
        boolean needDisk = diskStart == 0xFFFF;
        if (needUsize || needCsize || needLho || needDisk) {
            long x = at + CENTRAL_HEADER_SIZE + nameLen;
            long xEnd = x + extraLen;
            long z = -1;
            long zLen = 0;
            while (xEnd - x >= 4) {
                int id = u16(x);
                int len = u16(x + 2);
                if (len > xEnd - x - 4) {
                    throw corrupt("archive entry '" + name + "' has a malformed extra field: file corrupt");
                }
                if (id == ZIP64_EXTRA_ID) {
                    z = x + 4;
                    zLen = len;
                    break;
                }
                x += 4 + len;
            }
            long need = (needUsize ? 8 : 0) + (needCsize ? 8 : 0) + (needLho ? 8 : 0) + (needDisk ? 4 : 0);
            if (z < 0 || zLen < need) {
                throw corrupt("archive entry '" + name + "' needs ZIP64 sizes or offset, but has no complete ZIP64"
                        + " extra field: file corrupt");
            }
            if (needUsize) {
                usize = u64(z, "entry size");
                z += 8;
            }
            if (needCsize) {
                csize = u64(z, "entry size");
                z += 8;
            }
            if (needLho) {
                lho = u64(z, "entry offset");
                z += 8;
            }
            if (needDisk) {
                diskStart = u32(z);
            }
        }
        if (diskStart != 0) {
            throw corrupt("multi-disk zip archives are not supported (entry '" + name + "')");
        }
        if ((flags & 1) != 0) {
            throw corrupt("archive entry '" + name + "' is encrypted");
        }
        if (method == 0 && csize != usize) {
            throw corrupt("archive entry '" + name + "' is stored uncompressed but its sizes differ (" + csize
                    + " and " + usize + "): file corrupt");
        }
        long dataOffset = checkLocalHeader(name, nameBytes, method, csize, lho, cdOffset);
        if (csize > cdOffset - dataOffset) {
            throw corrupt("archive entry '" + name + "' (" + csize + " bytes at offset " + dataOffset
                    + ") runs into the central directory at " + cdOffset + ": file truncated or corrupt");
        }
        if (out.putIfAbsent(name, new Entry(name, flags, method, crc, csize, usize, lho, dataOffset)) != null) {
            throw corrupt("the archive holds two entries named '" + name + "'");
        }
        return next;
    }

    /** Checks the local header an entry points at, and returns where the entry's data starts. */
    private long checkLocalHeader(String name, byte[] nameBytes, int method, long csize, long lho, long cdOffset) {
        if (lho > cdOffset - LOCAL_HEADER_SIZE || sig(lho) != LOCAL_HEADER_SIG) {
            throw corrupt("archive entry '" + name + "' points to offset " + lho
                    + ", where there is no local header: file truncated or corrupt");
        }
        int localMethod = u16(lho + 8);
        int nameLen = u16(lho + 26);
        int extraLen = u16(lho + 28);
        long dataOffset = lho + LOCAL_HEADER_SIZE + nameLen + extraLen;
        if (dataOffset > cdOffset) {
            throw corrupt("the local header of archive entry '" + name + "' at offset " + lho
                    + " runs into the central directory: file corrupt");
        }
        if (nameLen != nameBytes.length
                || file.asSlice(lho + LOCAL_HEADER_SIZE, nameLen).mismatch(MemorySegment.ofArray(nameBytes)) != -1) {
            throw corrupt("the local header of archive entry '" + name + "' names another entry: file corrupt");
        }
        if (localMethod != method) {
            throw corrupt("the local header of archive entry '" + name + "' gives compression method " + localMethod
                    + ", the central directory " + method + ": file corrupt");
        }
        // Without a data descriptor (flag bit 3) the local header carries the size too; it must agree.
        long localCsize = u32(lho + 18);
        if ((u16(lho + 6) & 8) == 0 && localCsize != 0xFFFFFFFFL && localCsize != csize) {
            throw corrupt("the local header of archive entry '" + name + "' gives " + localCsize
                    + " bytes, the central directory " + csize + ": file corrupt");
        }
        return dataOffset;
    }

    private String decodeName(byte[] b, int flags) {
        if ((flags & 0x800) == 0) {
            return new String(b, StandardCharsets.ISO_8859_1);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw corrupt("an archive entry name is not valid UTF-8: file corrupt");
        }
    }

    /** Entries (local header through data) must not share bytes: each entry's bytes belong to it alone. */
    private void checkNoOverlap(Map<String, Entry> entries) {
        List<Entry> sorted = new ArrayList<>(entries.values());
        sorted.sort(Comparator.comparingLong(Entry::headerOffset));
        for (int i = 1; i < sorted.size(); i++) {
            Entry prev = sorted.get(i - 1);
            Entry cur = sorted.get(i);
            if (cur.headerOffset() < prev.dataEnd()) {
                throw corrupt("archive entries '" + prev.name() + "' and '" + cur.name() + "' overlap: file corrupt");
            }
        }
    }
}
