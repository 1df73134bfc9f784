package io.rtdw.cdc.postgres;

import io.rtdw.cdc.CdcConfig;
import io.rtdw.cdc.postgres.PostgresPreflight.MisconfigurationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * The PostgreSQL epoch: which history of the database the LSNs belong to, {@code pg:<system identifier>:<timeline>}
 * (plus {@code :<label>} when {@code RTDW_CDC_EPOCH} is set), read once when the capture starts. The system identifier
 * changes when the cluster is re-created (initdb, logical migration to a new cluster); the timeline changes on a
 * point-in-time recovery or a standby promotion. A restore of a base backup onto the same cluster keeps both, so the
 * operator sets {@code RTDW_CDC_EPOCH} then (cdc-sources/README, Source order).
 */
public final class SourceEpoch {

    private static final Logger LOG = LoggerFactory.getLogger(SourceEpoch.class);

    private SourceEpoch() {
    }

    /** {@code pg:<system identifier>:<timeline>[:<label>]}. */
    public static String of(final long systemIdentifier, final long timeline, final String label) {
        return "pg:" + Long.toUnsignedString(systemIdentifier) + ":" + timeline
                + (label == null || label.isEmpty() ? "" : ":" + label);
    }

    /**
     * Reads the epoch from the server: {@code pg_control_system()} and {@code pg_control_checkpoint()}, which every
     * role may call unless an operator or a managed service revoked it; then {@code IDENTIFY_SYSTEM} over a
     * replication connection (the capture's role has REPLICATION, {@link PostgresPreflight} checks it).
     *
     * @throws MisconfigurationException when neither answers
     */
    public static String read(final CdcConfig config) {
        try (Connection c = PostgresPreflight.connect(config)) {
            return read(c, config.epochLabel());
        } catch (final SQLException e) {
            if (!"42501".equals(e.getSQLState())) {
                throw failed(config, e);
            }
            LOG.info("'{}' may not call pg_control_system()/pg_control_checkpoint() ({}): reading the epoch with "
                    + "IDENTIFY_SYSTEM instead", config.pgUser(), e.getMessage());
        }
        try {
            return identifySystem(config);
        } catch (final SQLException | RuntimeException e) {
            throw failed(config, e);
        }
    }

    private static MisconfigurationException failed(final CdcConfig config, final Exception e) {
        return new MisconfigurationException("cannot read the PostgreSQL epoch as '" + config.pgUser() + "': "
                + e.getMessage() + ". The capture reads it from pg_control_system() and pg_control_checkpoint() "
                + "(GRANT EXECUTE ON FUNCTION pg_control_system(), pg_control_checkpoint() TO " + config.pgUser()
                + ") or, failing that, with IDENTIFY_SYSTEM (ALTER ROLE " + config.pgUser() + " WITH REPLICATION).",
                e);
    }

    /** {@code IDENTIFY_SYSTEM} on a replication connection: the system identifier and the current timeline. */
    static String identifySystem(final CdcConfig config) throws SQLException {
        final Properties props = PostgresPreflight.connectionProperties(config, "rtdw-cdc-epoch");
        props.setProperty("replication", "database");
        props.setProperty("preferQueryMode", "simple"); // a replication connection speaks the simple protocol only
        props.setProperty("assumeMinServerVersion", "10");
        try (Connection c = DriverManager.getConnection(config.pgJdbcUrl(), props); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("IDENTIFY_SYSTEM")) {
            if (!rs.next()) {
                throw new SQLException("IDENTIFY_SYSTEM returned no row");
            }
            final String epoch = of(Long.parseUnsignedLong(rs.getString("systemid")), rs.getLong("timeline"),
                    config.epochLabel());
            LOG.info("PostgreSQL source epoch: {} (IDENTIFY_SYSTEM; positions compare only within one epoch)", epoch);
            return epoch;
        }
    }

    /** Reads the epoch over an open connection. */
    public static String read(final Connection c, final String label) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT s.system_identifier, k.timeline_id "
                     + "FROM pg_control_system() s, pg_control_checkpoint() k")) {
            if (!rs.next()) {
                throw new SQLException("pg_control_system() returned no row");
            }
            final String epoch = of(rs.getLong(1), rs.getLong(2), label);
            LOG.info("PostgreSQL source epoch: {} (positions compare only within one epoch)", epoch);
            return epoch;
        }
    }
}
