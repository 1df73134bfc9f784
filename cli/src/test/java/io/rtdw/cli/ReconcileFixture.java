package io.rtdw.cli;

import io.rtdw.catalog.SourceChange;
import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.lake.LakeRows;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.UnifiedFlight;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.testing.CdcEnvelopes;
import io.rtdw.testing.KafkaTestCluster;
import io.rtdw.testing.Oracle;
import io.rtdw.testing.PostgresRows;
import io.rtdw.testing.RegistryServer;
import io.rtdw.testing.SourceChangeWriter;
import io.rtdw.testing.WorkloadGenerator;
import io.rtdw.testing.WorkloadGenerator.Change;
import io.rtdw.testing.WorkloadGenerator.FlightRow;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Agreeing copies for reconcile's ITs: a real PostgreSQL holding a generator's customers and flights (initial load
 * plus random updates, deletes and moves, and one family above the cap), the vehicles as CDC records on the vehicle
 * topic, the output topic written with the real registry serdes and the Parquet snapshot written with the lake sink's
 * own row and file code. The copies hold what the test kit's {@link Oracle} computes from the rows read back from
 * PostgreSQL (never reconcile's code), capped the way the streams app caps arrays, plus a deleted customer (delete
 * marker and tombstone) in the output.
 */
final class ReconcileFixture implements AutoCloseable {

    static final int CAP = 3;
    static final int GHOST = 1_000_000;
    static final TopicCatalog CATALOG = new TopicCatalog("rtdw", "public", "rtdw", 3, (short) 3);

    final KafkaTestCluster kafka;
    final RegistryServer registry;
    final Path lake;
    final EmbeddedPostgres pg;
    final Connection db;
    /** What the sources imply, per customer: the test kit's oracle over the rows read back from PostgreSQL. */
    final Map<Integer, UnifiedCustomer> expected;
    /** What the copies hold: {@link #expected} with arrays capped at {@link #CAP}. */
    final Map<Integer, UnifiedCustomer> shown;
    /** A customer with more flights than the cap. */
    final int bigFamily;
    /** Values written to the output topic so far (tombstones not counted). */
    int produced;

    ReconcileFixture(final KafkaTestCluster kafka, final RegistryServer registry, final Path lake) throws Exception {
        this.kafka = kafka;
        this.registry = registry;
        this.lake = lake;
        pg = EmbeddedPostgres.builder().start();
        db = pg.getPostgresDatabase().getConnection();
        try (InputStream ddl = ReconcileFixture.class.getResourceAsStream("/sql/001_schema.sql");
             Statement st = db.createStatement()) {
            st.execute(new String(ddl.readAllBytes(), StandardCharsets.UTF_8));
        }
        kafka.createTopics(List.of(CATALOG.unifiedCustomers(), CATALOG.vehicles()));

        // Sources: the generator's initial load plus random updates, deletes and moves; vehicles go to the vehicle
        // topic as CDC records, customers and flights to PostgreSQL as their final rows.
        final WorkloadGenerator gen = new WorkloadGenerator(new WorkloadGenerator.Options(15, 60, 120, 80, 0.1, true));
        final CdcEnvelopes envelopes = new CdcEnvelopes(15, System.currentTimeMillis(), false);
        final List<SourceChange> vehicleChanges = new ArrayList<>();
        for (int i = 0; i < 260 + 200; i++) {
            final Change change = gen.next();
            if (change.kind().name().startsWith("VEHICLE")) {
                vehicleChanges.add(envelopes.encode(change));
            }
        }
        final int big = gen.customers().keySet().iterator().next();
        bigFamily = big;
        for (int i = 0; i < CAP + 2; i++) {
            gen.upsert(new FlightRow(50_000 + i, big, "GRU", "TAP", "TP" + i, LocalDateTime.of(2025, 1, 1, 0, i)));
        }
        PostgresRows.insert(db, gen.customers().values(), gen.flights().values());
        try (SourceChangeWriter writer = new SourceChangeWriter(kafka.bootstrapServers(), CATALOG,
                registry.serdes())) {
            writer.sendAll(vehicleChanges);
            writer.flush();
        }

        // The copies: what the sources imply, read back from PostgreSQL by the test kit's oracle.
        expected = Oracle.fromPostgres(db, gen.vehicles().values()).expected();
        assertTrue(expected.get(bigFamily).getFlightCount() > CAP, "the big family is above the cap");
        shown = new TreeMap<>();
        expected.forEach((id, u) -> shown.put(id, capped(u)));
        final List<UnifiedCustomer> output = new ArrayList<>(shown.values());
        output.add(UnifiedCustomer.newBuilder(shown.get(bigFamily)).setCustomerId(GHOST).build());
        produce(output);
        produce(List.of(UnifiedCustomer.newBuilder().setCustomerId(GHOST).setDeleted(true).setVersion(2)
                .setSourceTsMs(Instant.now()).build()));
        tombstone(GHOST);
        snapshot(u -> u);
    }

    @Override
    public void close() throws Exception {
        db.close();
        pg.close();
    }

    /** The streams app's policy: at most CAP children shown (which ones is its business), counts exact. */
    static UnifiedCustomer capped(final UnifiedCustomer u) {
        final List<UnifiedFlight> flights = u.getFlights();
        return UnifiedCustomer.newBuilder(u).setVersion(1).setSourceTsMs(Instant.now())
                .setFlights(new ArrayList<>(flights.subList(Math.max(0, flights.size() - CAP), flights.size())))
                .setVehicles(new ArrayList<>(u.getVehicles().subList(0, Math.min(CAP, u.getVehicles().size()))))
                .build();
    }

    void produce(final List<UnifiedCustomer> records) {
        final Topic<CustomerKey, UnifiedCustomer> topic = CATALOG.unifiedCustomers();
        final RegistrySerdes serdes = registry.serdes();
        try (KafkaProducer<CustomerKey, UnifiedCustomer> producer = new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                RegistrySerdes.keySerde(topic).serializer(), serdes.valueSerde(topic).serializer())) {
            for (final UnifiedCustomer u : records) {
                producer.send(new ProducerRecord<>(topic.name(), new CustomerKey(u.getCustomerId()), u));
                produced++;
            }
            producer.flush();
        }
    }

    void tombstone(final int id) {
        final Topic<CustomerKey, UnifiedCustomer> topic = CATALOG.unifiedCustomers();
        try (KafkaProducer<CustomerKey, UnifiedCustomer> producer = new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                RegistrySerdes.keySerde(topic).serializer(), registry.serdes().valueSerde(topic).serializer())) {
            producer.send(new ProducerRecord<>(topic.name(), new CustomerKey(id), null));
            producer.flush();
        }
    }

    /** Writes the snapshot of the shown records, each passed through {@code change} (null: left out). */
    void snapshot(final UnaryOperator<UnifiedCustomer> change) throws Exception {
        final List<GenericRecord> rows = new ArrayList<>();
        long offset = 0;
        for (final UnifiedCustomer u : shown.values()) {
            final UnifiedCustomer row = change.apply(u);
            if (row != null) {
                rows.add(LakeRows.row(row, 0, offset++, System.currentTimeMillis()));
            }
        }
        final Path dir = Files.createDirectories(lake.resolve("snapshot"));
        Files.deleteIfExists(dir.resolve("latest.parquet"));
        LakeRows.parquet(rows, CompressionCodecName.SNAPPY, Map.of(), dir.resolve("latest.parquet"));
    }

    /** One run of the command: exit code, everything printed, the difference lines. */
    record Run(int exit, String out, List<String> differences) {
    }

    Map<String, String> env() {
        final Map<String, String> env = new HashMap<>();
        env.put("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
        env.put("RTDW_REGISTRY_URL", registry.url());
        env.put("RTDW_TOPIC_PARTITIONS", "3");
        env.put("PG_HOST", "localhost");
        env.put("PG_PORT", String.valueOf(pg.getPort()));
        env.put("PG_USER", "postgres");
        env.put("PG_PASSWORD", "postgres");
        return env;
    }

    /** Runs reconcile with the vehicles from the topic, the cap, and {@code args}. */
    Run reconcile(final String... args) {
        final List<String> all = new ArrayList<>(List.of("--vehicles-from-topic", "--max-children",
                String.valueOf(CAP), "--max-lines", "1000"));
        all.addAll(List.of(args));
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = Reconcile.run(all, env(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), () -> true);
        final String text = out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
        return new Run(exit, text, text.lines().filter(l -> l.startsWith("customer ")).toList());
    }

    /** A customer that is not the big family and has at least one flight. */
    UnifiedCustomer someCustomerWithAFlight(final int skip) {
        return expected.values().stream().filter(u -> u.getCustomerId() != bigFamily && u.getFlightCount() > 0
                && u.getFlightCount() <= CAP).skip(skip).findFirst().orElseThrow();
    }

}
