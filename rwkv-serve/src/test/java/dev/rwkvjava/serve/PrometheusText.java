package dev.rwkvjava.serve;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** Checks text against the Prometheus exposition format (0.0.4): the line syntax, TYPE before samples, histograms. */
final class PrometheusText {
    private static final Pattern SAMPLE = Pattern.compile(
            "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"[^\"\\\\\\n]*\"(,[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"\\\\\\n]*\")*)?})? "
                    + "(-?[0-9.eE+-]+|\\+Inf|-Inf|NaN)");
    private static final Pattern TYPE = Pattern.compile("# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)");

    private PrometheusText() {
    }

    static void check(String text) {
        assertThat(text).endsWith("\n");
        Map<String, String> types = new HashMap<>();
        Map<String, Double> lastBucket = new HashMap<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("# HELP ")) {
                continue;
            }
            Matcher t = TYPE.matcher(line);
            if (t.matches()) {
                assertThat(types.put(t.group(1), t.group(2))).as("TYPE once: %s", line).isNull();
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            assertThat(m.matches()).as("sample line: '%s'", line).isTrue();
            String name = m.group(1);
            String family = name.replaceFirst("_(bucket|sum|count)$", "");
            String type = types.getOrDefault(name, types.get(family));
            assertThat(type).as("TYPE before %s", name).isNotNull();
            double v = Double.parseDouble(m.group(5).replace("+Inf", "Infinity"));
            if (name.endsWith("_bucket")) {
                Double prev = lastBucket.get(family);
                assertThat(v).as("cumulative buckets of %s", family).isGreaterThanOrEqualTo(prev == null ? 0 : prev);
                lastBucket.put(family, v);
            }
            if (name.endsWith("_count") && "histogram".equals(type)) {
                assertThat(v).as("count of %s is its +Inf bucket", family).isEqualTo(lastBucket.get(family));
            }
            if ("counter".equals(type)) {
                assertThat(v).isGreaterThanOrEqualTo(0);
            }
        }
    }
}
