package dev.rwkvjava.cli;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.generate.TextGenerator;
import dev.rwkvjava.hub.HubConfig;
import dev.rwkvjava.hub.internal.ProgressBar;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * Options shared by the commands that load a model by name: where it is, its tokenizer, threads, how it is loaded,
 * the hub cache.
 */
final class ModelOptions {

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL",
            description = {"A weights file (.safetensors), a model folder in Hugging Face layout (config.json, "
                    + "tokenizer, weights), or a hub id OWNER/NAME[@REVISION] (downloaded into the cache on first use)."})
    String model;

    @Option(names = "--tokenizer", paramLabel = "TOKENIZER",
            description = "Tokenizer to use instead of the model's: a tokenizer.json, an RWKV World vocabulary "
                    + "(rwkv_vocab_v20230424.txt), or 'bytes'. Default: the one in the model folder; bytes for "
                    + "vocabulary-256 models.")
    String tokenizer;

    @Mixin
    LoadOptions loading = new LoadOptions();

    @Option(names = "--cache-dir", paramLabel = "DIR",
            description = "Hub cache (default: $RWKV_CACHE or ~/.cache/rwkv-java/hub).")
    Path cacheDir;

    @Option(names = "--offline", description = "Never download; hub ids must already be in the cache.")
    boolean offline;

    HubConfig hub() {
        HubConfig h = HubConfig.fromEnvironment();
        if (cacheDir != null) {
            h = h.withCacheDir(cacheDir);
        }
        return offline ? h.withOffline(true) : h;
    }

    TextGenerator load() {
        return TextGenerator.load(model, tokenizer, hub(), loading.options(), ProgressBar.stderr());
    }

    /** The files of the model named by --model (and --tokenizer) and the hub cache: outputs must not touch them. */
    ProtectedFiles protectedFiles() {
        ProtectedFiles p = ProtectedFiles.forModel(model, hub().cacheDir());
        if (tokenizer != null && !tokenizer.equals("bytes")) {
            try {
                p.file(Path.of(tokenizer), "the tokenizer file");
            } catch (java.nio.file.InvalidPathException e) {
                // not a file name: loading the tokenizer reports it
            }
        }
        return p;
    }

    /** Adds the files a loaded model came from (a hub id resolves to a folder only when loaded). */
    static ProtectedFiles addLoaded(ProtectedFiles p, TextGenerator gen) {
        if (gen.weightsFile() != null) {
            p.weights(gen.weightsFile());
            if (gen.modelFolder() != null) {
                p.folder(gen.modelFolder(), "the model folder");
            }
        }
        return p;
    }
}
