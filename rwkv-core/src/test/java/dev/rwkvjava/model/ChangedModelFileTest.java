package dev.rwkvjava.model;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.LoadMode;
import dev.rwkvjava.ModelFileChangedException;
import dev.rwkvjava.state.State;
import dev.rwkvjava.testutil.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What a loaded model does when its weights file changes on disk (see {@link RwkvModel}'s class comment). */
class ChangedModelFileTest {
    @TempDir
    Path dir;

    private Path copy() throws Exception {
        Path p = dir.resolve("model.safetensors");
        Files.copy(TestData.file("models/tiny-rwkv-7v0-834K.f32.safetensors"), p, StandardCopyOption.REPLACE_EXISTING);
        return p;
    }

    private static RwkvModel load(Path p, LoadMode mode) {
        return RwkvModel.load(p, RwkvModel.Options.defaults().withThreads(2).withLoadMode(mode));
    }

    @Test
    void aTruncatedMappedFileFailsEveryLaterCallWithAnErrorNamingIt() throws Exception {
        Path p = copy();
        try (RwkvModel m = load(p, LoadMode.MAP)) {
            State s = m.newState();
            m.forward(new int[] {84, 104, 101}, s);
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                ch.truncate(4096);
            }
            for (int i = 0; i < 2; i++) {
                assertThatThrownBy(() -> m.forward(32, s)).isInstanceOf(ModelFileChangedException.class)
                        .hasMessageStartingWith(p.toString()).hasMessageContaining("load it again");
                assertThatThrownBy(() -> m.forward(new int[] {1, 2}, m.newState()))
                        .isInstanceOf(ModelFileChangedException.class).hasMessageContaining("load it again");
            }
        }
    }

    @Test
    void aFileRewrittenInPlaceIsNoticedByItsModificationTime() throws Exception {
        Path p = copy();
        try (RwkvModel m = load(p, LoadMode.MAP)) {
            m.forward(65, m.newState());
            Files.write(p, Files.readAllBytes(p), StandardOpenOption.WRITE);
            Files.setLastModifiedTime(p, FileTime.from(Instant.now().plusSeconds(60)));
            Thread.sleep(50);
            assertThatThrownBy(() -> m.forward(65, m.newState())).isInstanceOf(ModelFileChangedException.class)
                    .hasMessageStartingWith(p.toString()).hasMessageContaining("modified");
        }
    }

    @Test
    void aFileReplacedByAnotherOrDeletedLeavesTheLoadedModelAsItWas() throws Exception {
        Path p = copy();
        try (RwkvModel m = load(p, LoadMode.MAP)) {
            float[] before = m.forward(new int[] {72, 105}, m.newState());
            Path other = dir.resolve("other.safetensors");
            Files.copy(TestData.file("models/tiny-rwkv-4v0-660K.f32.safetensors"), other);
            Files.move(other, p, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Thread.sleep(50);
            assertThat(m.forward(new int[] {72, 105}, m.newState())).containsExactly(before);
            Files.delete(p);
            Thread.sleep(50);
            assertThat(m.forward(new int[] {72, 105}, m.newState())).containsExactly(before);
        }
    }

    @Test
    void weightsReadIntoMemoryDoNotDependOnTheFile() throws Exception {
        Path p = copy();
        try (RwkvModel m = load(p, LoadMode.READ)) {
            float[] before = m.forward(new int[] {72, 105}, m.newState());
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                ch.truncate(0);
            }
            assertThat(m.forward(new int[] {72, 105}, m.newState())).containsExactly(before);
        }
    }
}
