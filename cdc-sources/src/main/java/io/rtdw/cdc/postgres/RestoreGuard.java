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
 * <p>It also records the server's system identifier (set by initdb) beside the offsets ({@link #IDENTITY}) and
 * refuses a server with another one: a different cluster at the same address, whose WAL positions do not compare.
 *
 * <p>What it cannot see: a server restored from a file-level backup of the same cluster (same identifier) that
 * already wrote more WAL than the stored position before the capture starts. The README's restore procedure applies
 * whether or not this check fired.
 */
public final class RestoreGuard {

    private static final Logger LOG = LoggerFactory.getLogger(RestoreGuard.class);

    /** The offset fields of Debezium's PostgreSQL connector that hold a WAL position. */
    private static final List<String> LSN_FIELDS = List.of("lsn", "lsn_proc", "lsn_commit");

    /** Name of the record, beside the engine's offsets, that holds the server's system identifier. */
    public static final String IDENTITY = PostgresCapture.ENGINE_NAME + "-source";

    private static final String SYSTEM_IDENTIFIER = "system_identifier";

    private static final String PROCEDURE = "Follow 'Database restored from a backup' in " + SchemaGuard.README
            + ": set RTDW_CDC_EPOCH to a new label, run CdcMain --reset-offsets, start the capture (it re-snapshots).";

    private RestoreGuard() {
    }

    /**
     * Checks the server against what the offsets topic holds, and records the server's system identifier when none
     * is recorded yet.
     *
     * @throws MisconfigurationException when the server is another cluster than the recorded one, or its WAL
     *                                   position is behind the stored offsets
     */
    public static void check(final CdcConfig config) {
        final String topic = config.catalog().cdcOffsets().name();
        final long current;
        final String systemId;
        try (Connection c = PostgresPreflight.connect(config)) {
            current = walLsn(c);
            systemId = systemIdentifier(c);
        } catch (final SQLException e) {
            throw new MisconfigurationException("cannot read the WAL position of PostgreSQL at " + config.pgJdbcUrl()
                    + ": " + e.getMessage(), e);
        }
        final String recorded = StoredOffsets.read(config.kafka(), topic, IDENTITY).values().stream()
                .map(v -> v.get(SYSTEM_IDENTIFIER)).filter(java.util.Objects::nonNull).map(String::valueOf)
                .findFirst().orElse(null);
        if (recorded != null && systemId != null && !recorded.equals(systemId)) {
            throw new MisconfigurationException("PostgreSQL at " + where(config) + " is another database cluster "
                    + "than the one the capture's stored offsets come from: system identifier " + systemId
                    + ", recorded " + recorded + " (" + IDENTITY + " in topic " + topic + "). Its WAL positions do "
                    + "not compare with the stored ones. " + PROCEDURE, null);
        }
        final long stored = StoredOffsets.read(config.kafka(), topic, PostgresCapture.ENGINE_NAME).values().stream()
                .mapToLong(RestoreGuard::newestLsn).max().orElse(-1);
        if (stored < 0) {
            LOG.info("no stored PostgreSQL offsets in {}: the capture starts from a snapshot", topic);
        } else {
            check(config, topic, stored, current);
        }
        if (recorded == null && systemId != null) {
            StoredOffsets.write(config.kafka(), topic, IDENTITY, Map.of("server", config.catalog().prefix()),
                    Map.of(SYSTEM_IDENTIFIER, systemId));
            LOG.info("recorded PostgreSQL system identifier {} in {}", systemId, topic);
        }
    }

    private static long walLsn(final Connection c) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() "
                     + "ELSE pg_current_wal_lsn() END - '0/0'::pg_lsn)::bigint")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** The cluster's system identifier (initdb's), or {@code null} when this role may not read it. */
    private static String systemIdentifier(final Connection c) {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT system_identifier::text FROM pg_control_system()")) {
            return rs.next() ? rs.getString(1) : null;
        } catch (final SQLException e) {
            LOG.warn("cannot read PostgreSQL's system identifier ({}): a replaced server is only found by its WAL "
                    + "position", e.getMessage());
            return null;
        }
    }

    private static String where(final CdcConfig config) {
        return config.pgHost() + ":" + config.pgPort() + "/" + config.pgDatabase();
    }

    static void check(final CdcConfig config, final String topic, final long stored, final long current) {
        if (current < stored) {
            throw new MisconfigurationException("PostgreSQL at " + where(config) + " is at WAL position " + PostgresChangeMapper.formatLsn(current)
                    + ", behind the capture's stored offsets at " + PostgresChangeMapper.formatLsn(stored)
                    + " (engine " + PostgresCapture.ENGINE_NAME + " in topic " + topic + "): the database went back "
                    + "in its history (restored from an earlier backup, or replaced by another server). Resuming "
                    + "would skip every change until the WAL passes " + PostgresChangeMapper.formatLsn(stored)
                    + ", in silence. " + PROCEDURE, null);
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
