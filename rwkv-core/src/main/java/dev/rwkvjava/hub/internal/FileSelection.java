package dev.rwkvjava.hub.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which files of a repository a model needs: its weights (one file, or every shard of a sharded safetensors
 * checkpoint with its index), the configuration and the tokenizer files. Everything else (other checkpoints,
 * READMEs, images) is left on the hub. When a repository holds several checkpoints (a BlinkDL repository holds one
 * {@code .pth} per size and date), nothing is downloaded: the user gets the list and chooses with {@code --file}.
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
        out.addAll(weights(listing));
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

    /** The weights: sharded safetensors, else one safetensors file, else one PyTorch, GGUF or rwkv.cpp file. */
    private static List<RepoFile> weights(RepoListing listing) {
        List<RepoFile> safetensors = new ArrayList<>();
        List<RepoFile> shards = new ArrayList<>();
        List<RepoFile> other = new ArrayList<>();
        RepoFile index = null;
        for (RepoFile f : listing.files()) {
            String n = f.name().toLowerCase(Locale.ROOT);
            if (n.contains("/")) {
                continue;
            }
            if (n.equals("model.safetensors.index.json")) {
                index = f;
            } else if (n.matches(".*-\\d+-of-\\d+\\.safetensors")) {
                shards.add(f);
            } else if (n.endsWith(".safetensors")) {
                safetensors.add(f);
            } else if (n.endsWith(".pth") || n.endsWith(".gguf") || n.endsWith(".bin") && !n.equals("training_args.bin")) {
                other.add(f);
            }
        }
        for (RepoFile f : safetensors) {
            if (f.name().equals("model.safetensors")) {
                return List.of(f);
            }
        }
        if (index != null && !shards.isEmpty()) {
            List<RepoFile> out = new ArrayList<>(shards);
            out.add(index);
            return out;
        }
        if (safetensors.size() == 1) {
            return List.of(safetensors.get(0));
        }
        if (!safetensors.isEmpty()) {
            throw new IllegalArgumentException(listing.repoId() + " has several safetensors files "
                    + names(safetensors) + "; choose one with --file NAME");
        }
        for (RepoFile f : other) {
            if (f.name().equals("pytorch_model.bin")) {
                return List.of(f);
            }
        }
        if (other.size() == 1) {
            return List.of(other.get(0));
        }
        if (!other.isEmpty()) {
            throw new IllegalArgumentException(listing.repoId() + " has several checkpoints " + names(other)
                    + "; choose one with --file NAME (nothing was downloaded)");
        }
        throw new IllegalArgumentException(listing.repoId() + " has no weights file (.safetensors, .pth, .bin, "
                + ".gguf); it has: " + names(listing.files()));
    }

    private static String names(List<RepoFile> files) {
        List<String> n = new ArrayList<>();
        for (RepoFile f : files) {
            n.add(f.name());
        }
        return String.join(", ", n);
    }
}
