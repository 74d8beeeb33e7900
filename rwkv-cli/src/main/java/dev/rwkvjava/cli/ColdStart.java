package dev.rwkvjava.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a user of {@code generate} meets first: {@code rwkv generate} in fresh processes, timed from outside. A short
 * prompt gives the time from starting the process to its first printed token and the speed of the first decoded
 * tokens; a long prompt gives the prefill rate of a process that has compiled nothing yet.
 *
 * <p>The child is started as this JVM was (the same java, JVM options and class path), so that a bench started
 * through {@code ./rwkv} measures what {@code ./rwkv generate} does.
 */
final class ColdStart {
    /** Prompt length of the time-to-first-token run. */
    static final int SHORT_PROMPT = 8;
    /** Decoded tokens timed after the short prompt (the run generates one more: the first comes from the prompt). */
    static final int DECODE_TOKENS = 20;
    private static final long TIMEOUT_SECONDS = 600;

    /** One fresh process: seconds to its first output byte, and generate's own prefill and decode timings. */
    record Run(double firstTokenS, int promptTokens, double prefillS, int generatedTokens, double decodeS) {
    }

    /**
     * Medians over the runs.
     *
     * @param firstTokenS         process start to first token, short prompt
     * @param decodeTokensPerS    the first {@link #DECODE_TOKENS} decoded tokens after the short prompt
     * @param longPrompt          tokens of the long prompt
     * @param longFirstTokenS     process start to first token, long prompt
     * @param prefillTokensPerS   prefill rate of the long prompt
     * @param runs                fresh processes per figure
     */
    record Figures(double firstTokenS, double decodeTokensPerS, int longPrompt, double longFirstTokenS,
                   double prefillTokensPerS, int runs) {

        /** Adds the cold keys to a bench JSON object, with the warm figures' ratios. */
        void putJson(ObjectNode o, double warmDecode, double warmPrefill) {
            o.put("cold_first_token_s", round(firstTokenS));
            o.put("cold_decode_tokens_per_s", round(decodeTokensPerS));
            o.put("cold_decode_share_of_warm", round(decodeTokensPerS / warmDecode));
            o.put("cold_prefill_tokens", longPrompt);
            o.put("cold_prefill_first_token_s", round(longFirstTokenS));
            o.put("cold_prefill_tokens_per_s", round(prefillTokensPerS));
            o.put("cold_prefill_share_of_warm", round(prefillTokensPerS / warmPrefill));
            o.put("cold_runs", runs);
        }

        void print(PrintStream out, double warmDecode, double warmPrefill) {
            out.printf(Locale.ROOT, "  cold     %8.3f s to the first token (%d-token prompt; fresh process, median of %d)%n",
                    firstTokenS, SHORT_PROMPT, runs);
            out.printf(Locale.ROOT, "  cold     %8.1f tokens/s decoding the first %d tokens (%.0f%% of warm)%n",
                    decodeTokensPerS, DECODE_TOKENS, 100 * decodeTokensPerS / warmDecode);
            out.printf(Locale.ROOT, "  cold     %8.1f tokens/s prefill (%d-token prompt, %.0f%% of warm; first token at %.3f s)%n",
                    prefillTokensPerS, longPrompt, 100 * prefillTokensPerS / warmPrefill, longFirstTokenS);
        }
    }

    private ColdStart() {
    }

    /**
     * Runs {@code generate} on {@code model} in fresh processes: {@code runs} times with the first
     * {@link #SHORT_PROMPT} ids of {@code promptIds}, and as often with all of them, alternating.
     *
     * @param extraArgs further generate options (threads, load mode)
     */
    static Figures measure(Path model, int[] promptIds, int runs, List<String> extraArgs) throws IOException {
        if (promptIds.length < SHORT_PROMPT) {
            throw new IllegalArgumentException("the cold runs need a prompt of at least " + SHORT_PROMPT + " tokens");
        }
        double[] first = new double[runs];
        double[] decode = new double[runs];
        double[] longFirst = new double[runs];
        double[] prefill = new double[runs];
        for (int r = 0; r < runs; r++) {
            Run s = run(generateCommand(model, Arrays.copyOf(promptIds, SHORT_PROMPT), DECODE_TOKENS + 1, extraArgs));
            first[r] = s.firstTokenS();
            decode[r] = DECODE_TOKENS / s.decodeS();
            Run l = run(generateCommand(model, promptIds, 1, extraArgs));
            longFirst[r] = l.firstTokenS();
            prefill[r] = l.promptTokens() / l.prefillS();
        }
        return new Figures(median(first), median(decode), promptIds.length, median(longFirst), median(prefill), runs);
    }

    /** {@code java [this JVM's options] -cp CLASSPATH Main generate --model M --prompt-ids ... -n N --ignore-eos}. */
    static List<String> generateCommand(Path model, int[] promptIds, int tokens, List<String> extraArgs) {
        List<String> cmd = new ArrayList<>(javaCommand());
        cmd.addAll(List.of("generate", "--model", model.toString(), "--prompt-ids", ids(promptIds),
                "-n", Integer.toString(tokens), "--ignore-eos"));
        cmd.addAll(extraArgs);
        return cmd;
    }

    /** This JVM's java, options and class path, running {@link Main}. */
    static List<String> javaCommand() {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String o : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (carriesOver(o)) {
                cmd.add(o);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        return cmd;
    }

    /**
     * Whether a JVM option of this process belongs in the children: not a debugger or JMX port (the child would
     * fail to bind it), not the recording of an ahead-of-time cache (the children would overwrite it).
     */
    static boolean carriesOver(String jvmOption) {
        return !Relauncher.bindsASocket(List.of(jvmOption))
                && !jvmOption.startsWith("-XX:AOTCacheOutput")
                && !jvmOption.startsWith("-XX:AOTConfiguration")
                && !jvmOption.startsWith("-XX:AOTMode");
    }

    /** Starts cmd, timing its first byte on stdout from just before the start; reads generate's statistics. */
    static Run run(List<String> cmd) throws IOException {
        Path err = Files.createTempFile("rwkv-cold", ".txt");
        try {
            // A child of this JVM, not of whatever launched it: this JVM may itself be a relaunched one.
            ProcessBuilder pb = Relauncher.asChild(new ProcessBuilder(cmd).redirectError(err.toFile()));
            long t0 = System.nanoTime();
            Process p = pb.start();
            double first = -1;
            try (InputStream out = p.getInputStream()) {
                int b;
                while ((b = out.read()) >= 0) {
                    if (first < 0 && !Character.isWhitespace(b)) {
                        first = (System.nanoTime() - t0) / 1e9;
                    }
                }
                if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    throw new IOException("a cold run did not finish within " + TIMEOUT_SECONDS + " s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted during a cold run", e);
            } finally {
                p.destroyForcibly();
            }
            String stderr = Files.readString(err, StandardCharsets.UTF_8);
            if (p.exitValue() != 0 || first < 0) {
                throw new IOException("a cold run failed (exit " + p.exitValue() + "): " + stderr.strip());
            }
            return parse(first, stderr);
        } finally {
            Files.deleteIfExists(err);
        }
    }

    private static final Pattern PROMPT = Pattern.compile("prompt:\\s+(\\d+) tokens in\\s+([0-9.]+) ms");
    private static final Pattern GENERATED = Pattern.compile("generated:\\s+(\\d+) tokens in\\s+([0-9.]+) ms");

    /** A run from its first-token time and the statistics lines of {@link GenerateCommand#printStats}. */
    static Run parse(double firstTokenS, String stderr) throws IOException {
        Matcher p = PROMPT.matcher(stderr);
        Matcher g = GENERATED.matcher(stderr);
        if (!p.find() || !g.find()) {
            throw new IOException("a cold run printed no statistics: " + stderr.strip());
        }
        return new Run(firstTokenS, Integer.parseInt(p.group(1)), Double.parseDouble(p.group(2)) / 1e3,
                Integer.parseInt(g.group(1)), Double.parseDouble(g.group(2)) / 1e3);
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    private static String ids(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            sb.append(sb.isEmpty() ? "" : ",").append(id);
        }
        return sb.toString();
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
