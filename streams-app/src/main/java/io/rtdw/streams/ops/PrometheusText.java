package io.rtdw.streams.ops;

import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

import java.util.Map;
import java.util.TreeMap;

/** Kafka client metrics in Prometheus text format: {@code kafka_<group>_<name>{tag="..."} value}. */
public final class PrometheusText {

    private PrometheusText() {
    }

    public static String of(final Map<MetricName, ? extends Metric> metrics) {
        final Map<String, StringBuilder> byName = new TreeMap<>();
        metrics.forEach((name, metric) -> {
            final Object value = metric.metricValue();
            if (!(value instanceof Number number) || Double.isNaN(number.doubleValue())
                    || Double.isInfinite(number.doubleValue())) {
                return;
            }
            final String prom = sanitize("kafka_" + name.group() + "_" + name.name());
            final StringBuilder line = byName.computeIfAbsent(prom, k -> new StringBuilder("# TYPE " + k + " gauge\n"));
            line.append(prom);
            if (!name.tags().isEmpty()) {
                line.append('{');
                final StringBuilder tags = new StringBuilder();
                new TreeMap<>(name.tags()).forEach((k, v) -> tags.append(tags.length() == 0 ? "" : ",")
                        .append(sanitize(k)).append("=\"").append(v.replace("\\", "\\\\").replace("\"", "\\\"")).append('"'));
                line.append(tags).append('}');
            }
            line.append(' ').append(number.doubleValue()).append('\n');
        });
        final StringBuilder out = new StringBuilder();
        byName.values().forEach(out::append);
        return out.toString();
    }

    static String sanitize(final String name) {
        return name.replaceAll("[^a-zA-Z0-9_]", "_");
    }
}
