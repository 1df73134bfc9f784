package io.rtdw.streams.ops;

import io.micrometer.core.instrument.Counter;
import io.rtdw.position.SourcePosition;
import io.rtdw.runtime.ServiceMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The app's own metrics ({@code rtdw_streams_*}), next to Kafka Streams' ({@code kafka_stream_*}): changes read per
 * table, dead letters, changes dropped (by table and reason), source epoch and newest commit position per table,
 * records written, customers holding orphans, and the lag from source commit
 * to output.
 */
public final class PipelineMetrics {

    private static final Logger LOG = LoggerFactory.getLogger(PipelineMetrics.class);

    private final Map<String, Counter> changes = new TreeMap<>();
    private final Counter deadLetters;
    private final Counter tombstonesIgnored;
    private final ServiceMetrics registry;
    private final Map<String, Counter> dropped = new ConcurrentHashMap<>();
    private final Map<String, Counter> epochChanges = new ConcurrentHashMap<>();
    private final Map<String, Applied> applied = new ConcurrentHashMap<>();
    private final Counter recordsOut;
    private final Counter deletesOut;
    private final LongAdder lagCount = new LongAdder();
    private final LongAdder lagSumMs = new LongAdder();
    private final AtomicLong lagLastMs = new AtomicLong();
    private final AtomicLong lagMaxMs = new AtomicLong();
    private final Map<String, Long> orphanCustomers = new ConcurrentHashMap<>();
    private final Counter removedPurged;

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
        this.registry = metrics;
        for (final String table : new String[]{"customers", "flight", "vehicle"}) {
            final Applied state = new Applied();
            applied.put(table, state);
            metrics.gauge("source.commit.sequence", "Newest source commit position applied (commit_sequence: "
                    + "PostgreSQL commit LSN, MongoDB cluster time), in the table's current epoch.",
                    state.commit::get, "table", table);
        }
        recordsOut = metrics.counter("output.records", "Unified records written (including delete markers).");
        deletesOut = metrics.counter("output.deletes", "Delete markers written.");
        metrics.gauge("orphan.customers", "Customer ids with flights or vehicles but no customer row (this "
                + "instance's tasks, kept up to date with every change).",
                () -> orphanCustomers.values().stream().mapToLong(Long::longValue).sum());
        removedPurged = metrics.counter("removed.children.purged", "State of deleted or moved-away children purged "
                + "after RTDW_REMOVED_STATE_RETENTION_HOURS.");
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

    /**
     * A change not applied because its row already holds a change at or after its source position: {@code
     * duplicate} (the same position: a replay after a capture restart) or {@code older} (committed before what was
     * applied: a replay that overtook, or a change committed before a snapshot row).
     */
    public void changeDropped(final String table, final String reason) {
        dropped.computeIfAbsent(table + "/" + reason, k -> registry.counter("changes.dropped",
                "Changes not applied because their row holds a change at or after their source position.",
                "table", table, "reason", reason)).increment();
    }

    /** A row's first change of another epoch than the one applied to it: the row's history starts again there. */
    public void epochStarted(final String table, final String from, final String to) {
        epochChanges.computeIfAbsent(table, k -> registry.counter("epoch.changes",
                "Changes applied over a row of another source epoch (restore, failover, re-snapshot, upgrade from "
                        + "positions without epoch).", "table", table)).increment();
        final Applied state = applied.get(table);
        if (state != null && state.warned.add(to)) {
            LOG.warn("{}: changes of source epoch '{}' now apply over rows of epoch '{}': the source was restored, "
                    + "failed over or re-snapshotted (cdc-sources/README.md, Source order)", table,
                    to, from.isEmpty() ? "(none: positions written before epochs)" : from);
        }
    }

    /** A change applied at {@code position}: the newest commit position and the epoch per table. */
    public void applied(final String table, final SourcePosition position) {
        final Applied state = applied.get(table);
        if (state == null) {
            return;
        }
        if (!position.epoch().equals(state.epoch)) {
            synchronized (state) { // rare: a table's first change, or its first of a new epoch
                if (!position.epoch().equals(state.epoch)) {
                    state.epoch = position.epoch();
                    state.commit.set(position.commit());
                    if (state.epochs.add(position.epoch())) {
                        final String epoch = position.epoch();
                        registry.gauge("source.epoch", "1 for the source epoch the table's newest change belongs to, "
                                + "0 for epochs seen before.", () -> epoch.equals(state.epoch) ? 1 : 0,
                                "table", table, "epoch", epoch.isEmpty() ? "none" : epoch);
                    }
                    return;
                }
            }
        }
        state.commit.accumulateAndGet(position.commit(), (a, b) -> Long.compareUnsigned(a, b) >= 0 ? a : b);
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

    /** The number of customer ids with children but no customer row in one task's state. */
    public void orphanCustomers(final String task, final long count) {
        orphanCustomers.put(task, count);
    }

    /** A task left this instance: its counts are another instance's now. */
    public void forgetTask(final String task) {
        orphanCustomers.remove(task);
    }

    /** Customer ids with children but no customer row, over this instance's tasks. */
    public long orphanCustomers() {
        return orphanCustomers.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Removed children whose state was purged. */
    public void removedPurged(final int n) {
        removedPurged.increment(n);
    }

    public long deadLetters() {
        return (long) deadLetters.count();
    }

    /** Changes dropped for any reason, on every table. */
    public long replaysDropped() {
        return dropped.values().stream().mapToLong(c -> (long) c.count()).sum();
    }

    /** The metrics in Prometheus' text format. */
    public String scrape() {
        return registry.scrape();
    }

    /** Changes that started a row's new epoch, on every table. */
    public long epochChanges() {
        return epochChanges.values().stream().mapToLong(c -> (long) c.count()).sum();
    }

    /** Per table: the current epoch and the newest commit position applied in it. */
    private static final class Applied {
        volatile String epoch;
        final AtomicLong commit = new AtomicLong(-1);
        final Set<String> epochs = ConcurrentHashMap.newKeySet();
        final Set<String> warned = ConcurrentHashMap.newKeySet();
    }
}
