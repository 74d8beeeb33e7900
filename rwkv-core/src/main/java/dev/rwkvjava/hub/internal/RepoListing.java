package dev.rwkvjava.hub.internal;

import dev.rwkvjava.hub.internal.RepoFile;

import java.util.List;

/**
 * A repository's files at a revision.
 *
 * @param commit the commit the revision resolved to, or null when the hub did not say
 */
public record RepoListing(String repoId, String revision, String commit, List<RepoFile> files) {

    public RepoFile file(String name) {
        for (RepoFile f : files) {
            if (f.name().equals(name)) {
                return f;
            }
        }
        return null;
    }
}
