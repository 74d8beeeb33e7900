package dev.rwkvjava.hub;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which files of a repository a model needs: one safetensors weights file, the configuration and the tokenizer
 * files. Everything else (other checkpoints, READMEs, images) is left on the hub. Other weight formats (.pth, .bin)
 * are only fetched when named explicitly.
 */
public final class FileSelection {
    private static final Set<String> SMALL_FILES = Set.of("config.json", "generation_config.json", "tokenizer.json",
            "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt", "added_tokens.json");

    private FileSelection() {
    }

    /** The default selection, or an error that lists the candidates when the weights are ambiguous. */
    public static List<RepoFile> choose(RepoListing listing) {
        List<RepoFile> out = new ArrayList<>();
        for (RepoFile f : listing.files()) {
            if (isSmallFile(f.name())) {
                out.add(f);
            }
        }
        out.add(weights(listing));
        return out;
    }

    /** The named files, each of which must exist, plus the small configuration and tokenizer files. */
    public static List<RepoFile> named(RepoListing listing, List<String> names) {
        List<RepoFile> out = new ArrayList<>();
        for (RepoFile f : listing.files()) {
            if (isSmallFile(f.name()) && !names.contains(f.name())) {
                out.add(f);
            }
        }
        for (String n : names) {
            RepoFile f = listing.file(n);
            if (f == null) {
                throw new IllegalArgumentException(listing.repoId() + " has no file '" + n + "'; it has: "
                        + names(listing.files()));
            }
            out.add(f);
        }
        return out;
    }

    static boolean isSmallFile(String name) {
        if (name.contains("/")) {
            return false;
        }
        String n = name.toLowerCase(Locale.ROOT);
        return SMALL_FILES.contains(n) || (n.endsWith(".txt") && n.contains("vocab"));
    }

    private static RepoFile weights(RepoListing listing) {
        List<RepoFile> safetensors = new ArrayList<>();
        List<RepoFile> other = new ArrayList<>();
        for (RepoFile f : listing.files()) {
            String n = f.name().toLowerCase(Locale.ROOT);
            if (n.contains("/")) {
                continue;
            }
            if (n.endsWith(".safetensors")) {
                safetensors.add(f);
            } else if (n.endsWith(".pth") || n.endsWith(".bin") && !n.equals("training_args.bin")) {
                other.add(f);
            }
        }
        for (RepoFile f : safetensors) {
            if (f.name().equals("model.safetensors")) {
                return f;
            }
        }
        if (safetensors.size() == 1) {
            return safetensors.get(0);
        }
        if (!safetensors.isEmpty()) {
            boolean sharded = safetensors.stream().anyMatch(f -> f.name().matches(".*-\\d+-of-\\d+\\.safetensors"));
            throw new IllegalArgumentException(listing.repoId() + " has several safetensors files "
                    + names(safetensors) + (sharded ? " (a sharded checkpoint, which this engine cannot load yet)"
                    : "") + "; choose one with --file NAME");
        }
        if (!other.isEmpty()) {
            // Downloading gigabytes the engine cannot read helps nobody: say so before fetching anything.
            throw new IllegalArgumentException(listing.repoId() + " has no .safetensors weights, only " + names(other)
                    + ", which this engine cannot read; convert the checkpoint to safetensors, or download it anyway "
                    + "with: rwkv pull " + listing.repoId() + " --file " + other.get(0).name());
        }
        throw new IllegalArgumentException(listing.repoId() + " has no weights file (.safetensors); it has: "
                + names(listing.files()));
    }

    private static String names(List<RepoFile> files) {
        List<String> n = new ArrayList<>();
        for (RepoFile f : files) {
            n.add(f.name());
        }
        return String.join(", ", n);
    }
}
