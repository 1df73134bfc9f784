package io.rtdw.lake;

import java.util.concurrent.atomic.AtomicLong;

/** Counters of the sink, rendered in the Prometheus text format at {@code /metrics}. Thread-safe. */
public final class LakeSinkMetrics {

    private final AtomicLong recordsRead = new AtomicLong();
    private final AtomicLong rowsWritten = new AtomicLong();
    private final AtomicLong filesWritten = new AtomicLong();
    private final AtomicLong bytesWritten = new AtomicLong();
    private final AtomicLong deadLetters = new AtomicLong();
    private final AtomicLong snapshots = new AtomicLong();
    private final AtomicLong snapshotRows = new AtomicLong();
    private final AtomicLong lastFileLatencyMs = new AtomicLong(-1);
    private final AtomicLong recoveredFiles = new AtomicLong();
    private final AtomicLong recoveryListingMs = new AtomicLong();
    private volatile boolean ready;

    void recordRead() {
        recordsRead.incrementAndGet();
    }

    void fileWritten(final int rows, final long bytes, final long oldestSourceTsMs) {
        rowsWritten.addAndGet(rows);
        filesWritten.incrementAndGet();
        bytesWritten.addAndGet(bytes);
        lastFileLatencyMs.set(System.currentTimeMillis() - oldestSourceTsMs);
    }

    void deadLetter() {
        deadLetters.incrementAndGet();
    }

    void snapshotWritten(final int rows) {
        snapshots.incrementAndGet();
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
        return rowsWritten.get();
    }

    /** Prometheus text exposition. */
    public String render() {
        final StringBuilder out = new StringBuilder();
        counter(out, "rtdw_lake_records_read_total", "Records read from the output topic, tombstones included.", recordsRead.get());
        counter(out, "rtdw_lake_rows_written_total", "Rows written to changelog files.", rowsWritten.get());
        counter(out, "rtdw_lake_files_written_total", "Changelog files written.", filesWritten.get());
        counter(out, "rtdw_lake_bytes_written_total", "Bytes of changelog files written.", bytesWritten.get());
        counter(out, "rtdw_lake_dead_letters_total", "Records sent to the dead-letter topic.", deadLetters.get());
        counter(out, "rtdw_lake_snapshots_total", "Snapshots written.", snapshots.get());
        gauge(out, "rtdw_lake_snapshot_rows", "Live customers in the last snapshot.", snapshotRows.get());
        gauge(out, "rtdw_lake_last_file_source_latency_ms",
                "Source commit to file visible, for the oldest row of the last file.", lastFileLatencyMs.get());
        gauge(out, "rtdw_lake_recovered_files", "Changelog files found in the bucket at start.", recoveredFiles.get());
        gauge(out, "rtdw_lake_recovery_listing_ms", "Time to list the bucket at start.", recoveryListingMs.get());
        gauge(out, "rtdw_lake_ready", "1 once the state is rebuilt.", ready ? 1 : 0);
        return out.toString();
    }

    private static void counter(final StringBuilder out, final String name, final String help, final long value) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n')
                .append("# TYPE ").append(name).append(" counter\n").append(name).append(' ').append(value).append('\n');
    }

    private static void gauge(final StringBuilder out, final String name, final String help, final long value) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n')
                .append("# TYPE ").append(name).append(" gauge\n").append(name).append(' ').append(value).append('\n');
    }
}
