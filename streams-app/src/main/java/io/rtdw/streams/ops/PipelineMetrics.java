package io.rtdw.streams.ops;

import io.micrometer.core.instrument.Counter;
import io.rtdw.runtime.ServiceMetrics;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The app's own metrics ({@code rtdw_streams_*}), next to Kafka Streams' ({@code kafka_stream_*}): changes read per
 * table, dead letters, replays dropped, records written, customers holding orphans, and the lag from source commit
 * to output.
 */
public final class PipelineMetrics {

    private final Map<String, Counter> changes = new TreeMap<>();
    private final Counter deadLetters;
    private final Counter tombstonesIgnored;
    private final Counter replaysDropped;
    private final Counter recordsOut;
    private final Counter deletesOut;
    private final LongAdder lagCount = new LongAdder();
    private final LongAdder lagSumMs = new LongAdder();
    private final AtomicLong lagLastMs = new AtomicLong();
    private final AtomicLong lagMaxMs = new AtomicLong();
    private volatile LongSupplier orphanCustomers = () -> -1;

    /** On its own registry (tests, tools). */
    public PipelineMetrics() {
        this(new ServiceMetrics("streams"));
    }

    public PipelineMetrics(final ServiceMetrics metrics) {
        for (final String table : new String[]{"customers", "flight", "vehicle"}) {
            changes.put(table, metrics.counter("changes", "Source changes read, per table.", "table", table));
        }
        deadLetters = metrics.counter("dead.letters", "Records sent to the dead-letter topic.");
        tombstonesIgnored = metrics.counter("tombstones.ignored", "Input tombstones (compaction markers) skipped.");
        replaysDropped = metrics.counter("replays.dropped", "Changes dropped because a newer source position was applied.");
        recordsOut = metrics.counter("output.records", "Unified records written (including delete markers).");
        deletesOut = metrics.counter("output.deletes", "Delete markers written.");
        metrics.gauge("orphan.customers", "Customer ids with flights or vehicles but no customer row (local state).",
                () -> orphanCustomers.getAsLong());
        metrics.gauge("source.to.output.lag.ms", "Source commit to output, last record (before the commit).",
                lagLastMs::get);
        metrics.gauge("source.to.output.lag.max.ms", "Source commit to output, maximum since start.", lagMaxMs::get);
        metrics.gauge("source.to.output.lag.avg.ms", "Source commit to output, average since start.", () -> {
            final long n = lagCount.sum();
            return n == 0 ? 0 : lagSumMs.sum() / n;
        });
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
        return (long) deadLetters.count();
    }

    public long replaysDropped() {
        return (long) replaysDropped.count();
    }
}
