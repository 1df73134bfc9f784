package io.rtdw.cdc.it;

import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.cdc.CdcConfig;
import io.rtdw.cdc.engine.StoredOffsets;
import io.rtdw.cdc.postgres.PostgresCapture;
import io.rtdw.cdc.postgres.PostgresChangeMapper;
import io.rtdw.cdc.postgres.PostgresPreflight;
import io.rtdw.runtime.KafkaClients;
import io.rtdw.runtime.OpsServer;
import io.rtdw.schemas.CustomerChange;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.FlightChange;
import io.rtdw.schemas.FlightKey;
import io.rtdw.schemas.Op;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.testing.ChildJvm;
import io.rtdw.testing.KafkaClusterExtension;
import io.rtdw.testing.RegistryServer;
import io.rtdw.testing.TopicReader;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The edges of the source's history on real PostgreSQL 17 and Debezium, with {@code CdcMain} in a child JVM: a
 * {@code TRUNCATE} of each table, a column type change, a dropped and a renamed column stop the capture with exit 2
 * and a message naming table, column and position (and a restart does not pass them); an added column is ignored and
 * counted; a database restored from an earlier backup is refused at start with both WAL positions, and
 * {@code CdcMain --reset-offsets} lets the next start re-snapshot it.
 *
 * <p>Each scenario has its own database, replication slot and topic prefix (so its own offsets), on one server; the
 * restore has a server of its own, whose data directory it copies and puts back.
 */
class PostgresSourceEdgesIT {

    @RegisterExtension
    static final KafkaClusterExtension KAFKA = new KafkaClusterExtension();

    private static final RegistrySerdes SERDES = RegistryServer.shared().serdes();
    private static final int ROWS = 3;
    private static final Pattern LSN = Pattern.compile("([0-9A-F]+)/([0-9A-F]+)");

    private static EmbeddedPostgres pg;

    @BeforeAll
    static void start() throws IOException {
        pg = logicalServer(EmbeddedPostgres.builder()).start();
    }

    @AfterAll
    static void stop() throws IOException {
        if (pg != null) {
            pg.close();
        }
    }

    private static EmbeddedPostgres.Builder logicalServer(final EmbeddedPostgres.Builder builder) {
        return builder.setServerConfig("wal_level", "logical").setServerConfig("max_wal_senders", "10")
                .setServerConfig("max_replication_slots", "10");
    }

    // ---------------------------------------------------------------- TRUNCATE

    @Test
    void truncateOfCustomersStopsTheCaptureWithItsPositionAndARestartStopsThereAgain() throws Exception {
        try (Source s = Source.onSharedServer("trunc_customers")) {
            s.captureUntilSnapshot();
            final long before = s.walLsn();
            s.exec("TRUNCATE customers");
            final long after = s.walLsn();
            final String log = s.awaitExit(2);
            final long at = lsnAfter(log, "TRUNCATE of public.customers at LSN ");
            assertTrue(before <= at && at <= after, "the truncate's own LSN " + Long.toHexString(at));
            assertTrue(log.contains("exiting with status 2"), log);
            assertTrue(log.contains("'TRUNCATE' in cdc-sources/README.md"), log);
            // Nothing of it was committed: the next start meets the same change.
            s.capture();
            assertEquals(at, lsnAfter(s.awaitExit(2), "TRUNCATE of public.customers at LSN "), "the same change");
        }
    }

    @Test
    void truncateOfFlightStopsTheCapture() throws Exception {
        try (Source s = Source.onSharedServer("trunc_flight")) {
            final String log = stopsOn(s, "TRUNCATE flight");
            assertTrue(log.contains("TRUNCATE of public.flight at LSN "), log);
            assertFalse(log.contains("TRUNCATE of public.customers"), log);
        }
    }

    // ---------------------------------------------------------------- schema drift

    @Test
    void aColumnTypeChangeStopsTheCaptureAndARestartRefusesAtStart() throws Exception {
        try (Source s = Source.onSharedServer("drift_type")) {
            s.captureUntilSnapshot();
            customerDriftStopsForGood(s, "ALTER TABLE customers ALTER COLUMN telefone TYPE int USING 0",
                    "column telefone: the contract has text (Connect STRING), the captured row has INT32",
                    "public.customers.telefone: the contract has text, PostgreSQL has integer");
        }
    }

    @Test
    void flightCustomerIdToBigintStopsTheCapture() throws Exception {
        try (Source s = Source.onSharedServer("drift_bigint")) {
            final String log = stopsOn(s, "ALTER TABLE flight ALTER COLUMN customer_id TYPE bigint",
                    "INSERT INTO flight (customer_id, cod_iata) VALUES (1, 'after-alter')");
            assertTrue(log.contains("schema drift in public.flight at LSN ") && log.contains("column customer_id: the "
                    + "contract has integer (Connect INT32), the captured row has INT64"), log);
        }
    }

    @Test
    void aDroppedColumnStopsTheCaptureInsteadOfBecomingNull() throws Exception {
        try (Source s = Source.onSharedServer("drift_drop")) {
            s.captureUntilSnapshot();
            s.exec("UPDATE customers SET profissao = 'before-drop' WHERE id = 1");
            s.customers.readUntil(rs -> markers(rs).contains("before-drop"), Duration.ofSeconds(60));
            customerDriftStopsForGood(s, "ALTER TABLE customers DROP COLUMN email",
                    "column email (text) is missing: dropped or renamed", "public.customers.email (text) is missing");
            assertTrue(s.customerMarkers().contains("before-drop"), "the row before the drop arrived");
        }
    }

    @Test
    void aRenamedColumnStopsTheCaptureNamingBothNames() throws Exception {
        try (Source s = Source.onSharedServer("drift_rename")) {
            s.captureUntilSnapshot();
            customerDriftStopsForGood(s, "ALTER TABLE customers RENAME COLUMN foto TO photo",
                    "column foto (text) is missing: dropped or renamed; columns not in the contract: photo",
                    "public.customers.foto (text) is missing");
        }
    }

    @Test
    void anAddedColumnIsIgnoredAndCounted() throws Exception {
        try (Source s = Source.onSharedServer("drift_add")) {
            s.captureUntilSnapshot();
            s.exec("ALTER TABLE customers ADD COLUMN vip boolean");
            s.exec("UPDATE customers SET profissao = 'after-add', vip = true WHERE id = 3");
            s.customers.readUntil(rs -> markers(rs).contains("after-add"), Duration.ofSeconds(60));
            assertTrue(markers(s.customers.records()).contains("after-add"), () -> s.child.tail(40));
            final String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                    "http://localhost:" + s.httpPort + "/metrics")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(metrics.contains("rtdw_cdc_schema_ignored_columns{table=\"customers\"} 1.0"), metrics);
            assertTrue(s.child.isAlive(), "capture continues");
            final long stored = s.awaitStoredLsnAbove(0);
            final ChildJvm reset = s.child("reset", "--reset-offsets");
            assertEquals(2, reset.awaitExit(120), reset::logText);
            assertTrue(reset.logText().contains("the replication slot slot_drift_add is in use"), reset::logText);
            assertTrue(stored > 0 && s.storedLsn() >= stored, "offsets untouched");
        }
    }

    // ---------------------------------------------------------------- restore

    @Test
    void aDatabaseRestoredFromAnEarlierBackupIsRefusedThenResetOffsetsReSnapshotsIt() throws Exception {
        final Path base = Files.createDirectories(Path.of("target", "restore-it")).toAbsolutePath();
        final Path data = base.resolve("data");
        final Path backup = base.resolve("backup");
        deleteTree(data);
        deleteTree(backup);
        final int port = ChildJvm.freePort();
        final EmbeddedPostgres.Builder server = logicalServer(EmbeddedPostgres.builder()).setDataDirectory(data)
                .setCleanDataDirectory(false).setPort(port);
        EmbeddedPostgres restoreServer = server.start();
        try (Source s = new Source("restore", port, "postgres")) {
            final long atBackup = s.walLsn();
            restoreServer.close(); // a clean stop: the backup is the data directory as the server left it
            copyTree(data, backup);
            restoreServer = server.start();
            s.exec("UPDATE customers SET profissao = 'p1'"); // lost with the restore, like everything after it
            s.captureUntilSnapshot();
            for (int i = 0; i < 99; i++) {
                s.exec("UPDATE customers SET profissao = 'u" + i + "' WHERE id = " + (1 + i % ROWS));
            }
            final long beforeLast = s.walLsn();
            s.exec("UPDATE customers SET profissao = 'u99' WHERE id = 1");
            s.customers.readUntil(rs -> markers(rs).contains("u99"), Duration.ofSeconds(60));
            // Acknowledged offsets are committed: wait until they pass the last update.
            s.awaitStoredLsnAbove(beforeLast);
            assertEquals(143, s.child.stop(60), () -> s.child.tail(40));
            final long stored = s.storedLsn(); // final: a graceful stop commits once more

            restoreServer.close();
            deleteTree(data);
            copyTree(backup, data);
            restoreServer = server.start();
            final long restored = s.walLsn();
            assertTrue(restored >= atBackup && restored < stored, "the restored server is behind: "
                    + PostgresChangeMapper.formatLsn(restored));
            assertEquals(stored, s.storedLsn(), "nothing wrote offsets since the capture stopped");

            s.capture();
            final String log = s.awaitExit(2);
            assertTrue(log.contains(", behind the capture's stored offsets at " + PostgresChangeMapper.formatLsn(stored)
                    + " (engine rtdw-cdc-postgres in topic " + s.catalog.cdcOffsets().name() + ")"), log);
            final long refusedAt = lsnAfter(log, "is at WAL position ");
            assertTrue(refusedAt >= restored && refusedAt < stored, log);
            assertTrue(log.contains("RTDW_CDC_EPOCH") && log.contains("--reset-offsets"), log);

            final ChildJvm reset = s.child("reset", "--reset-offsets");
            assertEquals(0, reset.awaitExit(120), reset::logText);
            assertTrue(reset.logText().contains("rtdw-cdc-postgres: removed the offsets of [\"rtdw-cdc-postgres\","
                    + "{\"server\":\"" + s.catalog.prefix() + "\"}]"), reset::logText);
            assertEquals(-1, s.storedLsn(), "no stored offsets left");

            // The next start re-snapshots the restored state: the rows as they were at the backup.
            s.captureUntilSnapshot();
            final Map<String, Long> snapshots = s.customers.records().stream().filter(r -> r.value().getOp() == Op.READ)
                    .collect(Collectors.groupingBy(r -> r.value().getAfter().getProfissao(), Collectors.counting()));
            assertEquals(Map.of("p1", (long) ROWS, "p0", (long) ROWS), snapshots,
                    "first snapshot before the restore (p1), then the restored rows (p0)");
            assertTrue(s.child.isAlive(), s.child::logText);
        } finally {
            restoreServer.close();
        }
    }

    @Test
    void anotherClusterAtTheSameAddressIsRefusedByItsSystemIdentifier() throws Exception {
        final Path base = Files.createDirectories(Path.of("target", "replace-it")).toAbsolutePath();
        deleteTree(base.resolve("a"));
        deleteTree(base.resolve("b"));
        final int port = ChildJvm.freePort();
        EmbeddedPostgres server = logicalServer(EmbeddedPostgres.builder()).setDataDirectory(base.resolve("a"))
                .setCleanDataDirectory(false).setPort(port).start();
        try (Source s = new Source("replaced", port, "postgres")) {
            final String first = s.systemIdentifier();
            s.captureUntilSnapshot();
            final long stored = s.awaitStoredLsnAbove(0);
            assertEquals(143, s.child.stop(60), () -> s.child.tail(40));
            server.close();
            // Another cluster (its own initdb) at the same address, with the same tables and rows, and a WAL that is
            // already past the stored position: only the identifier tells them apart.
            server = logicalServer(EmbeddedPostgres.builder()).setDataDirectory(base.resolve("b"))
                    .setCleanDataDirectory(false).setPort(port).start();
            s.fill();
            final String second = s.systemIdentifier();
            assertFalse(first.equals(second), "two clusters, two identifiers");
            for (int i = 0; i < 5 && s.walLsn() <= stored; i++) {
                s.exec("UPDATE customers SET profissao = 'p0'");
                s.exec("SELECT pg_switch_wal()");
            }
            assertTrue(s.walLsn() > stored, "the new cluster's WAL is past the stored position");

            s.capture();
            final String log = s.awaitExit(2);
            assertTrue(log.contains("is another database cluster than the one the capture's stored offsets come "
                    + "from: system identifier " + second + ", recorded " + first), log);
            final ChildJvm reset = s.child("reset", "--reset-offsets");
            assertEquals(0, reset.awaitExit(120), reset::logText);
            assertTrue(reset.logText().contains("rtdw-cdc-postgres-source: removed"), reset::logText);
            s.captureUntilSnapshot(); // the new cluster's identifier is recorded, its rows snapshotted
            assertTrue(s.child.isAlive(), s.child::logText);
        } finally {
            server.close();
        }
    }

    // ---------------------------------------------------------------- helpers

    /** Captures up to the snapshot, runs {@code sql}, waits for the capture to exit 2; its log. */
    private static String stopsOn(final Source s, final String... sql) throws SQLException {
        s.captureUntilSnapshot();
        for (final String statement : sql) {
            s.exec(statement);
        }
        return s.awaitExit(2);
    }

    /**
     * Runs {@code ddl} on the customers table and updates a row: the capture exits 2 naming {@code halt}, the row is
     * not in the topic, and a restart refuses at start naming {@code atStart}.
     */
    private static void customerDriftStopsForGood(final Source s, final String ddl, final String halt,
                                                  final String atStart) throws Exception {
        s.exec(ddl);
        s.exec("UPDATE customers SET profissao = 'after-drift' WHERE id = 1");
        final String log = s.awaitExit(2);
        assertTrue(log.contains("schema drift in public.customers at LSN ") && log.contains(halt), log);
        assertFalse(s.customerMarkers().contains("after-drift"), "the drifted row is not in the topic");
        restartRefuses(s, atStart);
    }

    /** Starts the capture again: it must exit 2 at start with {@code expected} in its log. */
    private static void restartRefuses(final Source s, final String expected) {
        s.capture();
        final String log = s.awaitExit(2);
        assertTrue(log.contains("cannot start") && log.contains(expected), log);
    }

    /** One capture's world: a database with the contract's tables and a few rows, its slot, its topics. */
    private static final class Source implements AutoCloseable {
        final String name;
        final int port;
        final String database;
        final TopicCatalog catalog;
        final int httpPort = ChildJvm.freePort();
        final TopicReader<CustomerKey, CustomerChange> customers;
        final TopicReader<FlightKey, FlightChange> flights;
        final List<ChildJvm> children = new ArrayList<>();
        ChildJvm child;
        int runs;
        int snapshots;

        Source(final String name, final int port, final String database) throws SQLException {
            this.name = name;
            this.port = port;
            this.database = database;
            this.catalog = new TopicCatalog(name.replace('_', '-'), "public", "rtdw", 2, (short) 3);
            fill();
            final CaptureTopics topics = new CaptureTopics(KAFKA.cluster(), catalog, SERDES);
            customers = topics.customers;
            flights = topics.flights;
        }

        /** The contract's tables with {@link #ROWS} customers and flights. */
        void fill() throws SQLException {
            try (Connection c = connect()) {
                PostgresPreflight.applyInitScripts(c);
            }
            for (int i = 1; i <= ROWS; i++) {
                exec("INSERT INTO customers (nome, profissao) VALUES ('c" + i + "', 'p0')");
                exec("INSERT INTO flight (customer_id, cod_iata) VALUES (" + i + ", 'f" + i + "')");
            }
        }

        String systemIdentifier() throws SQLException {
            try (Connection c = connect(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT system_identifier::text FROM pg_control_system()")) {
                rs.next();
                return rs.getString(1);
            }
        }

        /** A database of its own on the shared server. */
        static Source onSharedServer(final String name) throws SQLException {
            try (Connection c = pg.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
                st.execute("CREATE DATABASE " + name);
            }
            return new Source(name, pg.getPort(), name);
        }

        Connection connect() throws SQLException {
            return DriverManager.getConnection("jdbc:postgresql://localhost:" + port + "/" + database, "postgres",
                    "postgres");
        }

        void exec(final String sql) throws SQLException {
            try (Connection c = connect(); Statement st = c.createStatement()) {
                st.execute(sql);
            }
        }

        long walLsn() throws SQLException {
            try (Connection c = connect(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint")) {
                rs.next();
                return rs.getLong(1);
            }
        }

        Map<String, String> env() {
            final Map<String, String> env = CaptureEnv.postgres(KAFKA.cluster().bootstrapServers(), port, database,
                    catalog, httpPort);
            env.put(CdcConfig.PG_SLOT.name(), "slot_" + name);
            env.put(CdcConfig.MAX_RETRIES.name(), "1");
            env.put(CdcConfig.RETRY_BACKOFF_MS.name(), "200");
            env.put(CdcConfig.OFFSET_FLUSH_MS.name(), "200");
            return env;
        }

        ChildJvm child(final String run, final String... args) {
            final String id = name + "-" + run;
            final ChildJvm c = ChildJvm.java(id, "io.rtdw.cdc.CdcMain").heapMb(384).quickStart().env(env()).args(args)
                    .freshLog(Path.of("target", "child-logs", id + ".log")).start();
            children.add(c);
            return c;
        }

        void capture() {
            child = child("capture-" + ++runs);
        }

        /** Starts the capture and waits for its snapshot of the {@link #ROWS} rows (one more snapshot each call). */
        void captureUntilSnapshot() {
            capture();
            final int expected = ++snapshots * ROWS;
            customers.readUntil(rs -> reads(rs) >= expected, Duration.ofSeconds(120));
            flights.readUntil(rs -> rs.size() >= expected, Duration.ofSeconds(30));
            assertEquals(expected, reads(customers.records()), () -> "snapshot of " + name + "; log:\n"
                    + child.tail(60));
        }

        /** Waits for the capture to exit; returns its log. */
        String awaitExit(final int expected) {
            final Integer status = child.awaitExit(120);
            assertNotNull(status, () -> child.name() + " still runs; log:\n" + child.tail(60));
            assertEquals(expected, status, child::logText);
            return child.logText();
        }

        /** Every customer {@code profissao} written to the topic, read to the topic's end. */
        List<String> customerMarkers() throws Exception {
            final long end = endOffset(catalog.customers());
            return markers(customers.readUntil(rs -> rs.size() >= end, Duration.ofSeconds(30)));
        }

        /** The newest WAL position in this capture's stored offsets, -1 when none. */
        long storedLsn() {
            return StoredOffsets.read(KafkaClients.of(KAFKA.cluster().bootstrapServers()), catalog.cdcOffsets().name(),
                    PostgresCapture.ENGINE_NAME).values().stream()
                    .flatMap(o -> Stream.of(o.get("lsn"), o.get("lsn_proc"), o.get("lsn_commit")))
                    .filter(Number.class::isInstance).mapToLong(n -> ((Number) n).longValue()).max().orElse(-1);
        }

        /** Waits until the stored offsets pass {@code lsn}; returns their newest position. */
        long awaitStoredLsnAbove(final long lsn) throws InterruptedException {
            final long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (storedLsn() <= lsn && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            final long stored = storedLsn();
            assertTrue(stored > lsn, () -> "offsets not committed past " + PostgresChangeMapper.formatLsn(lsn)
                    + "; log:\n" + child.tail(40));
            return stored;
        }

        @Override
        public void close() throws SQLException {
            children.forEach(ChildJvm::close);
            customers.close();
            flights.close();
            if (!"postgres".equals(database)) {
                try (Connection c = pg.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
                    st.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                            + "WHERE slot_name = 'slot_" + name + "'");
                }
            }
        }
    }

    private static long endOffset(final Topic<?, ?> topic) throws Exception {
        final Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int p = 0; p < topic.partitions(); p++) {
            latest.put(new TopicPartition(topic.name(), p), OffsetSpec.latest());
        }
        return KAFKA.cluster().admin().listOffsets(latest).all().get().values().stream()
                .mapToLong(r -> r.offset()).sum();
    }

    private static int reads(final List<ConsumerRecord<CustomerKey, CustomerChange>> rs) {
        return (int) rs.stream().filter(r -> r.value().getOp() == Op.READ).count();
    }

    private static List<String> markers(final List<ConsumerRecord<CustomerKey, CustomerChange>> rs) {
        return rs.stream().filter(r -> r.value().getAfter() != null).map(r -> r.value().getAfter().getProfissao())
                .collect(Collectors.toList());
    }

    /** The LSN printed right after {@code prefix} in {@code log}. */
    private static long lsnAfter(final String log, final String prefix) {
        final int i = log.indexOf(prefix);
        assertTrue(i >= 0, () -> "no '" + prefix + "' in:\n" + log);
        final Matcher m = LSN.matcher(log.substring(i + prefix.length()));
        assertTrue(m.lookingAt(), () -> "no LSN after '" + prefix + "'");
        return Long.parseLong(m.group(1), 16) << 32 | Long.parseLong(m.group(2), 16);
    }

    private static void copyTree(final Path from, final Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (final Path f : (Iterable<Path>) files::iterator) {
                // Directories too, with their mode: PostgreSQL refuses a data directory others may read.
                Files.copy(f, to.resolve(from.relativize(f).toString()), StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
    }

    private static void deleteTree(final Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (final IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
