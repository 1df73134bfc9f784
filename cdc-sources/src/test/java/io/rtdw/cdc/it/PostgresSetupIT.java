package io.rtdw.cdc.it;

import io.rtdw.cdc.CdcConfig;
import io.rtdw.cdc.postgres.PostgresPreflight.MisconfigurationException;
import io.rtdw.cdc.postgres.PostgresPreflight;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Start-up checks against real PostgreSQL servers: each misconfiguration fails with what to fix, and
 * {@code RTDW_PG_INIT_SCHEMA} sets a fresh database up. (The workload generator writing through JDBC is tested in
 * dev-tools, {@code PostgresApplierIT}.)
 */
class PostgresSetupIT {

    private static EmbeddedPostgres logical;
    private static EmbeddedPostgres replica;

    @BeforeAll
    static void start() throws Exception {
        logical = EmbeddedPostgres.builder().setServerConfig("wal_level", "logical").start();
        replica = EmbeddedPostgres.builder().setServerConfig("wal_level", "replica").start();
        try (Connection c = logical.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE empty");
            st.execute("CREATE DATABASE shop");
            st.execute("CREATE DATABASE routed");
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (logical != null) {
            logical.close();
        }
        if (replica != null) {
            replica.close();
        }
    }

    private static CdcConfig config(final EmbeddedPostgres pg, final String db, final String user,
                                    final Map<String, String> extra) {
        final Map<String, String> env = new HashMap<>(Map.of("RTDW_CDC_SOURCES", "postgres", "PG_PORT",
                String.valueOf(pg.getPort()), "PG_DATABASE", db, "PG_USER", user, "PG_PASSWORD", "postgres",
                "RTDW_CDC_MAX_RETRIES", "1", "RTDW_CDC_RETRY_BACKOFF_MS", "100"));
        env.putAll(extra);
        return CdcConfig.fromEnv(env);
    }

    private static String failure(final CdcConfig config) {
        return assertThrows(MisconfigurationException.class, () -> PostgresPreflight.check(config)).getMessage();
    }

    @Test
    void walLevelReplicaIsRejectedWithTheFix() {
        final String message = failure(config(replica, "postgres", "postgres", Map.of()));
        assertTrue(message.contains("wal_level is 'replica'") && message.contains("wal_level = logical"), message);
    }

    @Test
    void anUnknownUserIsRejectedWithTheVariablesToFix() {
        final String message = failure(config(logical, "postgres", "nobody", Map.of()));
        assertTrue(message.contains("rejected user 'nobody'") && message.contains("PG_USER / PG_PASSWORD"), message);
    }

    @Test
    void aMissingDatabaseNamesPgDatabase() {
        assertTrue(failure(config(logical, "nowhere", "postgres", Map.of())).contains("Fix PG_DATABASE"));
    }

    @Test
    void anUnreachableServerIsRetriedThenReported() {
        final String message = failure(config(logical, "postgres", "postgres", Map.of("PG_PORT", "1")));
        assertTrue(message.contains("after 2 attempt(s)") && message.contains("PG_HOST / PG_PORT"), message);
    }

    @Test
    void missingTablesThenMissingReplicaIdentityAreReported() throws Exception {
        assertTrue(failure(config(logical, "empty", "postgres", Map.of())).contains("001_schema.sql"));
        try (Connection c = logical.getDatabase("postgres", "empty").getConnection();
             Statement st = c.createStatement()) {
            st.execute("CREATE TABLE customers (id serial PRIMARY KEY, nome text)");
            st.execute("CREATE TABLE flight (id serial PRIMARY KEY, customer_id int NOT NULL)");
            assertTrue(failure(config(logical, "empty", "postgres", Map.of())).contains("REPLICA IDENTITY FULL"));
            st.execute("ALTER TABLE customers REPLICA IDENTITY FULL");
            st.execute("ALTER TABLE flight REPLICA IDENTITY FULL");
            assertTrue(failure(config(logical, "empty", "postgres", Map.of())).contains("publication 'rtdw_publication'"));
        }
    }

    /** Each flight change goes to its customer's partition: a moved or deleted flight needs its old customer_id. */
    @Test
    void flightWithoutReplicaIdentityFullIsRefusedWithTheStatementThenAccepted() throws Exception {
        PostgresPreflight.check(config(logical, "routed", "postgres", Map.of("RTDW_PG_INIT_SCHEMA", "true")));
        try (Connection c = logical.getDatabase("postgres", "routed").getConnection();
             Statement st = c.createStatement()) {
            st.execute("ALTER TABLE public.flight REPLICA IDENTITY DEFAULT");
            final String message = failure(config(logical, "routed", "postgres", Map.of()));
            assertTrue(message.contains("table public.flight has REPLICA IDENTITY 'd'")
                    && message.contains("ALTER TABLE public.flight REPLICA IDENTITY FULL")
                    && message.contains("old customer's partition"), message);
            st.execute("ALTER TABLE public.flight REPLICA IDENTITY FULL");
            PostgresPreflight.check(config(logical, "routed", "postgres", Map.of()));
        }
    }

    @Test
    void initSchemaSetsEverythingUpAndIsIdempotent() throws Exception {
        PostgresPreflight.check(config(logical, "shop", "postgres", Map.of("RTDW_PG_INIT_SCHEMA", "true")));
        PostgresPreflight.check(config(logical, "shop", "postgres", Map.of("RTDW_PG_INIT_SCHEMA", "true")));
        PostgresPreflight.check(config(logical, "shop", "postgres", Map.of()));
        try (Connection c = logical.getDatabase("postgres", "shop").getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_publication_tables WHERE pubname = 'rtdw_publication'")) {
            assertTrue(rs.next());
            assertEquals(2, rs.getInt(1), "customers and flight are published");
        }
    }
}
