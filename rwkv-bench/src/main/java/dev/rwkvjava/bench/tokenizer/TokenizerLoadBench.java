package dev.rwkvjava.bench.tokenizer;

import dev.rwkvjava.tokenizer.Tokenizer;
import dev.rwkvjava.tokenizer.Tokenizers;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Time to load a tokenizer from its file (read, parse, build the trie or merge tables), warmed up. The first
 * load in a fresh JVM is slower (class loading, interpreter): {@code -bm ss -wi 0 -i 1 -f 5} measures that.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@State(Scope.Benchmark)
public class TokenizerLoadBench {

    @Param({"world", "neox20b"})
    public String tokenizer;

    private Path file;

    @Setup
    public void setUp() {
        file = BenchText.dataDir().resolve(tokenizer.equals("world") ? "rwkv_vocab_v20230424.txt" : "20B_tokenizer.json");
    }

    @Benchmark
    public Tokenizer load() throws IOException {
        return Tokenizers.load(file);
    }
}
