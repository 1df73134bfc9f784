package io.rtdw.cdc.it;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.cdc.CdcConfig;
import io.rtdw.cdc.postgres.PostgresPreflight;
import io.rtdw.cdc.postgres.PostgresPreflight.MisconfigurationException;
import io.rtdw.schemas.CustomerChange;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.FlightChange;
import io.rtdw.schemas.FlightKey;
import io.rtdw.schemas.SourceInfo;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.testing.ChildJvm;
import io.rtdw.testing.KafkaClusterExtension;
import io.rtdw.testing.RegistryServer;
import io.rtdw.testing.TopicReader;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The capture as the least-privilege role of {@code sql/003_cdc_role.sql}: an administrator (the embedded server's
 * superuser) applies the module's SQL, then the real CDC process, logged in as {@code rtdw_cdc}, snapshots and
 * streams inserts, updates and deletes, and the topics end equal to the source tables. The role reads no other
 * table and may change none; roles lacking REPLICATION or a SELECT are refused by the preflight with the GRANT to run.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PostgresLeastPrivilegeIT {

    @RegisterExtension
    static final KafkaClusterExtension KAFKA = new KafkaClusterExtension();

    private static final TopicCatalog CATALOG = new TopicCatalog("lp", "public", "rtdw", 3, (short) 3);
    private static final RegistrySerdes SERDES = RegistryServer.shared().serdes();
    private static final String PASSWORD = "rtdw-cdc-test-only";

    private static EmbeddedPostgres pg;
    private static Connection admin;
    private static ChildJvm child;

    @BeforeAll
    static void start() throws Exception {
        pg = EmbeddedPostgres.builder().setServerConfig("wal_level", "logical")
                .setServerConfig("max_wal_senders", "4").setServerConfig("max_replication_slots", "4").start();
        admin = pg.getPostgresDatabase().getConnection();
        // The admin step, as the DBA runs it; the role script twice: it is idempotent.
        final List<String> scripts = new ArrayList<>(PostgresPreflight.INIT_SCRIPTS);
        scripts.add(PostgresPreflight.ROLE_SCRIPT);
        scripts.add(PostgresPreflight.ROLE_SCRIPT);
        PostgresPreflight.applyScripts(admin, scripts);
        exec("ALTER ROLE rtdw_cdc PASSWORD '" + PASSWORD + "'");
        exec("CREATE TABLE public.secrets (id int PRIMARY KEY, payload text)");
        exec("INSERT INTO public.secrets VALUES (1, 'not for the capture')");
        // A role with the grants but no REPLICATION, and one with REPLICATION but no SELECT on flight.
        exec("CREATE ROLE rtdw_norepl LOGIN PASSWORD '" + PASSWORD + "'");
        exec("GRANT USAGE ON SCHEMA public TO rtdw_norepl");
        exec("GRANT SELECT ON public.customers, public.flight TO rtdw_norepl");
        exec("CREATE ROLE rtdw_noflight LOGIN REPLICATION PASSWORD '" + PASSWORD + "'");
        exec("GRANT USAGE ON SCHEMA public TO rtdw_noflight");
        exec("GRANT SELECT ON public.customers TO rtdw_noflight");
        for (int i = 1; i <= 10; i++) {
            exec("INSERT INTO customers (nome, email, telefone, nascimento) VALUES ('n" + i + "', 'c" + i
                    + "@example.org', '+55 11 9000-000" + i + "', DATE '1980-01-01' + " + i + ")");
        }
        for (int i = 1; i <= 15; i++) {
            exec("INSERT INTO flight (customer_id, cod_iata) VALUES (" + (i % 10 + 1) + ", 'f" + i + "')");
        }
        KAFKA.cluster().createTopics(List.of(CATALOG.customers(), CATALOG.flights(), CATALOG.cdcDeadLetters(),
                CATALOG.cdcOffsets()));
    }

    @AfterAll
    static void stop() throws Exception {
        if (child != null) {
            child.close();
        }
        if (admin != null) {
            admin.close();
        }
        if (pg != null) {
            pg.close();
        }
    }

    private static void exec(final String sql) throws SQLException {
        try (Statement st = admin.createStatement()) {
            st.execute(sql);
        }
    }

    private static Map<String, String> env(final String user) {
        final Map<String, String> env = CaptureEnv.postgres(KAFKA.cluster().bootstrapServers(), pg.getPort(),
                "postgres", CATALOG, ChildJvm.freePort());
        env.put(CdcConfig.PG_USER.name(), user);
        env.put(CdcConfig.PG_PASSWORD.name(), PASSWORD);
        env.put(CdcConfig.MAX_RETRIES.name(), "1");
        env.put(CdcConfig.RETRY_BACKOFF_MS.name(), "200");
        return env;
    }

    private static String preflightFailure(final String user) {
        return assertThrows(MisconfigurationException.class,
                () -> PostgresPreflight.check(CdcConfig.fromEnv(env(user)))).getMessage();
    }

    private static Connection as(final String user) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://localhost:" + pg.getPort() + "/postgres", user,
                PASSWORD);
    }

    private static String sqlState(final Connection c, final String sql) {
        return assertThrows(SQLException.class, () -> {
            try (Statement st = c.createStatement()) {
                st.execute(sql);
            }
        }, sql).getSQLState();
    }

    @Test
    @Order(1)
    void theRoleReadsTheCapturedTablesAndNothingElseAndChangesNothing() throws Exception {
        try (Connection c = as("rtdw_cdc"); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM customers")) {
            assertTrue(rs.next());
            assertEquals(10, rs.getInt(1));
            assertEquals("42501", sqlState(c, "SELECT * FROM public.secrets"), "no SELECT on another table");
            assertEquals("42501", sqlState(c, "UPDATE public.customers SET nome = 'x'"), "no UPDATE");
            assertEquals("42501", sqlState(c, "ALTER TABLE public.flight REPLICA IDENTITY DEFAULT"), "not the owner");
            assertEquals("42501", sqlState(c, "CREATE TABLE public.mine (id int)"), "no CREATE on the schema");
            assertEquals("42501", sqlState(c, "CREATE PUBLICATION mine FOR TABLE public.customers"),
                    "no CREATE publication (not the tables' owner)");
        }
        try (Statement st = admin.createStatement();
             ResultSet rs = st.executeQuery("SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolcanlogin "
                     + "FROM pg_roles WHERE rolname = 'rtdw_cdc'")) {
            assertTrue(rs.next());
            assertEquals(List.of(false, false, false, true, true), List.of(rs.getBoolean(1), rs.getBoolean(2),
                    rs.getBoolean(3), rs.getBoolean(4), rs.getBoolean(5)));
        }
    }

    /**
     * What grants cannot limit (README, "Least privilege"): REPLICATION lets the role decode every table's changes
     * through a slot of its own, SELECT or not. Asserted so that the README's warning stays true.
     */
    @Test
    @Order(2)
    void replicationStillDecodesEveryTableOfTheDatabase() throws Exception {
        try (Connection c = as("rtdw_cdc"); Statement st = c.createStatement()) {
            st.execute("SELECT pg_create_logical_replication_slot('lp_probe', 'test_decoding')");
            exec("INSERT INTO public.secrets VALUES (2, 'decoded anyway')");
            // The embedded server commits asynchronously: decoding sees the insert once its WAL is flushed.
            final StringBuilder changes = new StringBuilder();
            final long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!changes.toString().contains("decoded anyway") && System.nanoTime() < deadline) {
                try (ResultSet rs = st.executeQuery("SELECT data FROM pg_logical_slot_get_changes('lp_probe', NULL, "
                        + "NULL)")) {
                    while (rs.next()) {
                        changes.append(rs.getString(1)).append('\n');
                    }
                }
                Thread.sleep(100);
            }
            st.execute("SELECT pg_drop_replication_slot('lp_probe')");
            assertTrue(changes.toString().contains("decoded anyway"), changes::toString);
        }
    }

    @Test
    @Order(3)
    void preflightNamesExactlyWhatARoleLacks() throws Exception {
        final String noRepl = preflightFailure("rtdw_norepl");
        assertTrue(noRepl.contains("'rtdw_norepl' lacks") && noRepl.contains("ALTER ROLE rtdw_norepl WITH REPLICATION")
                && noRepl.contains("sql/003_cdc_role.sql"), noRepl);
        assertFalse(noRepl.contains("GRANT SELECT"), noRepl);
        final String noFlight = preflightFailure("rtdw_noflight");
        assertTrue(noFlight.contains("GRANT SELECT ON public.flight TO rtdw_noflight"), noFlight);
        assertFalse(noFlight.contains("REPLICATION:") || noFlight.contains("public.customers TO"), noFlight);
        exec("REVOKE CONNECT ON DATABASE postgres FROM PUBLIC");
        try {
            final String noConnect = preflightFailure("rtdw_norepl");
            assertTrue(noConnect.contains("may not connect to database 'postgres'")
                    && noConnect.contains("GRANT CONNECT ON DATABASE postgres TO rtdw_norepl"), noConnect);
            PostgresPreflight.check(CdcConfig.fromEnv(env("rtdw_cdc"))); // 003 granted CONNECT to rtdw_cdc itself
        } finally {
            exec("GRANT CONNECT ON DATABASE postgres TO PUBLIC");
        }
    }

    @Test
    @Order(4)
    void theCaptureWithoutReplicationExitsWithThePreflightMessage() {
        try (ChildJvm c = ChildJvm.java("lp-norepl", "io.rtdw.cdc.CdcMain").heapMb(256)
                .jvmArgs("-XX:+UseSerialGC").env(env("rtdw_norepl"))
                .freshLog(Path.of("target", "child-logs", "lp-norepl.log")).start()) {
            final Integer status = c.awaitExit(120);
            assertNotNull(status, c::logText);
            assertTrue(status != 0, c::logText);
            assertTrue(c.logText().contains("ALTER ROLE rtdw_norepl WITH REPLICATION"), c::logText);
        }
    }

    @Test
    @Order(5)
    void theCaptureAsRtdwCdcSnapshotsAndStreamsToTheSourceState() throws Exception {
        child = ChildJvm.java("lp-capture", "io.rtdw.cdc.CdcMain").heapMb(384).jvmArgs("-XX:+UseSerialGC")
                .env(env("rtdw_cdc")).freshLog(Path.of("target", "child-logs", "lp-capture.log")).start();
        try (TopicReader<CustomerKey, CustomerChange> customers = new TopicReader<>(KAFKA.cluster().bootstrapServers(),
                CATALOG.customers(), SERDES.valueSerde(CATALOG.customers()).deserializer());
             TopicReader<FlightKey, FlightChange> flights = new TopicReader<>(KAFKA.cluster().bootstrapServers(),
                     CATALOG.flights(), SERDES.valueSerde(CATALOG.flights()).deserializer())) {
            customers.readUntil(rs -> rs.size() >= 10, Duration.ofSeconds(120));
            // Streaming: inserts, updates (a flight moves), deletes, each its own transaction.
            exec("INSERT INTO customers (id, nome, email) VALUES (100, 'new', 'new@example.org')");
            exec("UPDATE customers SET email = 'changed@example.org', telefone = NULL WHERE id = 3");
            exec("DELETE FROM customers WHERE id = 4");
            exec("INSERT INTO flight (id, customer_id, cod_iata) VALUES (200, 100, 'n1')");
            exec("UPDATE flight SET customer_id = 7, cod_iata = 'moved' WHERE id = 2");
            exec("DELETE FROM flight WHERE id = 5");
            exec("UPDATE customers SET nome = 'last' WHERE id = 100");
            final Map<Integer, String> sourceCustomers = source("SELECT id, nome, email, telefone, nascimento "
                    + "FROM customers");
            final Map<Integer, String> sourceFlights = source("SELECT id, customer_id, cod_iata FROM flight");
            final List<ConsumerRecord<CustomerKey, CustomerChange>> c = customers.readUntil(
                    rs -> customerState(rs).equals(sourceCustomers), Duration.ofSeconds(90));
            final List<ConsumerRecord<FlightKey, FlightChange>> f = flights.readUntil(
                    rs -> flightState(rs).equals(sourceFlights), Duration.ofSeconds(60));
            assertEquals(sourceCustomers, customerState(c), () -> "customers topic vs source; child log:\n"
                    + child.logText());
            assertEquals(sourceFlights, flightState(f), () -> "flight topic vs source; child log:\n" + child.logText());
            assertEquals(10, c.stream().filter(r -> r.value().getSource().getSnapshot()).map(r -> r.key().getId())
                    .distinct().count(), "the pre-existing customers came from the snapshot");
            assertEquals(15, f.stream().filter(r -> r.value().getSource().getSnapshot()).map(r -> r.key().getId())
                    .distinct().count(), "the pre-existing flights came from the snapshot");
        }
        assertFalse(child.logText().contains("more rights than capture needs"), child::logText);
        try (Statement st = admin.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'rtdw_cdc'")) {
            assertTrue(rs.next());
            assertEquals(1, rs.getInt(1), "rtdw_cdc created its slot with REPLICATION only");
        }
    }

    /** The customers topic folded to the columns {@link #source} reads: id|nome|email|telefone|nascimento. */
    private static Map<Integer, String> customerState(final List<ConsumerRecord<CustomerKey, CustomerChange>> rs) {
        return fold(rs, r -> r.value().getSource(), r -> r.key().getId(), r -> r.value().getAfter() == null ? null
                : r.value().getAfter().getId() + "|" + r.value().getAfter().getNome() + "|"
                + r.value().getAfter().getEmail() + "|" + r.value().getAfter().getTelefone() + "|"
                + r.value().getAfter().getNascimento());
    }

    /** The flight topic folded to id|customer_id|cod_iata. */
    private static Map<Integer, String> flightState(final List<ConsumerRecord<FlightKey, FlightChange>> rs) {
        return fold(rs, r -> r.value().getSource(), r -> r.key().getId(), r -> r.value().getAfter() == null ? null
                : r.value().getAfter().getId() + "|" + r.value().getAfter().getCustomerId() + "|"
                + r.value().getAfter().getCodIata());
    }

    /** The source rows as id -> the columns joined with '|' (nulls as "null"), read as the superuser. */
    private static Map<Integer, String> source(final String sql) throws SQLException {
        final Map<Integer, String> rows = new TreeMap<>();
        try (Statement st = admin.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            final int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                final StringBuilder row = new StringBuilder();
                for (int i = 1; i <= columns; i++) {
                    row.append(i == 1 ? "" : "|").append(rs.getString(i));
                }
                rows.put(rs.getInt(1), row.toString());
            }
        }
        return rows;
    }

    /** The last change of each key in source order (commit, then order in the transaction); deleted keys dropped. */
    private static <R> Map<Integer, String> fold(final List<R> records, final Function<R, SourceInfo> source,
                                                 final Function<R, Integer> key, final Function<R, String> row) {
        final Map<Integer, R> last = new HashMap<>();
        final Comparator<R> order = Comparator.comparing((R r) -> source.apply(r).getCommitSequence())
                .thenComparing(r -> source.apply(r).getChangeOrder());
        for (final R r : records) {
            last.merge(key.apply(r), r, (a, b) -> order.compare(b, a) >= 0 ? b : a);
        }
        final Map<Integer, String> state = new TreeMap<>();
        last.forEach((k, r) -> {
            final String value = row.apply(r);
            if (value != null) {
                state.put(k, value);
            }
        });
        return state;
    }
}
