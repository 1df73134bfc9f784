package io.rtdw.cdc;

import io.rtdw.cdc.engine.StoredOffsets;
import io.rtdw.cdc.mongodb.MongoCapture;
import io.rtdw.cdc.postgres.PostgresCapture;
import io.rtdw.cdc.postgres.PostgresPreflight;
import io.rtdw.cdc.postgres.RestoreGuard;
import io.rtdw.runtime.Service;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;

/**
 * {@code CdcMain --reset-offsets}: makes the next start of the capture re-snapshot, for the procedures after a
 * restore, a truncate or schema drift (cdc-sources/README.md). For each source of {@code RTDW_CDC_SOURCES} it removes
 * the engine's stored offsets from the offsets topic; for PostgreSQL it also drops the replication slot, so that the
 * new slot and the snapshot start at one consistent point. It refuses while a capture still uses the slot.
 */
final class ResetOffsets {

    static final String FLAG = "--reset-offsets";

    private ResetOffsets() {
    }

    /** @return the exit status: 0 done, 2 refused (a capture still runs, or PostgreSQL cannot be used) */
    static int run(final CdcConfig config, final PrintStream out, final PrintStream err) {
        if (config.sources().contains(CdcConfig.Source.POSTGRES)) {
            try (Connection c = PostgresPreflight.connect(config)) {
                final Integer activePid = slotPid(c, config.pgSlot());
                if (activePid != null) {
                    err.println("cdc: the replication slot " + config.pgSlot() + " is in use (backend pid "
                            + activePid + "): stop the capture first, then run " + FLAG + " again");
                    return Service.EXIT_CONFIG;
                }
                reset(config, PostgresCapture.ENGINE_NAME, out);
                reset(config, RestoreGuard.IDENTITY, out);
                try (PreparedStatement st = c.prepareStatement("SELECT pg_drop_replication_slot(slot_name) "
                        + "FROM pg_replication_slots WHERE slot_name = ?")) {
                    st.setString(1, config.pgSlot());
                    try (ResultSet rs = st.executeQuery()) {
                        out.println(rs.next() ? "dropped the replication slot " + config.pgSlot()
                                : "no replication slot " + config.pgSlot() + " to drop");
                    }
                }
            } catch (final SQLException e) {
                err.println("cdc: cannot use PostgreSQL at " + config.pgJdbcUrl() + ": " + e.getMessage()
                        + "; nothing was reset unless listed above");
                return Service.EXIT_CONFIG;
            }
        }
        if (config.sources().contains(CdcConfig.Source.MONGODB)) {
            reset(config, MongoCapture.ENGINE_NAME, out);
        }
        out.println("done: the next start of the capture takes a new snapshot");
        return Service.EXIT_OK;
    }

    private static void reset(final CdcConfig config, final String engine, final PrintStream out) {
        final String topic = config.catalog().cdcOffsets().name();
        final Map<String, Map<String, Object>> removed = StoredOffsets.reset(config.kafka(), topic, engine);
        if (removed.isEmpty()) {
            out.println(engine + ": no stored offsets in " + topic);
        }
        removed.forEach((partition, offset) -> out.println(engine + ": removed the offsets of " + partition + " from "
                + topic + " (were " + offset + ")"));
    }

    /** The backend using the slot, {@code null} when the slot is unused or missing. */
    private static Integer slotPid(final Connection c, final String slot) throws SQLException {
        try (PreparedStatement st = c.prepareStatement("SELECT active_pid FROM pg_replication_slots "
                + "WHERE slot_name = ? AND active")) {
            st.setString(1, slot);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() ? rs.getInt(1) : null;
            }
        }
    }
}
