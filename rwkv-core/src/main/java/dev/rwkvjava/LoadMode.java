package dev.rwkvjava;

/** How a weights file is brought into memory. */
public enum LoadMode {
    /**
     * Map the file and read tensors in place: loading is instant and the pages are shared with the operating
     * system's file cache (the default).
     */
    MAP,
    /**
     * Read the whole file into memory the process owns. Loading takes as long as reading the file, and the
     * file cache may hold a second copy until the system needs the memory; in exchange, decoding does not depend
     * on how the system handles a large file mapping, which on some machines (virtual machines especially)
     * streams a multi-gigabyte mapping at a fraction of the memory bandwidth.
     */
    READ
}
