package io.rtdw.cdc.it;

import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.cdc.CdcConfig;
import io.rtdw.cdc.postgres.PostgresPreflight;
import io.rtdw.cdc.postgres.SourceEpoch;
import io.rtdw.position.SourcePosition;
import io.rtdw.schemas.Customer;
import io.rtdw.schemas.CustomerChange;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.DeadLetter;
import io.rtdw.schemas.Flight;
import io.rtdw.schemas.FlightChange;
import io.rtdw.schemas.FlightKey;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.SourceInfo;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.testing.ChildJvm;
import io.rtdw.testing.KafkaClusterExtension;
import io.rtdw.testing.RegistryServer;
import io.rtdw.testing.TopicReader;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Source order on real PostgreSQL 17 and Debezium 3.4.1 (the CDC process in a child JVM, the 3-broker cluster):
 * transactions open across the snapshot (with a slot that exists, and with one the capture creates while a
 * transaction is running), one row changed many times in a transaction, interleaved transactions, kill -9 during the
 * snapshot and during streaming (rows deleted while it is down are gone after the redo), a {@code TRUNCATE} of each
 * table followed by the operator's re-snapshot (the snapshot's reconciliation deletes what it did not see).
 *
 * <p>The oracle is the source itself: every record of the customers and flight topics is folded per key with the
 * app's apply rule ({@link SourcePosition#against}: a change applies unless it is not newer in the same epoch),
 * deletes dropped, and the result must equal {@code SELECT * FROM customers} / {@code flight} (every column). Where
 * the old rule (the largest {@code sequence} wins) loses a change, the test shows it.
 *
 * <p>No sleep hopes for a race: each step waits on a condition PostgreSQL or Kafka reports (a lock the slot
 * creation waits on, the snapshot's rows on the topic, the slot's confirmed position passing the last write).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PostgresCommitOrderIT {

    @RegisterExtension
    static final KafkaClusterExtension KAFKA = new KafkaClusterExtension();

    private static final RegistrySerdes SERDES = RegistryServer.shared().serdes();
    private static final Duration WAIT = Duration.ofSeconds(120);
    /** A customer every database has: {@link Capture#quiesce()} writes it, and negative ids are legal ids. */
    private static final int SENTINEL = -1000;

    private static EmbeddedPostgres pg;
    private static Capture existing;
    private static Capture created;
    private static Capture big;

    @BeforeAll
    static void startPostgres() throws Exception {
        pg = EmbeddedPostgres.builder().setServerConfig("wal_level", "logical")
                .setServerConfig("max_wal_senders", "8").setServerConfig("max_replication_slots", "8").start();
    }

    @AfterAll
    static void stop() throws Exception {
        for (final Capture c : new Capture[] {existing, created, big}) {
            if (c != null) {
                c.close();
            }
        }
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    @Order(1)
    void existingSlotTransactionOpenDuringTheSnapshotIsAppliedAfterIt() throws Exception {
        existing = new Capture("existing", 12, 12);
        final String epoch;
        try (Connection c = existing.connect()) {
            epoch = serverEpoch(c);
        }
        existing.exec("SELECT pg_create_logical_replication_slot('" + existing.slot + "', 'pgoutput')");
        try (Connection t = existing.connect()) {
            t.setAutoCommit(false);
            writeT(t, "committed after the snapshot");
            existing.start();
            // T is open while the snapshot reads.
            commitAfterTheSnapshot(existing, t);
        }
        assertTAppliedOverTheSnapshot(existing);
        assertTrue(existing.topics.customers.records().stream().allMatch(r -> epoch.equals(r.value().getSource().getEpoch())),
                "every change carries the server's epoch " + epoch);
    }

    /** T: updates customer 2 and inserts flight 100 for it. */
    private static void writeT(final Connection t, final String endereco) throws SQLException {
        exec(t, "UPDATE customers SET profissao = 'T', endereco = '" + endereco + "' WHERE id = 2");
        exec(t, "INSERT INTO flight (id, customer_id, cod_iata) VALUES (100, 2, 'T')");
    }

    /** Waits until every pre-existing row arrived as a snapshot read, checks the snapshot missed T, commits T. */
    private static void commitAfterTheSnapshot(final Capture capture, final Connection t) throws SQLException {
        final List<ConsumerRecord<CustomerKey, CustomerChange>> snapshot = capture.awaitSnapshot();
        assertEquals("p0", customerRead(snapshot, 2).getAfter().getProfissao(), "the snapshot does not see T");
        t.commit();
    }

    /**
     * T's change of customer 2 has no higher LSN than the snapshot row but commits after the snapshot's point: the
     * topics fold to the source, and the old rule (largest sequence wins) would have kept the snapshot row.
     */
    private static void assertTAppliedOverTheSnapshot(final Capture capture) throws Exception {
        capture.quiesce();
        final Folded state = capture.assertMatchesSource();
        final CustomerChange streamed = lastChange(state.customerRecords, 2);
        final CustomerChange read = customerRead(state.customerRecords, 2);
        // Not above: with a slot that existed, the snapshot's point is pg_current_wal_lsn(), the WAL write position,
        // which can be exactly where T's unflushed change starts.
        assertTrue(Long.compareUnsigned(streamed.getSource().getSequence(), read.getSource().getSequence()) <= 0,
                "T's change has no higher LSN than the snapshot row: " + streamed.getSource() + " vs "
                        + read.getSource());
        assertTrue(streamed.getSource().getCommitSequence() > read.getSource().getCommitSequence(),
                "but T commits after the snapshot's point");
        capture.assertOldRuleLoses(state, 2);
    }

    @Test
    @Order(2)
    void repeatedAndInterleavedChangesApplyInCommitOrder() throws Exception {
        try (Connection a = existing.connect(); Connection b = existing.connect(); Connection c = existing.connect();
             Connection one = existing.connect()) {
            one.setAutoCommit(false);
            exec(one, "UPDATE customers SET profissao = 'r1' WHERE id = 3");
            exec(one, "UPDATE customers SET profissao = 'r2', email = 'x@y' WHERE id = 3");
            exec(one, "UPDATE customers SET profissao = 'r3' WHERE id = 3");
            exec(one, "INSERT INTO flight (id, customer_id, cod_iata) VALUES (200, 3, 'r')");
            exec(one, "UPDATE flight SET customer_id = 4 WHERE id = 200");
            exec(one, "DELETE FROM customers WHERE id = 5");
            exec(one, "INSERT INTO customers (id, nome) VALUES (5, 're-created in the same transaction')");
            one.commit();

            // Begin order a, b, c; commit order b, a, c; a's first change has a lower LSN than b's.
            a.setAutoCommit(false);
            b.setAutoCommit(false);
            c.setAutoCommit(false);
            exec(a, "UPDATE customers SET profissao = 'A' WHERE id = 6");
            exec(b, "UPDATE customers SET profissao = 'B' WHERE id = 7");
            exec(b, "INSERT INTO flight (id, customer_id, cod_iata) VALUES (201, 7, 'B')");
            exec(c, "DELETE FROM flight WHERE id = 3");
            b.commit();
            exec(a, "UPDATE customers SET profissao = 'A after B' WHERE id = 7");
            exec(a, "UPDATE flight SET customer_id = 6 WHERE id = 201");
            exec(c, "INSERT INTO flight (id, customer_id, cod_iata) VALUES (3, 0, 're-inserted under customer 0')");
            a.commit();
            c.commit();
        }
        // Ids 0 and negative are ids like any other.
        existing.exec("INSERT INTO customers (id, nome) VALUES (0, 'zero'), (-5, 'minus five')");
        existing.exec("INSERT INTO flight (id, customer_id, cod_iata) VALUES (202, -5, 'neg')");
        existing.quiesce();
        final Folded state = existing.assertMatchesSource();

        final List<SourceInfo> three = state.customerRecords.stream()
                .filter(r -> r.key().getId() == 3 && r.value().getOp() == Op.UPDATE)
                .map(r -> r.value().getSource()).toList();
        assertEquals(3, three.stream().map(SourceInfo::getChangeOrder).distinct().count(), three.toString());
        assertEquals(1, three.stream().map(SourceInfo::getCommitSequence).distinct().count(),
                "one transaction, one commit position: " + three);
        final SourceInfo sixA = lastChange(state.customerRecords, 6).getSource();
        final SourceInfo sevenB = state.customerRecords.stream().filter(r -> r.key().getId() == 7
                && r.value().getAfter() != null && "B".equals(r.value().getAfter().getProfissao()))
                .findFirst().orElseThrow().value().getSource();
        assertTrue(sixA.getSequence() < sevenB.getSequence() && sixA.getCommitSequence() > sevenB.getCommitSequence(),
                "a began and changed first but committed after b: " + sixA + " / " + sevenB);
    }

    @Test
    @Order(3)
    void aFlightWhoseCustomerIdBecomesUnreadableLeavesItsCustomerAndIsDeadLettered() throws Exception {
        existing.exec("ALTER TABLE flight ALTER COLUMN customer_id DROP NOT NULL");
        existing.exec("UPDATE flight SET customer_id = NULL WHERE id = 4");
        existing.quiesce();
        // The SQL join has no customer for a NULL customer_id: the flight is in no customer's array.
        final Folded state = existing.assertMatchesSource();
        assertTrue(state.flightRecords.stream().anyMatch(r -> r.key().getId() == 4 && r.value().getOp() == Op.DELETE),
                "the capture retracts the flight");
        try (TopicReader<byte[], DeadLetter> dlq = new TopicReader<>(KAFKA.cluster().bootstrapServers(),
                existing.catalog.cdcDeadLetters(), SERDES.value(DeadLetter.class).deserializer())) {
            final List<ConsumerRecord<byte[], DeadLetter>> letters = dlq.readUntil(rs -> !rs.isEmpty(), WAIT);
            assertTrue(letters.get(0).value().getReason().contains("customer_id"), letters.get(0).value().getReason());
        }
        existing.exec("UPDATE flight SET customer_id = 0 WHERE id = 4");
        existing.exec("ALTER TABLE flight ALTER COLUMN customer_id SET NOT NULL");
        existing.quiesce();
        existing.assertMatchesSource();
    }

    @Test
    @Order(4)
    void killDuringStreamingLosesNothing() throws Exception {
        // Two writers run colliding transactions; each stops halfway at the barrier until the capture was killed, so
        // the kill lands between the two halves whatever the machine's speed, and the second half is written while
        // the capture is down and restarting.
        final AtomicInteger committed = new AtomicInteger();
        final java.util.concurrent.CountDownLatch killed = new java.util.concurrent.CountDownLatch(1);
        final List<Thread> writers = new ArrayList<>();
        final List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int w = 0; w < 2; w++) {
            final int seed = w;
            final Thread writer = new Thread(() -> {
                try {
                    final Random random = new Random(seed);
                    randomTransactions(existing, random, 40, committed);
                    killed.await();
                    randomTransactions(existing, random, 40, committed);
                } catch (final Throwable e) {
                    failures.add(e);
                }
            }, "writer-" + w);
            writers.add(writer);
            writer.start();
        }
        await("both writers are halfway", WAIT, () -> committed.get() >= 80 || !failures.isEmpty());
        final int streamedBefore = existing.topics.customers.readUntil(rs -> false, Duration.ofMillis(500)).size();
        existing.kill();
        killed.countDown();
        existing.start();
        for (final Thread writer : writers) {
            writer.join(TimeUnit.MINUTES.toMillis(3));
        }
        assertTrue(failures.isEmpty(), () -> "writers failed: " + failures);
        assertEquals(160, committed.get());
        existing.quiesce();
        existing.assertMatchesSource();
        System.out.printf("kill -9 during streaming after 80 of 160 transactions (%d customer records on the topic "
                + "then, %d now): source and topics agree%n", streamedBefore, existing.topics.customers.records().size());
    }

    @Test
    @Order(5)
    void createdSlotTransactionBegunBeforeTheConsistentPointIsAppliedAfterTheSnapshot() throws Exception {
        created = new Capture("created", 12, 12);
        created.exec("CREATE TABLE side (x int)");
        try (Connection b1 = created.connect(); Connection b2 = created.connect(); Connection t = created.connect()) {
            b1.setAutoCommit(false);
            b2.setAutoCommit(false);
            t.setAutoCommit(false);
            exec(b1, "INSERT INTO side VALUES (1)");
            created.start();
            // Slot creation waits for every transaction running when it began (b1) ...
            created.awaitWaitingOn(xid(b1));
            exec(b2, "INSERT INTO side VALUES (2)");
            b1.commit();
            // ... then, with its snapshot half built, for those running at that moment (b2).
            created.awaitWaitingOn(xid(b2));
            // T begins now: after slot creation began, before its consistent point. It is not waited for.
            writeT(t, "begun while the slot was built");
            b2.commit();
            commitAfterTheSnapshot(created, t);
        }
        // T's change was written before the slot's consistent point (the snapshot's LSN), its commit after it.
        assertTAppliedOverTheSnapshot(created);
    }

    @Test
    @Order(6)
    void killDuringTheSnapshotThenRestartLosesNothing() throws Exception {
        final int rows = 30_000;
        big = new Capture("big", rows, 200);
        big.start();
        assertTrue(reads(big.topics.customers.readUntil(rs -> reads(rs) >= 1000, WAIT)) >= 1000, "the snapshot is under way");
        big.pause();
        // Frozen: what reaches Kafka now is at most what the process had already written to its sockets.
        final int atKill = reads(big.topics.customers.readUntil(rs -> false, Duration.ofSeconds(2)));
        big.kill();
        assertTrue(atKill < rows, "the kill landed inside the snapshot: " + atKill + " of " + rows + " rows read");
        big.exec("UPDATE customers SET profissao = 'changed while the capture was down' WHERE id % 1000 = 7");
        big.exec("INSERT INTO customers (id, nome) VALUES (" + (rows + 1) + ", 'new while down')");
        big.exec("UPDATE flight SET customer_id = customer_id + 1 WHERE id % 10 = 0");
        // Rows the first snapshot already wrote (ids 3 and 1003 are among its first rows), deleted while no capture
        // runs: the redo has no row for them and streams from its own point, after the delete.
        big.exec("DELETE FROM customers WHERE id % 1000 = 3");
        assertTrue(big.topics.customers.records().stream().anyMatch(r -> r.key().getId() == 3),
                "customer 3 was written by the interrupted snapshot");
        big.start();
        big.quiesce();
        big.assertMatchesSource();
        System.out.printf("kill -9 during the snapshot after %d of %d rows: source and topics agree%n", atKill, rows);
    }

    @Test
    @Order(8)
    void truncateThenTheOperatorsReSnapshotEndsEqualToTheSource() throws Exception {
        try (Capture truncated = new Capture("truncated", 40, 30)) {
            truncated.start();
            truncated.quiesce();
            truncated.assertMatchesSource();

            truncated.exec("TRUNCATE flight");
            assertEquals(2, truncated.awaitExit(), truncated.child::logText);
            truncated.exec("INSERT INTO flight (id, customer_id, cod_iata) VALUES (7, 3, 'after the truncate')");
            truncated.resnapshot();
            truncated.assertMatchesSource();

            truncated.exec("TRUNCATE customers");
            assertEquals(2, truncated.awaitExit(), truncated.child::logText);
            truncated.exec("INSERT INTO customers (id, nome) VALUES (" + SENTINEL + ", 'sentinel'), (5, 'again')");
            truncated.resnapshot();
            final Folded state = truncated.assertMatchesSource();
            assertEquals(java.util.Set.of(SENTINEL, 5), state.customers.keySet());
            assertTrue(truncated.child.logText().contains("snapshot reconciled"), truncated.child::logText);
        }
    }

    @Test
    @Order(7)
    void theEpochIsReadWithIdentifySystemWhereTheControlFunctionsAreRevoked() throws Exception {
        final String epoch;
        try (Connection c = existing.connect()) {
            epoch = serverEpoch(c);
        }
        existing.exec("CREATE ROLE capture LOGIN REPLICATION PASSWORD 'capture'");
        existing.exec("REVOKE EXECUTE ON FUNCTION pg_control_system() FROM PUBLIC"); // in this database only
        final CdcConfig config = CdcConfig.fromEnv(Map.of(CdcConfig.SOURCES.name(), "postgres",
                CdcConfig.PG_PORT.name(), String.valueOf(pg.getPort()), CdcConfig.PG_DATABASE.name(), existing.name,
                CdcConfig.PG_USER.name(), "capture", CdcConfig.PG_PASSWORD.name(), "capture"));
        try (Connection c = PostgresPreflight.connect(config)) {
            assertEquals("42501", assertThrows(SQLException.class, () -> serverEpoch(c)).getSQLState(),
                    "the role may not call pg_control_system() here");
        }
        assertEquals(epoch, SourceEpoch.read(config));
    }

    /** {@code pg:<system identifier>:<timeline>} as the control functions say. */
    private static String serverEpoch(final Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT s.system_identifier, k.timeline_id FROM pg_control_system() s, pg_control_checkpoint() k")) {
            assertTrue(rs.next());
            return "pg:" + Long.toUnsignedString(rs.getLong(1)) + ":" + rs.getLong(2);
        }
    }

    /** Transactions of 2 to 5 random changes over a few rows, so they collide; deadlock victims are retried. */
    private static void randomTransactions(final Capture capture, final Random random, final int count,
                                           final AtomicInteger committed) throws SQLException {
        try (Connection c = capture.connect()) {
            c.setAutoCommit(false);
            for (int i = 0; i < count; i++) {
                try {
                    for (int n = 2 + random.nextInt(4); n > 0; n--) {
                        final int id = 1 + random.nextInt(12);
                        switch (random.nextInt(6)) {
                            case 0 -> exec(c, "UPDATE customers SET profissao = 'w" + i + "', dt_update = "
                                    + "TIMESTAMP '2024-01-01 00:00:00.000001' + interval '" + i + " seconds' WHERE id = " + id);
                            case 1 -> exec(c, "DELETE FROM customers WHERE id = " + id);
                            case 2 -> exec(c, "INSERT INTO customers (id, nome, nascimento) VALUES (" + id + ", 'back "
                                    + i + "', DATE '1990-01-01') ON CONFLICT (id) DO UPDATE SET nome = EXCLUDED.nome");
                            case 3 -> exec(c, "UPDATE flight SET customer_id = " + random.nextInt(14) + ", cod_iata = 'w"
                                    + i + "' WHERE id = " + id);
                            case 4 -> exec(c, "DELETE FROM flight WHERE id = " + id);
                            default -> exec(c, "INSERT INTO flight (id, customer_id, aeroporto) VALUES (" + id + ", "
                                    + (random.nextInt(7) - 3) + ", 'GRU') ON CONFLICT (id) DO UPDATE SET aeroporto = 'CGH'");
                        }
                    }
                    c.commit();
                    committed.incrementAndGet();
                } catch (final SQLException e) {
                    c.rollback();
                    if (!"40P01".equals(e.getSQLState())) {
                        throw e;
                    }
                    i--; // deadlock victim: run another transaction instead
                }
            }
        }
    }

    /** One source database, captured into its own topics (prefix = name) through its own slot. */
    private static final class Capture implements AutoCloseable {
        final String name;
        final String slot;
        final TopicCatalog catalog;
        final int httpPort = ChildJvm.freePort();
        final CaptureTopics topics;
        final int customerRows;
        final int flightRows;
        ChildJvm child;
        int runs;
        int quiesced;

        Capture(final String name, final int customerRows, final int flightRows) throws Exception {
            this.name = name;
            this.slot = name + "_slot";
            this.customerRows = customerRows;
            this.flightRows = flightRows;
            this.catalog = new TopicCatalog(name, "public", "rtdw", 3, (short) 3);
            try (Connection c = pg.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
                st.execute("CREATE DATABASE " + name);
            }
            try (Connection c = connect()) {
                PostgresPreflight.applyInitScripts(c);
            }
            exec("INSERT INTO customers (id, nome, sexo, nascimento, profissao, dt_update) SELECT i, 'c' || i, 'F', "
                    + "DATE '1980-01-01' + i, 'p0', TIMESTAMP '2024-05-01 10:00:00.123456' FROM generate_series(1, "
                    + customerRows + ") i");
            exec("INSERT INTO customers (id, nome) VALUES (" + SENTINEL + ", 'sentinel')");
            exec("INSERT INTO flight (id, customer_id, aeroporto, linha_aerea, cod_iata) SELECT i, i % 15, 'GRU', "
                    + "'LATAM', 'f' || i FROM generate_series(1, " + flightRows + ") i");
            topics = new CaptureTopics(KAFKA.cluster(), catalog, SERDES);
        }

        Connection connect() throws SQLException {
            return pg.getDatabase("postgres", name).getConnection();
        }

        void exec(final String sql) throws SQLException {
            try (Connection c = connect()) {
                PostgresCommitOrderIT.exec(c, sql);
            }
        }

        void start(final String... args) {
            final Map<String, String> env = CaptureEnv.postgres(KAFKA.cluster().bootstrapServers(), pg.getPort(), name,
                    catalog, httpPort);
            env.put(CdcConfig.PG_SLOT.name(), slot);
            env.put(CdcConfig.OFFSET_FLUSH_MS.name(), "1000");
            env.put(CdcConfig.HEARTBEAT_MS.name(), "1000");
            runs++;
            child = ChildJvm.java(name + "-" + runs, "io.rtdw.cdc.CdcMain").heapMb(384).jvmArgs("-XX:+UseSerialGC")
                    .env(env).args(args)
                    .freshLog(Path.of("target", "child-logs", "commit-order-" + name + "-" + runs + ".log")).start();
        }

        /** Waits until the capture exits; its exit status. */
        int awaitExit() {
            final Integer status = child.awaitExit(WAIT.toSeconds());
            assertNotNull(status, () -> child.name() + " still runs; log:\n" + child.tail(60));
            return status;
        }

        /** The operator's re-snapshot (cdc-sources/README): {@code --reset-offsets}, then a start; quiesced. */
        void resnapshot() throws Exception {
            start("--reset-offsets");
            assertEquals(0, awaitExit(), child::logText);
            start();
            quiesce();
        }

        void kill() {
            child.kill();
        }

        /** SIGSTOP: the capture freezes where it is (then {@link #kill()} kills it there). */
        void pause() throws Exception {
            assertEquals(0, new ProcessBuilder("kill", "-STOP", String.valueOf(child.pid())).inheritIO().start()
                    .waitFor(), "kill -STOP");
        }

        /** Waits until every pre-existing row is on the topics as a snapshot read; the customers read so far. */
        List<ConsumerRecord<CustomerKey, CustomerChange>> awaitSnapshot() {
            final List<ConsumerRecord<CustomerKey, CustomerChange>> c = topics.customers.readUntil(
                    rs -> reads(rs) >= customerRows + 1, WAIT);
            assertEquals(customerRows + 1, reads(c), () -> "snapshot of " + name + "; log:\n" + child.tail(80));
            final List<ConsumerRecord<FlightKey, FlightChange>> f = topics.flights.readUntil(
                    rs -> rs.stream().filter(r -> r.value().getOp() == Op.READ).map(r -> r.key().getId())
                            .distinct().count() >= flightRows, WAIT);
            assertEquals(flightRows, f.stream().filter(r -> r.value().getOp() == Op.READ).map(r -> r.key().getId())
                    .distinct().count());
            return c;
        }

        /** Waits until a backend waits for transaction {@code xid} (slot creation waiting for it to end). */
        void awaitWaitingOn(final String xid) {
            await("a backend waits for transaction " + xid, WAIT, () -> {
                try (Connection c = connect(); PreparedStatement st = c.prepareStatement("SELECT count(*) FROM pg_locks "
                        + "WHERE locktype = 'transactionid' AND transactionid::text = ? AND NOT granted")) {
                    st.setString(1, xid);
                    try (ResultSet rs = st.executeQuery()) {
                        return rs.next() && rs.getInt(1) > 0;
                    }
                }
            });
        }

        /**
         * Waits until the capture streams (its walsender runs START_REPLICATION, after the snapshot), writes the
         * sentinel in a transaction, notes the WAL position of that write, and waits until the slot confirms a
         * position past it: the capture marks records processed (and so confirms them) only after Kafka acknowledged
         * them and everything before them, and never inside a transaction. Then reads both topics to their end.
         */
        void quiesce() throws Exception {
            await("the capture of " + name + " streams from slot " + slot, WAIT, () -> {
                try (Connection c = connect()) {
                    return single(c, "SELECT count(*) FROM pg_stat_replication r JOIN pg_replication_slots s ON "
                            + "s.active_pid = r.pid WHERE s.slot_name = '" + slot + "' AND r.state IN ('catchup', "
                            + "'streaming')") > 0;
                }
            });
            final long written;
            try (Connection c = connect()) {
                c.setAutoCommit(false);
                PostgresCommitOrderIT.exec(c, "UPDATE customers SET profissao = 'quiesce " + (++quiesced)
                        + "' WHERE id = " + SENTINEL);
                written = single(c, "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint");
                c.commit();
            }
            await("slot " + slot + " confirms LSN " + written, WAIT, () -> {
                try (Connection c = connect()) {
                    return single(c, "SELECT coalesce((confirmed_flush_lsn - '0/0'::pg_lsn)::bigint, -1) FROM "
                            + "pg_replication_slots WHERE slot_name = '" + slot + "'") >= written;
                }
            });
            readToEnd(topics.customers, catalog.customers());
            readToEnd(topics.flights, catalog.flights());
        }

        /** The fold of both topics equals the source tables; the fold. */
        Folded assertMatchesSource() throws SQLException {
            final Folded state = new Folded(topics.customers.records(), topics.flights.records(), PostgresCommitOrderIT::applies);
            try (Connection c = connect()) {
                assertSame("customers", sourceCustomers(c), state.customers);
                assertSame("flight", sourceFlights(c), state.flights);
            }
            return state;
        }

        /** The old rule (the largest sequence wins) leaves customer {@code id} differing from the source. */
        void assertOldRuleLoses(final Folded state, final int id) throws SQLException {
            final Folded old = new Folded(state.customerRecords, state.flightRecords,
                    (candidate, applied) -> applied == null || candidate.getSequence() > applied.getSequence());
            try (Connection c = connect()) {
                final Customer source = sourceCustomers(c).get(id);
                assertEquals(source, state.customers.get(id));
                assertNotEquals(source, old.customers.get(id), "the old rule would have dropped the change");
            }
        }

        @Override
        public void close() throws Exception {
            if (child != null) {
                child.close();
            }
            topics.close();
        }
    }

    /** Per key, the change the app keeps (by {@code applies}), deletes dropped: the rows the warehouse holds. */
    private static final class Folded {
        final List<ConsumerRecord<CustomerKey, CustomerChange>> customerRecords;
        final List<ConsumerRecord<FlightKey, FlightChange>> flightRecords;
        final Map<Integer, Customer> customers;
        final Map<Integer, Flight> flights;

        Folded(final List<ConsumerRecord<CustomerKey, CustomerChange>> c,
               final List<ConsumerRecord<FlightKey, FlightChange>> f,
               final java.util.function.BiPredicate<SourceInfo, SourceInfo> applies) {
            customerRecords = c;
            flightRecords = f;
            customers = fold(c, k -> k.getId(), CustomerChange::getSource, CustomerChange::getAfter, applies);
            flights = fold(f, k -> k.getId(), FlightChange::getSource, FlightChange::getAfter, applies);
        }
    }

    /** The app's apply rule: a change applies unless it is not newer than the applied one in the same epoch. */
    private static boolean applies(final SourceInfo candidate, final SourceInfo applied) {
        return SourcePosition.of(candidate).against(applied == null ? null : SourcePosition.of(applied))
                != SourcePosition.Verdict.NOT_NEWER;
    }

    private static <K, V, R> Map<Integer, R> fold(final List<ConsumerRecord<K, V>> records,
                                                  final Function<K, Integer> id, final Function<V, SourceInfo> source,
                                                  final Function<V, R> after,
                                                  final java.util.function.BiPredicate<SourceInfo, SourceInfo> applies) {
        final Map<Integer, V> applied = new HashMap<>();
        for (final ConsumerRecord<K, V> r : records) {
            final V current = applied.get(id.apply(r.key()));
            if (applies.test(source.apply(r.value()), current == null ? null : source.apply(current))) {
                applied.put(id.apply(r.key()), r.value());
            }
        }
        final Map<Integer, R> rows = new TreeMap<>();
        applied.forEach((k, v) -> {
            final R row = after.apply(v);
            if (row != null) {
                rows.put(k, row);
            }
        });
        return rows;
    }

    private static Map<Integer, Customer> sourceCustomers(final Connection c) throws SQLException {
        final Map<Integer, Customer> rows = new TreeMap<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT * FROM customers")) {
            while (rs.next()) {
                rows.put(rs.getInt("id"), Customer.newBuilder().setId(rs.getInt("id")).setNome(rs.getString("nome"))
                        .setSexo(rs.getString("sexo")).setEndereco(rs.getString("endereco"))
                        .setTelefone(rs.getString("telefone")).setEmail(rs.getString("email"))
                        .setFoto(rs.getString("foto")).setNascimento(rs.getObject("nascimento", LocalDate.class))
                        .setProfissao(rs.getString("profissao"))
                        .setDtUpdate(rs.getObject("dt_update", LocalDateTime.class)).build());
            }
        }
        return rows;
    }

    /** Flights with a customer: the join has no customer for a NULL customer_id (the capture retracts them). */
    private static Map<Integer, Flight> sourceFlights(final Connection c) throws SQLException {
        final Map<Integer, Flight> rows = new TreeMap<>();
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT * FROM flight WHERE customer_id IS NOT NULL")) {
            while (rs.next()) {
                rows.put(rs.getInt("id"), Flight.newBuilder().setId(rs.getInt("id"))
                        .setCustomerId(rs.getInt("customer_id")).setAeroporto(rs.getString("aeroporto"))
                        .setLinhaAerea(rs.getString("linha_aerea")).setCodIata(rs.getString("cod_iata"))
                        .setDtUpdate(rs.getObject("dt_update", LocalDateTime.class)).build());
            }
        }
        return rows;
    }

    private static <R> void assertSame(final String table, final Map<Integer, R> source, final Map<Integer, R> folded) {
        final TreeSet<Integer> differing = new TreeSet<>(source.keySet());
        differing.addAll(folded.keySet());
        differing.removeIf(k -> java.util.Objects.equals(source.get(k), folded.get(k)));
        assertTrue(differing.isEmpty(), () -> table + ": " + differing.size() + " rows differ from the source, e.g. "
                + differing.stream().limit(5).map(k -> k + ": source " + source.get(k) + " / topics " + folded.get(k))
                .collect(Collectors.joining("\n")));
    }

    private static <K, V> void readToEnd(final TopicReader<K, V> reader, final Topic<K, V> topic) throws Exception {
        final Map<TopicPartition, Long> ends = new HashMap<>();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                KAFKA.cluster().bootstrapServers()))) {
            final Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < topic.partitions(); p++) {
                latest.put(new TopicPartition(topic.name(), p), OffsetSpec.latest());
            }
            admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).forEach((tp, info) -> ends.put(tp, info.offset()));
        }
        final Predicate<List<ConsumerRecord<K, V>>> done = rs -> ends.entrySet().stream().allMatch(e -> e.getValue() == 0
                || rs.stream().anyMatch(r -> r.partition() == e.getKey().partition() && r.offset() >= e.getValue() - 1));
        assertTrue(done.test(reader.readUntil(done, WAIT)), () -> "could not read " + topic.name() + " to " + ends);
    }

    private static int reads(final List<ConsumerRecord<CustomerKey, CustomerChange>> records) {
        return (int) records.stream().filter(r -> r.value().getOp() == Op.READ).map(r -> r.key().getId()).distinct()
                .count();
    }

    private static CustomerChange customerRead(final List<ConsumerRecord<CustomerKey, CustomerChange>> records,
                                               final int id) {
        return records.stream().filter(r -> r.key().getId() == id && r.value().getOp() == Op.READ)
                .reduce((x, y) -> y).orElseThrow().value();
    }

    private static CustomerChange lastChange(final List<ConsumerRecord<CustomerKey, CustomerChange>> records,
                                             final int id) {
        return records.stream().filter(r -> r.key().getId() == id && r.value().getOp() != Op.READ)
                .reduce((x, y) -> y).orElseThrow().value();
    }

    private static String xid(final Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT transactionid::text FROM "
                + "pg_locks WHERE pid = pg_backend_pid() AND locktype = 'transactionid' AND granted")) {
            assertTrue(rs.next(), "the transaction has an id");
            return rs.getString(1);
        }
    }

    private static long single(final Connection c, final String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getLong(1) : -1;
        }
    }

    private static void exec(final Connection c, final String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    /** A check that may throw (SQL); false until it holds. */
    private interface Check {
        boolean holds() throws Exception;
    }

    private static void await(final String what, final Duration timeout, final Check check) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                if (check.holds()) {
                    return;
                }
            } catch (final Exception e) {
                throw new IllegalStateException("while waiting until " + what, e);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting until " + what);
            }
            try {
                Thread.sleep(50); // polling interval of a condition, not a guess at timing
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
