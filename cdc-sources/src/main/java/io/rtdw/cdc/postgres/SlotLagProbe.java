package io.rtdw.cdc.postgres;

import io.rtdw.cdc.CdcConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Polls how far the replication slot trails the server's WAL ({@code pg_current_wal_lsn() - confirmed_flush_lsn},
 * bytes). A growing value means PostgreSQL keeps WAL for us: capture is stuck or offsets are not committed.
 */
public final class SlotLagProbe implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SlotLagProbe.class);

    private final CdcConfig config;
    private final ScheduledExecutorService timer;
    private volatile long lagBytes = -1;
    private Connection connection;

    public SlotLagProbe(final CdcConfig config, final long periodMs) {
        this.config = config;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread t = new Thread(r, "slot-lag-probe");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::probe, 0, periodMs, TimeUnit.MILLISECONDS);
    }

    /** Last measured lag in bytes; -1 when unknown (no slot yet, or the database is unreachable). */
    public long lagBytes() {
        return lagBytes;
    }

    private void probe() {
        try {
            if (connection == null || !connection.isValid(5)) {
                closeConnection();
                connection = PostgresPreflight.connect(config);
            }
            try (PreparedStatement st = connection.prepareStatement("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), "
                    + "confirmed_flush_lsn)::bigint FROM pg_replication_slots WHERE slot_name = ?")) {
                st.setString(1, config.pgSlot());
                try (ResultSet rs = st.executeQuery()) {
                    lagBytes = rs.next() && rs.getObject(1) != null ? rs.getLong(1) : -1;
                }
            }
        } catch (final SQLException | RuntimeException e) {
            lagBytes = -1;
            LOG.debug("slot lag probe failed: {}", e.getMessage());
            closeConnection();
        }
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (final SQLException ignored) {
                // the connection is being thrown away
            }
            connection = null;
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        closeConnection();
    }
}
