package io.rtdw.cdc.postgres;

import io.rtdw.cdc.CdcConfig;
import io.rtdw.cdc.engine.EngineProperties;

import java.util.Properties;

/** Debezium PostgreSQL connector settings for {@code customers} and {@code flight} over {@code pgoutput}. */
public final class PostgresCapture {

    /** Engine name: the key of this capture's offsets in the offsets topic. Changing it restarts from a snapshot. */
    public static final String ENGINE_NAME = "rtdw-cdc-postgres";

    private PostgresCapture() {
    }

    /** Embedded-engine properties. */
    public static Properties properties(final CdcConfig config) {
        final Properties p = EngineProperties.common(config, ENGINE_NAME);
        final String schema = config.catalog().pgSchema();
        p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        p.setProperty("database.hostname", config.pgHost());
        p.setProperty("database.port", String.valueOf(config.pgPort()));
        p.setProperty("database.user", config.pgUser());
        p.setProperty("database.password", config.pgPassword());
        p.setProperty("database.dbname", config.pgDatabase());
        p.setProperty("plugin.name", "pgoutput");
        p.setProperty("slot.name", config.pgSlot());
        p.setProperty("publication.name", config.pgPublication());
        // The publication comes from sql/002_cdc.sql: the CDC user needs no CREATE privilege.
        p.setProperty("publication.autocreate.mode", "disabled");
        p.setProperty("table.include.list", schema + ".customers," + schema + ".flight");
        p.setProperty("time.precision.mode", "adaptive");
        p.setProperty("decimal.handling.mode", "string");
        p.setProperty("slot.drop.on.stop", "false");
        // Debezium skips truncates by default ("t"): they must reach SchemaGuard, which stops the capture on them.
        p.setProperty("skipped.operations", "none");
        // BEGIN/END records around each transaction: the END carries the commit LSN every change of the transaction
        // is stamped with (CaptureConsumer, PostgresChangeMapper.commitOf). They are not produced anywhere.
        p.setProperty("provide.transaction.metadata", "true");
        if (!config.pgHeartbeatQuery().isBlank()) {
            // Writes to a heartbeat table so the slot advances even when only other tables of the database change.
            p.setProperty("heartbeat.action.query", config.pgHeartbeatQuery());
        }
        return p;
    }
}
