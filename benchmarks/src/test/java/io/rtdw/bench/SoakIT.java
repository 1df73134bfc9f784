package io.rtdw.bench;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.cdc.CdcProcess;
import io.rtdw.runtime.KafkaClients;
import io.rtdw.runtime.OpsServer;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.streams.StreamsApp;
import io.rtdw.streams.config.StreamsSettings;
import io.rtdw.testing.KafkaClusterExtension;
import io.rtdw.testing.KafkaTestCluster;
import io.rtdw.testing.Oracle;
import io.rtdw.testing.RegistryServer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The soak of issue 12's "a customer's output went backwards": the whole pipeline (real PostgreSQL, the real
 * capture, the 3-broker cluster, the streams app) under the PostgreSQL-only mix that showed it (per change: 30%
 * customer update, 40% flight update, 12% flight insert, 8% flight delete, 10% flight moved to another customer;
 * several changes per transaction), with a thread burning CPU and a rebalance every few seconds (a second instance
 * joins and leaves, so tasks move while changes flow).
 *
 * <p>Every customer update writes an email carrying a counter that only grows, so "backwards" is decidable from the
 * output alone: per customer, in the order read (one partition per customer), the counter must never decrease. At
 * the end the output must equal the SQL join of PostgreSQL itself.
 */
class SoakIT {

    private static final Logger LOG = LoggerFactory.getLogger(SoakIT.class);
    private static final Pattern COUNTER = Pattern.compile("^c-?\\d+\\.(\\d+)@soak\\.test$");
    private static final Duration LOAD = Duration.ofSeconds(45);
    private static final Duration REBALANCE_EVERY = Duration.ofSeconds(7);
    private static final int RATE = 200;

    @RegisterExtension
    static final KafkaClusterExtension KAFKA = new KafkaClusterExtension();

    @Test
    void noCustomerOutputGoesBackwardsUnderLoadAndRebalances() throws Exception {
        final KafkaTestCluster cluster = KAFKA.cluster();
        final TopicCatalog catalog = new TopicCatalog("soak", "public", "rtdw", 3, (short) 3);
        cluster.createTopics(catalog.all());
        final RegistrySerdes registry = RegistryServer.shared().serdes();
        final Path state = Files.createTempDirectory("rtdw-soak-state");
        final AtomicBoolean burning = new AtomicBoolean(true);
        final Thread burner = new Thread(() -> {
            long x = 0;
            while (burning.get()) {
                x += System.nanoTime() % 7;
            }
            LOG.debug("burned {}", x);
        }, "cpu-burner");
        try (PgSource pg = PgSource.start(); Connection sql = pg.connect("postgres");
             Reader output = new Reader(cluster.bootstrapServers(), catalog, registry)) {
            final Writer writer = new Writer(sql, new Random(12));
            writer.initial(300, 900);
            final StreamsApp first = new StreamsApp(StreamsSettings.fromEnv(env(cluster, catalog, state, 0)), registry)
                    .start();
            StreamsApp second = null;
            try (CdcProcess cdc = Capture.startPostgres(cluster.bootstrapServers(), catalog, pg.port(), "postgres",
                    "soak_slot", 1, 100)) {
                burner.start();
                final long end = System.nanoTime() + LOAD.toNanos();
                long nextRebalance = System.nanoTime() + REBALANCE_EVERY.toNanos();
                int rebalances = 0;
                final long started = System.nanoTime();
                while (System.nanoTime() < end) {
                    writer.transaction(1 + writer.random.nextInt(RATE / 50));
                    output.poll();
                    final long due = started + writer.changes * 1_000_000_000L / RATE;
                    final long sleepNs = due - System.nanoTime();
                    if (sleepNs > 0) {
                        Thread.sleep(sleepNs / 1_000_000, (int) (sleepNs % 1_000_000));
                    }
                    if (System.nanoTime() > nextRebalance) {
                        if (second == null) {
                            second = new StreamsApp(StreamsSettings.fromEnv(env(cluster, catalog, state, 1)), registry)
                                    .start();
                        } else {
                            second.close();
                            second = null;
                        }
                        rebalances++;
                        nextRebalance = System.nanoTime() + REBALANCE_EVERY.toNanos();
                    }
                }
                burning.set(false);
                LOG.info("soak: {} changes in {} transactions, {} rebalances", writer.changes, writer.transactions,
                        rebalances);
                assertTrue(rebalances >= 4, "tasks moved several times: " + rebalances);

                final Map<Integer, UnifiedCustomer> expected = Oracle.fromPostgres(sql, List.of()).expected();
                final long deadline = System.currentTimeMillis() + 240_000;
                Map<Integer, UnifiedCustomer> actual = Map.of();
                while (System.currentTimeMillis() < deadline) {
                    output.poll();
                    actual = output.latest();
                    if (project(actual).equals(project(expected))) {
                        break;
                    }
                }
                assertEquals(project(expected), project(actual), "the output ends as the SQL join of PostgreSQL");
            } finally {
                burning.set(false);
                if (second != null) {
                    second.close();
                }
                first.close();
            }
            assertEquals(List.of(), output.backwards, "a customer's output went back to an older customer row");
            assertTrue(output.counted > 1_000, "customer updates were checked: " + output.counted);
        } finally {
            burning.set(false);
            burner.join(10_000);
            StreamsChild.deleteRecursively(state);
        }
    }

    private static Map<String, String> env(final KafkaTestCluster cluster, final TopicCatalog catalog, final Path state,
                                           final int instance) {
        final Map<String, String> env = new HashMap<>();
        env.put(KafkaClients.BOOTSTRAP_SERVERS.name(), cluster.bootstrapServers());
        env.put(StreamsSettings.APPLICATION_ID.name(), "rtdw-soak");
        env.put(StreamsSettings.STATE_DIR.name(), state.resolve("app-" + instance).toString());
        env.put(OpsServer.HTTP_PORT.name(), "-1");
        env.put(StreamsSettings.COMMIT_INTERVAL_MS.name(), "1000");
        env.put(StreamsSettings.STANDBY_REPLICAS.name(), "1");
        env.put(StreamsSettings.MAX_CHILDREN.name(), "10000");
        env.put(TopicCatalog.PREFIX.name(), catalog.prefix());
        env.put(TopicCatalog.PARTITIONS.name(), String.valueOf(catalog.partitions()));
        return env;
    }

    /** Customer columns and flight ids with their airline: what the join must agree on. */
    private static Map<Integer, String> project(final Map<Integer, UnifiedCustomer> state) {
        final Map<Integer, String> out = new TreeMap<>();
        state.forEach((id, c) -> out.put(id, c.getName() + "|" + c.getEmail() + "|" + c.getFlightCount() + "|"
                + c.getFlights().stream().map(f -> f.getFlightId() + ":" + f.getAirline()).sorted().toList()));
        return out;
    }

    /** The load writer: the mix over ids it keeps in memory (constant-time choice, no SELECT). */
    private static final class Writer {
        final Random random;
        private final Connection sql;
        private final List<Integer> customers = new ArrayList<>();
        private final List<Integer> flights = new ArrayList<>();
        private long counter;
        long changes;
        long transactions;

        Writer(final Connection sql, final Random random) throws SQLException {
            this.sql = sql;
            this.random = random;
        }

        void initial(final int customerCount, final int flightCount) throws SQLException {
            sql.setAutoCommit(false);
            for (int i = 0; i < customerCount; i++) {
                customers.add(insertCustomer());
            }
            for (int i = 0; i < flightCount; i++) {
                flights.add(insertFlight());
            }
            sql.commit();
        }

        void transaction(final int size) throws SQLException {
            for (int i = 0; i < size; i++) {
                final int kind = random.nextInt(100);
                if (kind < 30) {
                    updateCustomer(customers.get(random.nextInt(customers.size())));
                } else if (kind < 70 && !flights.isEmpty()) {
                    exec("UPDATE flight SET linha_aerea = ?, dt_update = now() WHERE id = ?",
                            airline(), flights.get(random.nextInt(flights.size())));
                } else if (kind < 82 || flights.isEmpty()) {
                    flights.add(insertFlight());
                } else if (kind < 90) {
                    final int at = random.nextInt(flights.size());
                    final int id = flights.get(at);
                    flights.set(at, flights.get(flights.size() - 1));
                    flights.remove(flights.size() - 1);
                    exec("DELETE FROM flight WHERE id = ?", id);
                } else {
                    exec("UPDATE flight SET customer_id = ?, dt_update = now() WHERE id = ?", customerId(),
                            flights.get(random.nextInt(flights.size())));
                }
                changes++;
            }
            sql.commit();
            transactions++;
        }

        private int insertCustomer() throws SQLException {
            try (PreparedStatement st = sql.prepareStatement(
                    "INSERT INTO customers (nome, email, dt_update) VALUES (?, 'pending', now()) RETURNING id")) {
                st.setString(1, "Cliente " + random.nextInt(1000));
                try (ResultSet rs = st.executeQuery()) {
                    rs.next();
                    final int id = rs.getInt(1);
                    updateCustomer(id);
                    return id;
                }
            }
        }

        private void updateCustomer(final int id) throws SQLException {
            exec("UPDATE customers SET nome = ?, email = ?, dt_update = now() WHERE id = ?",
                    "Cliente " + random.nextInt(1000), "c" + id + "." + (++counter) + "@soak.test", id);
        }

        private int insertFlight() throws SQLException {
            try (PreparedStatement st = sql.prepareStatement("INSERT INTO flight (customer_id, aeroporto, linha_aerea,"
                    + " cod_iata, dt_update) VALUES (?, 'GRU', ?, 'GRU', now()) RETURNING id")) {
                st.setInt(1, customerId());
                st.setString(2, airline());
                try (ResultSet rs = st.executeQuery()) {
                    rs.next();
                    return rs.getInt(1);
                }
            }
        }

        /** A customer id, one in ten without a customer row (orphans are normal). */
        private int customerId() {
            return random.nextInt(10) == 0 ? 100_000 + random.nextInt(50) : customers.get(random.nextInt(customers.size()));
        }

        private String airline() {
            return List.of("GOL", "LATAM", "Azul", "TAP", "Avianca").get(random.nextInt(5)) + random.nextInt(100);
        }

        private void exec(final String statement, final Object... args) throws SQLException {
            try (PreparedStatement st = sql.prepareStatement(statement)) {
                for (int i = 0; i < args.length; i++) {
                    st.setObject(i + 1, args[i]);
                }
                st.executeUpdate();
            }
        }
    }

    /** Reads the committed output; per customer, the email counter must never go down. */
    private static final class Reader implements AutoCloseable {
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final Deserializer<CustomerKey> keys;
        private final Deserializer<UnifiedCustomer> values;
        private final String topic;
        private final Map<Integer, Long> newest = new HashMap<>();
        private final Map<Integer, UnifiedCustomer> latest = new TreeMap<>();
        final List<String> backwards = new ArrayList<>();
        long counted;

        Reader(final String bootstrap, final TopicCatalog catalog, final RegistrySerdes registry) {
            final Map<String, Object> props = new HashMap<>();
            props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            topic = catalog.unifiedCustomers().name();
            keys = RegistrySerdes.keySerde(catalog.unifiedCustomers()).deserializer();
            values = registry.valueSerde(catalog.unifiedCustomers()).deserializer();
            final List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
        }

        void poll() {
            for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(20))) {
                final int id = keys.deserialize(topic, r.key()).getId();
                final UnifiedCustomer value = r.value() == null ? null : values.deserialize(topic, r.value());
                if (value == null || value.getDeleted()) {
                    latest.remove(id);
                    continue;
                }
                latest.put(id, value);
                final Matcher m = COUNTER.matcher(String.valueOf(value.getEmail()));
                if (m.matches()) {
                    counted++;
                    final long n = Long.parseLong(m.group(1));
                    final Long before = newest.get(id);
                    if (before != null && n < before) {
                        backwards.add("customer " + id + ": email counter " + n + " after " + before + " (version "
                                + value.getVersion() + ", offset " + r.offset() + ")");
                    }
                    newest.merge(id, n, Math::max);
                }
            }
        }

        Map<Integer, UnifiedCustomer> latest() {
            return latest;
        }

        @Override
        public void close() {
            consumer.close(Duration.ofSeconds(5));
        }
    }
}
