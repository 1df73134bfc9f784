package io.rtdw.cdc.it;

import io.rtdw.cdc.CdcConfig;
import io.rtdw.testing.RegistryServer;
import io.rtdw.catalog.CustomerPartitioner;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.cdc.postgres.PostgresPreflight;
import io.rtdw.schemas.CustomerChange;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.DeadLetter;
import io.rtdw.schemas.FlightChange;
import io.rtdw.schemas.FlightKey;
import io.rtdw.schemas.Op;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.testing.ChildJvm;
import io.rtdw.testing.KafkaClusterExtension;
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

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real PostgreSQL (embedded, wal_level=logical), the real 3-broker cluster, and the CDC process in a child JVM:
 * snapshot, ordered streaming, dead letters, kill -9 mid-stream with nothing lost, and exit on a lost database.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PostgresCaptureIT {

    @RegisterExtension
    static final KafkaClusterExtension KAFKA = new KafkaClusterExtension();

    private static final TopicCatalog CATALOG = new TopicCatalog("it", "public", "rtdw", 3, (short) 3);
    private static final RegistrySerdes SERDES = RegistryServer.shared().serdes();
    private static final int PRE_EXISTING_CUSTOMERS = 20;
    private static final int PRE_EXISTING_FLIGHTS = 30;

    private static EmbeddedPostgres pg;
    private static Connection db;
    private static ChildJvm child;
    private static int httpPort;
    private static TopicReader<CustomerKey, CustomerChange> customers;
    private static TopicReader<FlightKey, FlightChange> flights;

    @BeforeAll
    static void start() throws Exception {
        pg = EmbeddedPostgres.builder().setServerConfig("wal_level", "logical")
                .setServerConfig("max_wal_senders", "4").setServerConfig("max_replication_slots", "4").start();
        db = pg.getPostgresDatabase().getConnection();
        PostgresPreflight.applyInitScripts(db);
        for (int i = 1; i <= PRE_EXISTING_CUSTOMERS; i++) {
            exec("INSERT INTO customers (nome, sexo, nascimento, profissao, dt_update) VALUES ('c" + i
                    + "', 'F', DATE '1980-01-01' + " + i + ", 'p0', TIMESTAMP '2024-05-01 10:00:00.123456')");
        }
        for (int i = 1; i <= PRE_EXISTING_FLIGHTS; i++) {
            exec("INSERT INTO flight (customer_id, aeroporto, linha_aerea, cod_iata) VALUES (" + (i % 25 + 1)
                    + ", 'GRU', 'LATAM', 'f" + i + "')");
        }
        KAFKA.cluster().createTopics(List.of(CATALOG.customers(), CATALOG.flights(), CATALOG.cdcDeadLetters(),
                CATALOG.cdcOffsets()));
        httpPort = ChildJvm.freePort();
        child = startCapture("capture-1");
        customers = new TopicReader<>(KAFKA.cluster().bootstrapServers(), CATALOG.customers(),
                SERDES.valueSerde(CATALOG.customers()).deserializer());
        flights = new TopicReader<>(KAFKA.cluster().bootstrapServers(), CATALOG.flights(),
                SERDES.valueSerde(CATALOG.flights()).deserializer());
    }

    @AfterAll
    static void stop() throws Exception {
        if (child != null) {
            child.close();
        }
        if (customers != null) {
            customers.close();
            flights.close();
        }
        if (db != null) {
            db.close();
        }
        if (pg != null) {
            pg.close();
        }
    }

    private static Map<String, String> env() {
        final Map<String, String> env = CaptureEnv.postgres(KAFKA.cluster().bootstrapServers(), pg.getPort(),
                "postgres", CATALOG, httpPort);
        env.put(CdcConfig.MAX_RETRIES.name(), "2");
        env.put(CdcConfig.RETRY_BACKOFF_MS.name(), "500");
        // Commits every 2 s: a kill lands between two commits, so the restart must replay what was produced.
        env.put(CdcConfig.OFFSET_FLUSH_MS.name(), "2000");
        return env;
    }

    /** CdcMain in a child JVM with the test's class path, so it can be killed like kill -9; a log of its own. */
    private static ChildJvm startCapture(final String name) {
        return ChildJvm.java(name, "io.rtdw.cdc.CdcMain").heapMb(384).jvmArgs("-XX:+UseSerialGC").env(env())
                .freshLog(Path.of("target", "child-logs", name + ".log")).start();
    }

    private static void exec(final String sql) throws SQLException {
        try (Statement st = db.createStatement()) {
            st.execute(sql);
        }
    }

    @Test
    @Order(1)
    void snapshotOfPreExistingRowsArrives() {
        final List<ConsumerRecord<CustomerKey, CustomerChange>> c = customers.readUntil(
                rs -> ids(rs, Op.READ).size() >= PRE_EXISTING_CUSTOMERS, Duration.ofSeconds(90));
        final List<ConsumerRecord<FlightKey, FlightChange>> f = flights.readUntil(
                rs -> flightIds(rs, Op.READ).size() >= PRE_EXISTING_FLIGHTS, Duration.ofSeconds(30));
        assertEquals(PRE_EXISTING_CUSTOMERS, ids(c, Op.READ).size(), () -> "snapshot customers; child log:\n"
                + child.logText());
        assertEquals(PRE_EXISTING_FLIGHTS, flightIds(f, Op.READ).size());
        final CustomerChange first = c.stream().filter(r -> r.key().getId() == 1).findFirst().orElseThrow().value();
        assertTrue(first.getSource().getSnapshot());
        assertEquals("c1", first.getAfter().getNome());
        assertEquals(java.time.LocalDate.of(1980, 1, 2), first.getAfter().getNascimento());
        assertEquals(java.time.LocalDateTime.of(2024, 5, 1, 10, 0, 0, 123_456_000), first.getAfter().getDtUpdate());
        assertEquals("postgresql", first.getSource().getConnector());
        assertEquals("public.customers", first.getSource().getTable());
        for (final ConsumerRecord<CustomerKey, CustomerChange> r : c) {
            assertEquals(r.value().getSource().getCommitTsMs(), r.timestamp(), "Kafka timestamp = commit time");
        }
    }

    @Test
    @Order(2)
    void streamedChangesArriveInOrderPerKey() throws Exception {
        for (int v = 1; v <= 5; v++) {
            exec("UPDATE customers SET profissao = 'v" + v + "' WHERE id = 1");
        }
        exec("UPDATE flight SET customer_id = 2 WHERE id = 1");
        exec("UPDATE flight SET customer_id = 3 WHERE id = 1");
        exec("DELETE FROM customers WHERE id = 2");
        exec("INSERT INTO customers (id, nome) VALUES (1000, 'new')");

        // Keys live on different partitions, read in no particular order: wait for every expected change.
        final List<ConsumerRecord<CustomerKey, CustomerChange>> c = customers.readUntil(
                rs -> ids(rs, Op.CREATE).contains(1000) && ids(rs, Op.DELETE).contains(2)
                        && rs.stream().anyMatch(r -> r.key().getId() == 1 && r.value().getAfter() != null
                        && "v5".equals(r.value().getAfter().getProfissao())), Duration.ofSeconds(60));
        // A move is written to both customers' partitions (CustomerPartitioner): wait for every copy of both moves.
        final List<ConsumerRecord<FlightKey, FlightChange>> f = flights.readUntil(
                rs -> movesOfFlight1(rs).size() == 2 && movesOfFlight1(rs).values().stream().allMatch(copies ->
                        copies.size() == CustomerPartitioner.partitions(copies.get(0).value(),
                                CATALOG.flights().partitions()).length), Duration.ofSeconds(30));

        final List<CustomerChange> one = c.stream().filter(r -> r.key().getId() == 1)
                .filter(r -> r.value().getOp() == Op.UPDATE).map(ConsumerRecord::value).toList();
        assertEquals(List.of("v1", "v2", "v3", "v4", "v5"), one.stream().map(x -> x.getAfter().getProfissao()).toList(),
                "updates of one key arrive in commit order");
        assertEquals(List.of("p0", "v1", "v2", "v3", "v4"), one.stream().map(x -> x.getBefore().getProfissao()).toList(),
                "REPLICA IDENTITY FULL: updates carry the old row");
        for (int i = 1; i < one.size(); i++) {
            assertTrue(one.get(i).getSource().getSequence() > one.get(i - 1).getSource().getSequence(),
                    "sequence (LSN) grows with commit order");
        }
        final CustomerChange deleted = c.stream().filter(r -> r.key().getId() == 2 && r.value().getOp() == Op.DELETE)
                .findFirst().orElseThrow().value();
        assertEquals("c2", deleted.getBefore().getNome(), "a delete carries the whole old row");
        assertEquals(null, deleted.getAfter());
        final List<FlightChange> moves = movesOfFlight1(f).values().stream().map(copies -> copies.get(0).value())
                .toList();
        for (final List<ConsumerRecord<FlightKey, FlightChange>> copies : movesOfFlight1(f).values()) {
            final FlightChange move = copies.get(0).value();
            assertEquals(Arrays.stream(CustomerPartitioner.partitions(move, CATALOG.flights().partitions())).boxed()
                            .collect(Collectors.toSet()), copies.stream().map(ConsumerRecord::partition)
                            .collect(Collectors.toSet()), "in the old and the new customer's partitions");
            assertTrue(copies.stream().allMatch(r -> r.value().equals(move)), "the same record in each");
        }
        assertEquals(List.of(2, 3), moves.stream().map(x -> x.getAfter().getCustomerId()).toList());
        assertEquals(2, moves.get(1).getBefore().getCustomerId(), "the old owner of a moved flight is known");
        assertTrue(moves.get(0).getSource().getPosition().matches("[0-9A-F]+/[0-9A-F]+"), "LSN spelled as PostgreSQL does");
        assertNotNull(moves.get(0).getSource().getTxId());

        final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        final HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + httpPort
                + "/metrics")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(metrics.body().contains("rtdw_cdc_changes_total{source=\"postgres\",topic=\"it.public.customers\"}"),
                metrics.body());
        assertTrue(metrics.body().contains("rtdw_cdc_pg_slot_lag_bytes"), metrics.body());
        final HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + httpPort
                + "/health/ready")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ready.statusCode());
    }

    @Test
    @Order(3)
    void unmappableRowGoesToDeadLetterAndCaptureContinues() throws Exception {
        // Schema drift in the source: customer_id loses NOT NULL, and a row without owner appears.
        exec("ALTER TABLE flight ALTER COLUMN customer_id DROP NOT NULL");
        exec("INSERT INTO flight (id, customer_id, cod_iata) VALUES (5000, NULL, 'bad')");
        exec("INSERT INTO flight (id, customer_id, cod_iata) VALUES (5001, 7, 'good')");
        final List<ConsumerRecord<FlightKey, FlightChange>> f = flights.readUntil(
                rs -> flightIds(rs, Op.CREATE).contains(5001), Duration.ofSeconds(60));
        assertTrue(flightIds(f, Op.CREATE).contains(5001), "capture continues after a bad row");
        assertTrue(!flightIds(f, Op.CREATE).contains(5000), "the bad row is not in the data topic");
        try (TopicReader<byte[], DeadLetter> dlq = new TopicReader<>(KAFKA.cluster().bootstrapServers(),
                CATALOG.cdcDeadLetters(), SERDES.value(DeadLetter.class).deserializer())) {
            final List<ConsumerRecord<byte[], DeadLetter>> letters = dlq.readUntil(rs -> !rs.isEmpty(),
                    Duration.ofSeconds(30));
            assertEquals(1, letters.size());
            final DeadLetter letter = letters.get(0).value();
            assertTrue(letter.getReason().contains("customer_id"), letter.getReason());
            assertEquals("cdc-postgres", letter.getStage());
            assertTrue(letter.getSourcePosition().matches("[0-9A-F]+/[0-9A-F]+"), letter.getSourcePosition());
            assertTrue(new String(letter.getOriginalValue().array()).contains("\"bad\""), "the row is kept, readable");
        }
        exec("DELETE FROM flight WHERE id = 5000");
        exec("ALTER TABLE flight ALTER COLUMN customer_id SET NOT NULL");
    }

    @Test
    @Order(4)
    void killMidStreamThenRestartLosesNoChange() throws Exception {
        final int changes = 300;
        final Set<String> expected = java.util.concurrent.ConcurrentHashMap.newKeySet();
        final AtomicInteger done = new AtomicInteger();
        final Thread writer = new Thread(() -> {
            try (Connection w = pg.getPostgresDatabase().getConnection(); Statement st = w.createStatement()) {
                for (int i = 0; i < changes; i++) {
                    final String marker = "k" + i;
                    switch (i % 3) {
                        case 0 -> {
                            st.execute("UPDATE customers SET profissao = '" + marker + "' WHERE id = " + (3 + i % 15));
                            expected.add("customers:U:" + marker);
                        }
                        case 1 -> {
                            st.execute("INSERT INTO flight (customer_id, cod_iata) VALUES (" + (i % 40) + ", '"
                                    + marker + "')");
                            expected.add("flight:C:" + marker);
                        }
                        default -> {
                            st.execute("UPDATE flight SET cod_iata = '" + marker + "', customer_id = " + (i % 17)
                                    + " WHERE id = " + (2 + i % 25));
                            expected.add("flight:U:" + marker);
                        }
                    }
                    done.incrementAndGet();
                    Thread.sleep(10);
                }
            } catch (final Exception e) {
                throw new IllegalStateException(e);
            }
        }, "writer");
        writer.start();
        while (done.get() < changes / 3) {
            Thread.sleep(20);
        }
        child.kill(); // SIGKILL mid-stream: no shutdown hook, no offset flush
        final int atKill = done.get();
        Thread.sleep(1000);
        child = startCapture("capture-2");
        writer.join(120_000);
        assertEquals(changes, done.get(), "writer finished");

        final List<ConsumerRecord<CustomerKey, CustomerChange>> c = customers.readUntil(
                rs -> markers(rs, List.of()).containsAll(only(expected, "customers")), Duration.ofSeconds(120));
        final List<ConsumerRecord<FlightKey, FlightChange>> f = flights.readUntil(
                rs -> markers(List.of(), rs).containsAll(only(expected, "flight")), Duration.ofSeconds(60));
        final Set<String> seen = markers(c, f);
        final Set<String> missing = new HashSet<>(expected);
        missing.removeAll(seen);
        assertTrue(missing.isEmpty(), () -> "killed after " + atKill + " changes; missing " + missing.size() + ": "
                + missing.stream().sorted().limit(20).toList() + "\nsecond child log:\n" + child.logText());
        final long copies = c.stream().filter(r -> r.value().getOp() == Op.UPDATE
                && r.value().getAfter().getProfissao().startsWith("k")).count()
                + f.stream().filter(r -> r.value().getAfter() != null && r.value().getAfter().getCodIata() != null
                && r.value().getAfter().getCodIata().startsWith("k")).count();
        // Acknowledged offsets flow back to PostgreSQL: the slot's confirmed position passes the newest change.
        final long newest = java.util.stream.Stream.concat(c.stream().map(r -> r.value().getSource().getSequence()),
                f.stream().map(r -> r.value().getSource().getSequence())).max(Long::compare).orElseThrow();
        final long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
        long confirmed = -1;
        while (confirmed < newest && System.nanoTime() < deadline) {
            try (Statement st = db.createStatement();
                 java.sql.ResultSet rs = st.executeQuery("SELECT (confirmed_flush_lsn - '0/0'::pg_lsn)::bigint "
                         + "FROM pg_replication_slots WHERE slot_name = 'rtdw_cdc'")) {
                confirmed = rs.next() ? rs.getLong(1) : -1;
            }
            Thread.sleep(200);
        }
        assertTrue(confirmed >= newest, "slot confirmed " + confirmed + " < newest captured LSN " + newest);
        System.out.printf("kill -9 after %d of %d changes: all %d present, %d records (%d replayed duplicates)%n",
                atKill, changes, expected.size(), copies, copies - expected.size());
    }

    @Test
    @Order(5)
    void lostDatabaseIsRetriedThenTheProcessExitsNonZero() throws Exception {
        assertTrue(child.isAlive(), "capture runs before the database goes away");
        pg.close();
        pg = null;
        final Integer status = child.awaitExit(150);
        assertNotNull(status, () -> "the process should give up after RTDW_CDC_MAX_RETRIES; log:\n" + child.logText());
        assertEquals(1, status, child::logText);
        assertTrue(child.logText().contains("exiting with status 1"), child::logText);
    }

    private static Set<Integer> ids(final List<ConsumerRecord<CustomerKey, CustomerChange>> rs, final Op op) {
        return rs.stream().filter(r -> r.value().getOp() == op).map(r -> r.key().getId()).collect(Collectors.toSet());
    }

    /** The UPDATEs of flight 1 by their LSN (in commit order), each with its copies (one per partition written). */
    private static java.util.SortedMap<Long, List<ConsumerRecord<FlightKey, FlightChange>>> movesOfFlight1(
            final List<ConsumerRecord<FlightKey, FlightChange>> rs) {
        return rs.stream().filter(r -> r.key().getId() == 1 && r.value().getOp() == Op.UPDATE)
                .collect(Collectors.groupingBy(r -> r.value().getSource().getSequence(), java.util.TreeMap::new,
                        Collectors.toList()));
    }

    private static Set<Integer> flightIds(final List<ConsumerRecord<FlightKey, FlightChange>> rs, final Op op) {
        return rs.stream().filter(r -> r.value().getOp() == op).map(r -> r.key().getId()).collect(Collectors.toSet());
    }

    private static Set<String> only(final Set<String> markers, final String table) {
        return markers.stream().filter(m -> m.startsWith(table + ":")).collect(Collectors.toSet());
    }

    private static Set<String> markers(final List<ConsumerRecord<CustomerKey, CustomerChange>> c,
                                       final List<ConsumerRecord<FlightKey, FlightChange>> f) {
        final Set<String> out = new HashSet<>();
        for (final ConsumerRecord<CustomerKey, CustomerChange> r : c) {
            if (r.value().getOp() == Op.UPDATE && r.value().getAfter().getProfissao() != null) {
                out.add("customers:U:" + r.value().getAfter().getProfissao());
            }
        }
        for (final ConsumerRecord<FlightKey, FlightChange> r : f) {
            final String iata = r.value().getAfter() == null ? null : r.value().getAfter().getCodIata();
            if (iata != null && r.value().getOp() != Op.READ) {
                out.add("flight:" + r.value().getOp().name().charAt(0) + ":" + iata);
            }
        }
        return out;
    }
}
