package io.rtdw.local;

/**
 * Source-commit-to-sink freshness as the progress line shows it, defined so that it stays flat while nothing changes:
 * <ul>
 *   <li>while the sink holds the newest committed record of the output topic ("caught up"), the freshness is the delay that newest
 *       change had when the launcher first saw it in the sink, and it does not grow while the pipeline is idle;</li>
 *   <li>while the output topic has committed records the sink does not show yet ("behind"), it is the time since the
 *       oldest such change could have been committed: now minus the newest change the sink does show (an upper
 *       bound, since the unseen changes came after it), so a stalled sink shows a growing number.</li>
 * </ul>
 * The launcher reads the sinks every progress interval, so a delay "when first seen" is late by up to that interval.
 * One instance per sink; used by the launcher's progress thread only.
 */
final class Freshness {

    private long lastSeenNewest = Long.MIN_VALUE;
    private double held = Double.NaN;

    /**
     * @param nowMs           the reading's time
     * @param sinkNewestMs    commit time of the newest change the sink shows (source_ts_ms), or a negative value if
     *                        it shows none
     * @param delayWhenSeenMs the delay to report for a newest change seen for the first time
     * @param caughtUp        true if the sink holds the newest committed change of the source
     * @return the freshness in ms, NaN if the sink shows nothing yet
     */
    double update(final long nowMs, final long sinkNewestMs, final double delayWhenSeenMs, final boolean caughtUp) {
        if (sinkNewestMs < 0) {
            return Double.NaN;
        }
        if (sinkNewestMs != lastSeenNewest) {
            lastSeenNewest = sinkNewestMs;
            held = delayWhenSeenMs;
        }
        return caughtUp ? held : Math.max(held, nowMs - sinkNewestMs);
    }

    private long advancedAtMs = -1;
    private long behindSinceMs = -1;

    /**
     * Parquet, where the launcher cannot see the files' source times cheaply: {@code lastFileDelayMs} is the lake
     * sink's own measure of its last file (source commit to file visible, for the file's oldest row). While the files
     * cover every committed record of the output topic it is reported as is (flat while idle); while they do not,
     * at least the time since the launcher saw the backlog and the files did not advance (a stalled sink grows).
     */
    double parquet(final long nowMs, final long filesPosition, final double lastFileDelayMs, final boolean caughtUp) {
        if (filesPosition < 0 || Double.isNaN(lastFileDelayMs) || lastFileDelayMs < 0) {
            return Double.NaN;
        }
        if (filesPosition != lastSeenNewest) {
            lastSeenNewest = filesPosition;
            advancedAtMs = nowMs;
        }
        if (caughtUp) {
            behindSinceMs = -1;
            return lastFileDelayMs;
        }
        if (behindSinceMs < 0) {
            behindSinceMs = nowMs;
        }
        return Math.max(lastFileDelayMs, nowMs - Math.max(behindSinceMs, advancedAtMs));
    }

    /**
     * Pinot: {@code newestInSinkMs} is {@code MAX(source_ts_ms)} in the table; {@code caughtUp} says whether its
     * consuming segments have reached the output topic's last committed record.
     */
    double pinot(final long nowMs, final long newestInSinkMs, final boolean caughtUp) {
        return update(nowMs, newestInSinkMs, nowMs - newestInSinkMs, caughtUp);
    }
}
