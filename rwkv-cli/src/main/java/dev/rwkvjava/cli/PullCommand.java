package dev.rwkvjava.cli;

import dev.rwkvjava.hub.internal.HubCache;
import dev.rwkvjava.hub.HubConfig;
import dev.rwkvjava.hub.internal.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code rwkv pull}: downloads a model from the Hugging Face hub into the local cache. */
@Command(name = "pull", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Download a model from the Hugging Face hub (the weights, safetensors preferred, plus its config "
                + "and tokenizer files) into the cache, and print the local folder.",
                "Interrupted downloads resume; every file is checked against the hub's size and checksum before it "
                        + "gets its name, and a file the hub gives no size or checksum for is refused. HF_ENDPOINT "
                        + "sets another hub, HF_TOKEN a token for private or gated models."})
final class PullCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "REPO_ID", description = "Repository, e.g. RWKV/rwkv-4-169m-pile.")
    String repo;

    @Option(names = "--revision", paramLabel = "REV", defaultValue = HubConfig.DEFAULT_REVISION,
            description = "Branch, tag or commit (default ${DEFAULT-VALUE}).")
    String revision;

    @Option(names = "--cache-dir", paramLabel = "DIR",
            description = "Cache folder (default: $RWKV_CACHE or ~/.cache/rwkv-java/hub).")
    Path cacheDir;

    @Option(names = "--file", paramLabel = "NAME",
            description = "Download this file instead of the automatically chosen weights (repeatable); the config "
                    + "and tokenizer files come along.")
    List<String> files = new ArrayList<>();

    @Option(names = "--endpoint", paramLabel = "URL", description = "Hub address (default: $HF_ENDPOINT or https://huggingface.co).")
    URI endpoint;

    @Override
    public Integer call() throws IOException {
        HubConfig.checkRepoId(repo);
        HubConfig.checkRevision(revision);
        HubConfig hub = HubConfig.fromEnvironment().withOffline(false);
        if (cacheDir != null) {
            hub = hub.withCacheDir(cacheDir);
        }
        if (endpoint != null) {
            hub = hub.withEndpoint(endpoint);
        }
        Path dir = new HubCache(hub).pull(repo, revision, files, ProgressBar.stderr());
        System.out.println(dir);
        return 0;
    }
}
