package io.rtdw.lake;

import io.micrometer.core.instrument.Counter;
import io.rtdw.runtime.ServiceMetrics;

import java.util.concurrent.atomic.AtomicLong;

/** The sink's metrics ({@code rtdw_lake_*}) on the service's registry. Thread-safe. */
public final class LakeSinkMetrics {

    private final Counter recordsRead;
    private final Counter rowsWritten;
    private final Counter filesWritten;
    private final Counter bytesWritten;
    private final Counter deadLetters;
    private final Counter snapshots;
    private final AtomicLong snapshotRows = new AtomicLong();
    private final AtomicLong lastFileLatencyMs = new AtomicLong(-1);
    private final AtomicLong recoveredFiles = new AtomicLong();
    private final AtomicLong recoveryListingMs = new AtomicLong();
    private volatile boolean ready;

    /** On its own registry (tests). */
    public LakeSinkMetrics() {
        this(new ServiceMetrics("lake"));
    }

    public LakeSinkMetrics(final ServiceMetrics metrics) {
        recordsRead = metrics.counter("records.read", "Records read from the output topic, tombstones included.");
        rowsWritten = metrics.counter("rows.written", "Rows written to changelog files.");
        filesWritten = metrics.counter("files.written", "Changelog files written.");
        bytesWritten = metrics.counter("bytes.written", "Bytes of changelog files written.");
        deadLetters = metrics.counter("dead.letters", "Records sent to the dead-letter topic.");
        snapshots = metrics.counter("snapshots", "Snapshots written.");
        metrics.gauge("snapshot.rows", "Live customers in the last snapshot.", snapshotRows::get);
        metrics.gauge("last.file.source.latency.ms",
                "Source commit to file visible, for the oldest row of the last file.", lastFileLatencyMs::get);
        metrics.gauge("recovered.files", "Changelog files found in the bucket at start.", recoveredFiles::get);
        metrics.gauge("recovery.listing.ms", "Time to list the bucket at start.", recoveryListingMs::get);
        metrics.gauge("ready", "1 once the state is rebuilt.", () -> ready ? 1 : 0);
    }

    void recordRead() {
        recordsRead.increment();
    }

    void fileWritten(final int rows, final long bytes, final long oldestSourceTsMs) {
        rowsWritten.increment(rows);
        filesWritten.increment();
        bytesWritten.increment(bytes);
        lastFileLatencyMs.set(System.currentTimeMillis() - oldestSourceTsMs);
    }

    void deadLetter() {
        deadLetters.increment();
    }

    void snapshotWritten(final int rows) {
        snapshots.increment();
        snapshotRows.set(rows);
    }

    void recovered(final int files, final long listingMs) {
        recoveredFiles.set(files);
        recoveryListingMs.set(listingMs);
    }

    void ready(final boolean value) {
        ready = value;
    }

    /** True once the state is rebuilt and new records are being written. */
    public boolean isReady() {
        return ready;
    }

    /** Rows written to changelog files by this process. */
    public long rowsWritten() {
        return (long) rowsWritten.count();
    }
}
