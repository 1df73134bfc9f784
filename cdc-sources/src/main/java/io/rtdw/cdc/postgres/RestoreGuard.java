package io.rtdw.cdc.postgres;

import io.rtdw.cdc.CdcConfig;
import io.rtdw.cdc.engine.StoredOffsets;
import io.rtdw.cdc.postgres.PostgresPreflight.MisconfigurationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

/**
 * Refuses to resume when PostgreSQL went back in its history: a database restored from a backup taken before the
 * capture's stored position (or replaced by another server) has a WAL that ends before the LSN in the capture's
 * stored offsets. Debezium would resume and skip every change until the WAL passes that LSN again, in silence; here
 * the process stops at start with both positions and exits 2.
 *
 * <p>What it cannot see: a restored server that already wrote more WAL than the stored position before the capture
 * starts. The README's restore procedure applies whether or not this check fired.
 */
public final class RestoreGuard {

    private static final Logger LOG = LoggerFactory.getLogger(RestoreGuard.class);

    /** The offset fields of Debezium's PostgreSQL connector that hold a WAL position. */
    private static final List<String> LSN_FIELDS = List.of("lsn", "lsn_proc", "lsn_commit");

    private RestoreGuard() {
    }

    /**
     * @throws MisconfigurationException when the server's WAL position is behind the stored offsets
     */
    public static void check(final CdcConfig config) {
        final String topic = config.catalog().cdcOffsets().name();
        final Map<String, Map<String, Object>> offsets = StoredOffsets.read(config.kafka(), topic,
                PostgresCapture.ENGINE_NAME);
        final long stored = offsets.values().stream().mapToLong(RestoreGuard::newestLsn).max().orElse(-1);
        if (stored < 0) {
            LOG.info("no stored PostgreSQL offsets in {}: the capture starts from a snapshot", topic);
            return;
        }
        final long current;
        try (Connection c = PostgresPreflight.connect(config); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() "
                     + "ELSE pg_current_wal_lsn() END - '0/0'::pg_lsn)::bigint")) {
            rs.next();
            current = rs.getLong(1);
        } catch (final SQLException e) {
            throw new MisconfigurationException("cannot read the WAL position of PostgreSQL at " + config.pgJdbcUrl()
                    + ": " + e.getMessage(), e);
        }
        check(config, topic, stored, current);
    }

    static void check(final CdcConfig config, final String topic, final long stored, final long current) {
        if (current < stored) {
            throw new MisconfigurationException("PostgreSQL at " + config.pgHost() + ":" + config.pgPort() + "/"
                    + config.pgDatabase() + " is at WAL position " + PostgresChangeMapper.formatLsn(current)
                    + ", behind the capture's stored offsets at " + PostgresChangeMapper.formatLsn(stored)
                    + " (engine " + PostgresCapture.ENGINE_NAME + " in topic " + topic + "): the database went back "
                    + "in its history (restored from an earlier backup, or replaced by another server). Resuming "
                    + "would skip every change until the WAL passes " + PostgresChangeMapper.formatLsn(stored)
                    + ", in silence. Follow 'Database restored from a backup' in " + SchemaGuard.README
                    + ": set RTDW_CDC_EPOCH to a new label, run CdcMain --reset-offsets, start the capture "
                    + "(it re-snapshots).", null);
        }
        LOG.info("PostgreSQL WAL at {}, stored offsets at {}: resuming", PostgresChangeMapper.formatLsn(current),
                PostgresChangeMapper.formatLsn(stored));
    }

    /** The newest WAL position an offset holds, -1 when none. */
    static long newestLsn(final Map<String, Object> offset) {
        long newest = -1;
        for (final String field : LSN_FIELDS) {
            if (offset.get(field) instanceof Number n) {
                newest = Math.max(newest, n.longValue());
            }
        }
        return newest;
    }
}
