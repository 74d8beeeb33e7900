package dev.rwkvjava.hub.internal;

/**
 * One file of a hub repository, as its listing describes it.
 *
 * @param size    bytes, or -1 when the listing does not say
 * @param sha256  the content's SHA-256 (large files stored with LFS), or null
 * @param blobId  the git blob id (SHA-1 of {@code "blob <size>\0" + content}) of a file stored directly in git,
 *                or null; for LFS files it names the pointer, not the content, and is not used
 */
public record RepoFile(String name, long size, String sha256, String blobId) {
}
