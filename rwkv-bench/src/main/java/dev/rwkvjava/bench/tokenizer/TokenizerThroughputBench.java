package dev.rwkvjava.bench.tokenizer;

import dev.rwkvjava.tokenizer.Tokenizer;
import dev.rwkvjava.tokenizer.Tokenizers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Single-thread encode and decode throughput on the ~5 MB mixed text. Besides ops/s, each benchmark reports
 * a {@code bytes} counter in bytes per second (UTF-8 bytes of the text, for encode and decode alike, as in
 * the reference figures): divide by 10^6 for MB/s.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@State(Scope.Benchmark)
public class TokenizerThroughputBench {

    @Param({"world", "neox20b"})
    public String tokenizer;

    private Tokenizer tok;
    private String text;
    private byte[] utf8;
    private int[] ids;

    /** Counts the input bytes handled, so JMH reports them as a rate. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Bytes {
        public long bytes;
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        tok = Tokenizers.load(BenchText.dataDir().resolve(
                tokenizer.equals("world") ? "rwkv_vocab_v20230424.txt" : "20B_tokenizer.json"));
        text = BenchText.mixedText();
        utf8 = text.getBytes(StandardCharsets.UTF_8);
        ids = tok.encode(text);
        System.out.printf("%n[%s] text: %d chars, %d UTF-8 bytes, %d tokens%n", tokenizer, text.length(), utf8.length, ids.length);
    }

    @Benchmark
    public int[] encode(Bytes counter) {
        counter.bytes += utf8.length;
        return tok.encode(text);
    }

    @Benchmark
    public byte[] decode(Bytes counter) {
        counter.bytes += utf8.length;
        return tok.decode(ids);
    }

    @Benchmark
    public String decodeToString(Bytes counter) {
        counter.bytes += utf8.length;
        return tok.decodeToString(ids);
    }
}
