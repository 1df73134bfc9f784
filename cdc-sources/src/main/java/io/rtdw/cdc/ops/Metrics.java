package io.rtdw.cdc.ops;

import org.HdrHistogram.Recorder;
import org.HdrHistogram.Histogram;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleSupplier;

/**
 * A small metrics registry rendered in the Prometheus text format (no client library needed for a handful of
 * series). Counters, gauges read at scrape time, and latency summaries backed by HdrHistogram.
 */
public final class Metrics {

    private final Map<String, LongAdder> counters = new ConcurrentHashMap<>();
    private final Map<String, DoubleSupplier> gauges = new ConcurrentHashMap<>();
    private final Map<String, Recorder> latencies = new ConcurrentHashMap<>();
    private final Map<String, Histogram> latencyTotals = new ConcurrentHashMap<>();
    private final Map<String, String> help = new ConcurrentHashMap<>();

    /** Adds {@code n} to the counter {@code name{labels}}; labels like {@code source="postgres",op="CREATE"}. */
    public void count(final String name, final String labels, final long n) {
        counters.computeIfAbsent(series(name, labels), k -> new LongAdder()).add(n);
    }

    /** Current value of a counter, 0 when never counted. */
    public long counter(final String name, final String labels) {
        final LongAdder adder = counters.get(series(name, labels));
        return adder == null ? 0 : adder.sum();
    }

    /** Registers a gauge read at every scrape. */
    public void gauge(final String name, final String labels, final DoubleSupplier supplier) {
        gauges.put(series(name, labels), supplier);
    }

    /** Records one latency observation in milliseconds. */
    public void latencyMs(final String name, final String labels, final long ms) {
        latencies.computeIfAbsent(series(name, labels), k -> new Recorder(3)).recordValue(Math.max(0, ms));
    }

    /** Describes a metric family in the output. */
    public void describe(final String name, final String text) {
        help.put(name, text);
    }

    /** The registry in Prometheus text exposition format 0.0.4. */
    public synchronized String render() {
        final StringBuilder out = new StringBuilder();
        final Map<String, StringBuilder> families = new TreeMap<>();
        counters.forEach((series, adder) -> line(families, series, "counter", adder.sum()));
        gauges.forEach((series, supplier) -> line(families, series, "gauge", supplier.getAsDouble()));
        latencies.forEach((series, recorder) -> {
            final Histogram total = latencyTotals.computeIfAbsent(series, k -> new Histogram(3));
            total.add(recorder.getIntervalHistogram());
            final String name = series.contains("{") ? series.substring(0, series.indexOf('{')) : series;
            final String labels = series.contains("{") ? series.substring(series.indexOf('{') + 1, series.length() - 1) : "";
            final StringBuilder b = families.computeIfAbsent(name, n -> header(n, "summary"));
            for (final double q : new double[] {0.5, 0.99, 0.999}) {
                b.append(name).append('{').append(labels).append(labels.isEmpty() ? "" : ",")
                        .append("quantile=\"").append(q).append("\"} ").append(total.getValueAtPercentile(q * 100))
                        .append('\n');
            }
            b.append(name).append("_count").append(labels.isEmpty() ? "" : "{" + labels + "}").append(' ')
                    .append(total.getTotalCount()).append('\n');
        });
        families.forEach((name, lines) -> out.append(lines));
        return out.toString();
    }

    private void line(final Map<String, StringBuilder> families, final String series, final String type,
                      final double value) {
        final String name = series.contains("{") ? series.substring(0, series.indexOf('{')) : series;
        families.computeIfAbsent(name, n -> header(n, type)).append(series).append(' ')
                .append(value == Math.rint(value) && Math.abs(value) < 1e15 ? String.valueOf((long) value)
                        : String.valueOf(value)).append('\n');
    }

    private StringBuilder header(final String name, final String type) {
        final StringBuilder b = new StringBuilder();
        if (help.containsKey(name)) {
            b.append("# HELP ").append(name).append(' ').append(help.get(name)).append('\n');
        }
        return b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static String series(final String name, final String labels) {
        return labels == null || labels.isEmpty() ? name : name + "{" + labels + "}";
    }
}
