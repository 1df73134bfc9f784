package io.rtdw.cdc.postgres;

import io.rtdw.cdc.CdcConfig;
import io.rtdw.cdc.postgres.PostgresPreflight.MisconfigurationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

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
     * Reads the epoch from the server.
     *
     * @throws MisconfigurationException when the capture's role may not call the control functions (PUBLIC may by
     *                                   default; some managed services revoke it)
     */
    public static String read(final CdcConfig config) {
        try (Connection c = PostgresPreflight.connect(config)) {
            return read(c, config.epochLabel());
        } catch (final SQLException e) {
            throw new MisconfigurationException("cannot read the PostgreSQL epoch (pg_control_system(), "
                    + "pg_control_checkpoint()) as '" + config.pgUser() + "': " + e.getMessage() + ". Every role may "
                    + "call them unless that was revoked: run GRANT EXECUTE ON FUNCTION pg_control_system(), "
                    + "pg_control_checkpoint() TO " + config.pgUser() + ".", e);
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
