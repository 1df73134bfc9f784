package io.rtdw.streams.ops;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The app's own counters, next to Kafka Streams' metrics: changes read per table, dead letters, replays dropped,
 * records written, customers holding orphans, and the lag from source commit to output.
 */
public final class PipelineMetrics {

    private final Map<String, LongAdder> changes = new TreeMap<>();
    private final LongAdder deadLetters = new LongAdder();
    private final LongAdder tombstonesIgnored = new LongAdder();
    private final LongAdder replaysDropped = new LongAdder();
    private final LongAdder recordsOut = new LongAdder();
    private final LongAdder deletesOut = new LongAdder();
    private final LongAdder lagCount = new LongAdder();
    private final LongAdder lagSumMs = new LongAdder();
    private final AtomicLong lagLastMs = new AtomicLong();
    private final AtomicLong lagMaxMs = new AtomicLong();
    private volatile LongSupplier orphanCustomers = () -> -1;

    public PipelineMetrics() {
        for (final String table : new String[]{"customers", "flight", "vehicle"}) {
            changes.put(table, new LongAdder());
        }
    }

    public void change(final String table) {
        changes.get(table).increment();
    }

    public void deadLetter() {
        deadLetters.increment();
    }

    public void tombstoneIgnored() {
        tombstonesIgnored.increment();
    }

    public void replayDropped() {
        replaysDropped.increment();
    }

    /** One record written to the output topic, {@code lagMs} after its newest source commit. */
    public void recordOut(final boolean delete, final long lagMs) {
        recordsOut.increment();
        if (delete) {
            deletesOut.increment();
        }
        lagCount.increment();
        lagSumMs.add(lagMs);
        lagLastMs.set(lagMs);
        lagMaxMs.accumulateAndGet(lagMs, Math::max);
    }

    /** Where the number of customer ids that have children but no customer comes from (computed by the app). */
    public void orphanCustomers(final LongSupplier supplier) {
        this.orphanCustomers = supplier;
    }

    public long deadLetters() {
        return deadLetters.sum();
    }

    public long replaysDropped() {
        return replaysDropped.sum();
    }

    /** Prometheus text exposition of these counters. */
    public String toPrometheus() {
        final StringBuilder out = new StringBuilder();
        out.append("# HELP rtdw_changes_total Source changes read, per table.\n# TYPE rtdw_changes_total counter\n");
        changes.forEach((table, n) -> out.append("rtdw_changes_total{table=\"").append(table).append("\"} ")
                .append(n.sum()).append('\n'));
        counter(out, "rtdw_dead_letters_total", "Records sent to the dead-letter topic.", deadLetters.sum());
        counter(out, "rtdw_tombstones_ignored_total", "Input tombstones (compaction markers) skipped.",
                tombstonesIgnored.sum());
        counter(out, "rtdw_replays_dropped_total", "Changes dropped because a newer source position was applied.",
                replaysDropped.sum());
        counter(out, "rtdw_output_records_total", "Unified records written (including delete markers).",
                recordsOut.sum());
        counter(out, "rtdw_output_deletes_total", "Delete markers written.", deletesOut.sum());
        gauge(out, "rtdw_orphan_customers", "Customer ids with flights or vehicles but no customer row (local state).",
                orphanCustomers.getAsLong());
        gauge(out, "rtdw_source_to_output_lag_ms", "Source commit to output, last record (before the commit).",
                lagLastMs.get());
        gauge(out, "rtdw_source_to_output_lag_max_ms", "Source commit to output, maximum since start.",
                lagMaxMs.get());
        final long n = lagCount.sum();
        gauge(out, "rtdw_source_to_output_lag_avg_ms", "Source commit to output, average since start.",
                n == 0 ? 0 : lagSumMs.sum() / n);
        return out.toString();
    }

    private static void counter(final StringBuilder out, final String name, final String help, final long value) {
        out.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name)
                .append(" counter\n").append(name).append(' ').append(value).append('\n');
    }

    private static void gauge(final StringBuilder out, final String name, final String help, final long value) {
        out.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name)
                .append(" gauge\n").append(name).append(' ').append(value).append('\n');
    }
}
