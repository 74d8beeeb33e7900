package dev.rwkvjava.hub.internal;




import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FileSelectionTest {
    static RepoListing listing(String... names) {
        List<RepoFile> files = new ArrayList<>();
        for (String n : names) {
            files.add(new RepoFile(n, 10, null, null));
        }
        return new RepoListing("o/r", "main", null, files);
    }

    static List<String> chosen(RepoListing l) {
        return FileSelection.choose(l).stream().map(RepoFile::name).toList();
    }

    @Test
    void takesSafetensorsConfigAndTokenizerOnly() {
        assertThat(chosen(listing("README.md", "config.json", "model.safetensors", "pytorch_model.bin",
                "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "images/logo.png")))
                .containsExactly("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                        "model.safetensors");
        assertThat(chosen(listing("rwkv_vocab_v20230424.txt", "RWKV-x070-World-0.1B.safetensors", ".gitattributes")))
                .containsExactly("rwkv_vocab_v20230424.txt", "RWKV-x070-World-0.1B.safetensors");
    }

    @Test
    void everyFormatIsTakenWhenItIsTheOnlyCheckpoint() {
        assertThat(chosen(listing("config.json", "pytorch_model.bin", "training_args.bin")))
                .containsExactly("config.json", "pytorch_model.bin");
        assertThat(chosen(listing("rwkv7-g1-0.1b.pth", "README.md"))).containsExactly("rwkv7-g1-0.1b.pth");
        assertThat(chosen(listing("model-Q8_0.gguf"))).containsExactly("model-Q8_0.gguf");
        assertThat(chosen(listing("config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
                "model.safetensors.index.json", "pytorch_model.bin")))
                .containsExactly("config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
                        "model.safetensors.index.json");
    }

    @Test
    void ambiguousWeightsAreListedAndNothingIsChosen() {
        assertThatThrownBy(() -> chosen(listing("a.safetensors", "b.safetensors")))
                .hasMessageContaining("several safetensors files a.safetensors, b.safetensors").hasMessageContaining("--file");
        assertThatThrownBy(() -> chosen(listing("rwkv7-g1-0.1b.pth", "rwkv7-g1-1.5b.pth", "rwkv7-g1-2.9b.pth")))
                .hasMessageContaining("several checkpoints rwkv7-g1-0.1b.pth, rwkv7-g1-1.5b.pth, rwkv7-g1-2.9b.pth")
                .hasMessageContaining("--file NAME").hasMessageContaining("nothing was downloaded");
        assertThatThrownBy(() -> chosen(listing("README.md"))).hasMessageContaining("no weights file");
    }

    @Test
    void namedFilesMustExist() {
        RepoListing l = listing("config.json", "x.pth");
        assertThat(FileSelection.named(l, List.of("x.pth")).stream().map(RepoFile::name)).containsExactly("config.json", "x.pth");
        assertThatThrownBy(() -> FileSelection.named(l, List.of("y.pth"))).hasMessageContaining("has no file 'y.pth'");
    }
}
