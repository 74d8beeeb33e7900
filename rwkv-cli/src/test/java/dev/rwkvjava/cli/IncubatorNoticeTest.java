package dev.rwkvjava.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The relaunched JVM's standard error without the incubator notice, and its ahead-of-time cache. */
class IncubatorNoticeTest {
    @TempDir
    Path dir;

    private static String copied(String stderr) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        IncubatorNotice.copy(new ByteArrayInputStream(stderr.getBytes(StandardCharsets.UTF_8)), out);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void dropsTheNoticeOnTheFirstLineAndNothingElse() {
        assertThat(copied(IncubatorNotice.LINE + "\nrwkv generate: error: x\n")).isEqualTo("rwkv generate: error: x\n");
        assertThat(copied(IncubatorNotice.LINE + "\r\nprogress\r50%")).isEqualTo("progress\r50%");
        assertThat(copied("rwkv: error\n" + IncubatorNotice.LINE + "\n"))
                .isEqualTo("rwkv: error\n" + IncubatorNotice.LINE + "\n");
        assertThat(copied(IncubatorNotice.LINE + ", jdk.incubator.other\n"))
                .isEqualTo(IncubatorNotice.LINE + ", jdk.incubator.other\n");
        assertThat(copied("WARNING: Using")).isEqualTo("WARNING: Using");
        assertThat(copied("")).isEmpty();
        assertThat(copied("\u00e9t\u00e9\n")).isEqualTo("\u00e9t\u00e9\n");
    }

    @Test
    void theCacheBesideTheJarIsUsedUnlessTheUserChoseOtherwise() throws Exception {
        Path jar = Files.createFile(dir.resolve("rwkv.jar"));
        assertThat(Relauncher.aotCache(jar.toString(), List.of())).isNull();
        Path cache = Files.createFile(dir.resolve(Relauncher.AOT_CACHE));
        assertThat(Relauncher.aotCache(jar.toString(), List.of())).isEqualTo(cache.toAbsolutePath());
        assertThat(Relauncher.aotCache(jar.toString(), List.of("-XX:AOTCache=other.aot"))).isNull();
        assertThat(Relauncher.aotCache(jar.toString(), List.of("-Xshare:off"))).isNull();
        assertThat(Relauncher.aotCache(jar + java.io.File.pathSeparator + "other.jar", List.of())).isNull();
        assertThat(Relauncher.aotCache(dir.resolve("classes").toString(), List.of())).isNull();
        assertThat(Relauncher.aotOptions(cache)).contains("-XX:AOTCache=" + cache, "-Xlog:aot*=off");
    }
}
