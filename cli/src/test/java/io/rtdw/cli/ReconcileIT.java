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
import io.rtdw.testing.KafkaClusterExtension;
import io.rtdw.testing.Oracle;
import io.rtdw.testing.RegistryServerExtension;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code rtdw reconcile} against real copies: a real PostgreSQL holding the generator's customers and flights, the
 * vehicles as CDC records on the vehicle topic of a real 3-broker Kafka, the output topic written with the real
 * registry serdes and the Parquet snapshot written with the lake sink's own row and file code. The copies hold what
 * the test kit's {@link Oracle} computes from the rows read back from PostgreSQL (never from reconcile's code),
 * capped the way the streams app caps arrays. Then one difference at a time is planted in one copy and reconcile
 * must name exactly that customer, that copy and that field, and exit 1; agreeing copies exit 0.
 */
class ReconcileIT {

    @RegisterExtension
    static final KafkaClusterExtension KAFKA = new KafkaClusterExtension();
    @RegisterExtension
    static final RegistryServerExtension REGISTRY = new RegistryServerExtension();

    private static final int CAP = 3;
    private static final int GHOST = 1_000_000;
    private static final TopicCatalog CATALOG = new TopicCatalog("rtdw", "public", "rtdw", 3, (short) 3);

    @TempDir
    static Path lake;

    private static EmbeddedPostgres pg;
    private static Connection db;
    private static Map<Integer, UnifiedCustomer> expected;
    private static Map<Integer, UnifiedCustomer> shown;
    private static int bigFamily;

    @BeforeAll
    static void buildAgreeingCopies() throws Exception {
        pg = EmbeddedPostgres.builder().start();
        db = pg.getPostgresDatabase().getConnection();
        try (InputStream ddl = ReconcileIT.class.getResourceAsStream("/sql/001_schema.sql");
             Statement st = db.createStatement()) {
            st.execute(new String(ddl.readAllBytes(), StandardCharsets.UTF_8));
        }
        KAFKA.cluster().createTopics(List.of(CATALOG.unifiedCustomers(), CATALOG.vehicles()));

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
        bigFamily = gen.customers().keySet().iterator().next();
        for (int i = 0; i < CAP + 2; i++) {
            gen.upsert(new FlightRow(50_000 + i, bigFamily, "GRU", "TAP", "TP" + i, LocalDateTime.of(2025, 1, 1, 0, i)));
        }
        try (PreparedStatement c = db.prepareStatement("INSERT INTO customers VALUES (?,?,?,?,?,?,?,?,?,?)");
             PreparedStatement f = db.prepareStatement("INSERT INTO flight VALUES (?,?,?,?,?,?)")) {
            for (final WorkloadGenerator.CustomerRow r : gen.customers().values()) {
                c.setInt(1, r.id());
                c.setString(2, r.nome());
                c.setString(3, r.sexo());
                c.setString(4, r.endereco());
                c.setString(5, r.telefone());
                c.setString(6, r.email());
                c.setString(7, r.foto());
                c.setObject(8, r.nascimento());
                c.setString(9, r.profissao());
                c.setObject(10, r.dtUpdate());
                c.addBatch();
            }
            c.executeBatch();
            for (final FlightRow r : gen.flights().values()) {
                f.setInt(1, r.id());
                f.setInt(2, r.customerId());
                f.setString(3, r.aeroporto());
                f.setString(4, r.linhaAerea());
                f.setString(5, r.codIata());
                f.setObject(6, r.dtUpdate());
                f.addBatch();
            }
            f.executeBatch();
        }
        try (SourceChangeWriter writer = new SourceChangeWriter(KAFKA.cluster().bootstrapServers(), CATALOG,
                REGISTRY.server().serdes())) {
            writer.sendAll(vehicleChanges);
            writer.flush();
        }

        // The copies: what the sources imply, read back from PostgreSQL by the test kit's oracle.
        expected = Oracle.fromPostgres(db, gen.vehicles().values()).expected();
        assertTrue(expected.get(bigFamily).getFlightCount() > CAP, "the big family is above the cap");
        shown = new HashMap<>();
        expected.forEach((id, u) -> shown.put(id, capped(u)));
        final List<UnifiedCustomer> output = new ArrayList<>(shown.values());
        output.add(UnifiedCustomer.newBuilder(shown.get(bigFamily)).setCustomerId(GHOST).build());
        produce(output);
        produce(List.of(UnifiedCustomer.newBuilder().setCustomerId(GHOST).setDeleted(true).setVersion(2)
                .setSourceTsMs(Instant.now()).build()));
        tombstone(GHOST);
        snapshot(u -> u);
    }

    @AfterAll
    static void stop() throws Exception {
        if (db != null) {
            db.close();
        }
        if (pg != null) {
            pg.close();
        }
    }

    /** The streams app's policy: at most CAP children shown (which ones is its business), counts exact. */
    private static UnifiedCustomer capped(final UnifiedCustomer u) {
        final List<UnifiedFlight> flights = u.getFlights();
        return UnifiedCustomer.newBuilder(u).setVersion(1).setSourceTsMs(Instant.now())
                .setFlights(new ArrayList<>(flights.subList(Math.max(0, flights.size() - CAP), flights.size())))
                .setVehicles(new ArrayList<>(u.getVehicles().subList(0, Math.min(CAP, u.getVehicles().size()))))
                .build();
    }

    private static void produce(final List<UnifiedCustomer> records) {
        final Topic<CustomerKey, UnifiedCustomer> topic = CATALOG.unifiedCustomers();
        final RegistrySerdes serdes = REGISTRY.server().serdes();
        try (KafkaProducer<CustomerKey, UnifiedCustomer> producer = new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.cluster().bootstrapServers()),
                RegistrySerdes.keySerde(topic).serializer(), serdes.valueSerde(topic).serializer())) {
            for (final UnifiedCustomer u : records) {
                producer.send(new ProducerRecord<>(topic.name(), new CustomerKey(u.getCustomerId()), u));
            }
            producer.flush();
        }
    }

    private static void tombstone(final int id) {
        final Topic<CustomerKey, UnifiedCustomer> topic = CATALOG.unifiedCustomers();
        try (KafkaProducer<CustomerKey, UnifiedCustomer> producer = new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.cluster().bootstrapServers()),
                RegistrySerdes.keySerde(topic).serializer(), REGISTRY.server().serdes().valueSerde(topic).serializer())) {
            producer.send(new ProducerRecord<>(topic.name(), new CustomerKey(id), null));
            producer.flush();
        }
    }

    /** Writes the snapshot of the shown records, each passed through {@code change} (null: left out). */
    private static void snapshot(final UnaryOperator<UnifiedCustomer> change) throws Exception {
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

    private record Run(int exit, String out, List<String> differences) {
    }

    private static Map<String, String> env() {
        final Map<String, String> env = new HashMap<>();
        env.put("KAFKA_BOOTSTRAP_SERVERS", KAFKA.cluster().bootstrapServers());
        env.put("RTDW_REGISTRY_URL", REGISTRY.server().url());
        env.put("RTDW_TOPIC_PARTITIONS", "3");
        env.put("PG_HOST", "localhost");
        env.put("PG_PORT", String.valueOf(pg.getPort()));
        env.put("PG_USER", "postgres");
        env.put("PG_PASSWORD", "postgres");
        return env;
    }

    private static Run reconcile(final String... extra) {
        final List<String> args = new ArrayList<>(List.of("--vehicles-from-topic", "--no-pinot", "--lake",
                lake.toString(), "--max-children", String.valueOf(CAP), "--max-lines", "1000"));
        args.addAll(List.of(extra));
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = Reconcile.run(args, env(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), () -> true);
        final String text = out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
        return new Run(exit, text, text.lines().filter(l -> l.startsWith("customer ")).toList());
    }

    /** A customer that is not the big family and has at least one flight. */
    private static UnifiedCustomer someCustomerWithAFlight(final int skip) {
        return expected.values().stream().filter(u -> u.getCustomerId() != bigFamily && u.getFlightCount() > 0
                && u.getFlightCount() <= CAP).skip(skip).findFirst().orElseThrow();
    }

    @Test
    void agreeingCopiesExitZero() {
        final Run run = reconcile();
        assertEquals(0, run.exit(), run.out());
        assertEquals(List.of(), run.differences(), run.out());
        assertTrue(run.out().contains("source: " + expected.size() + " customers"), run.out());
        assertTrue(run.out().contains("output: " + expected.size() + " live customers, 0 differ"), run.out());
        assertTrue(run.out().contains("parquet: " + expected.size() + " live customers, 0 differ"), run.out());
        assertTrue(run.out().contains("pinot: not compared: --no-pinot"), run.out());
        assertTrue(run.out().contains("keys ending in a delete marker: 0, in a tombstone: 1"), run.out());
    }

    @Test
    void aChangedFieldInTheOutputTopicIsNamed() {
        final UnifiedCustomer victim = someCustomerWithAFlight(0);
        final UnifiedCustomer original = shown.get(victim.getCustomerId());
        produce(List.of(UnifiedCustomer.newBuilder(original).setEmail("planted@example.com").setVersion(2).build()));
        try {
            final Run run = reconcile();
            assertEquals(1, run.exit(), run.out());
            assertEquals(List.of("customer " + victim.getCustomerId() + ": output: email 'planted@example.com' != source '"
                    + victim.getEmail() + "'"), run.differences(), run.out());
        } finally {
            produce(List.of(UnifiedCustomer.newBuilder(original).setVersion(3).build()));
        }
    }

    @Test
    void aChangedValueAndAMissingRowInTheParquetSnapshotAreNamed() throws Exception {
        final int changed = someCustomerWithAFlight(1).getCustomerId();
        final int missing = someCustomerWithAFlight(2).getCustomerId();
        snapshot(u -> u.getCustomerId() == missing ? null : u.getCustomerId() == changed
                ? UnifiedCustomer.newBuilder(u).setProfession("Astronauta").build() : u);
        try {
            final Run run = reconcile();
            assertEquals(1, run.exit(), run.out());
            final List<String> want = new ArrayList<>(List.of(
                    "customer " + changed + ": parquet: profession 'Astronauta' != source '"
                            + expected.get(changed).getProfession() + "'",
                    "customer " + missing + ": parquet: missing"));
            want.sort(java.util.Comparator.comparingInt(ReconcileIT::idOf));
            assertEquals(want, run.differences(), run.out());
        } finally {
            snapshot(u -> u);
        }
    }

    @Test
    void aSourceChangeNotYetPropagatedShowsInEveryCopy() throws Exception {
        final UnifiedCustomer owner = someCustomerWithAFlight(3);
        final UnifiedFlight flight = owner.getFlights().get(0);
        try (Statement st = db.createStatement()) {
            st.executeUpdate("UPDATE flight SET linha_aerea = 'Planted Air' WHERE id = " + flight.getFlightId());
        }
        try {
            final Run run = reconcile();
            assertEquals(1, run.exit(), run.out());
            final String what = "flight " + flight.getFlightId() + " airline '" + flight.getAirline()
                    + "' != source 'Planted Air'";
            assertEquals(List.of("customer " + owner.getCustomerId() + ": output: " + what + "; parquet: " + what),
                    run.differences(), run.out());
        } finally {
            try (PreparedStatement st = db.prepareStatement("UPDATE flight SET linha_aerea = ? WHERE id = ?")) {
                st.setString(1, flight.getAirline());
                st.setInt(2, flight.getFlightId());
                st.executeUpdate();
            }
        }
    }

    @Test
    void aFamilyAboveTheCapIsCheckedByCountAndByTheChildrenShown() {
        final UnifiedCustomer original = shown.get(bigFamily);
        final UnifiedCustomer stranger = someCustomerWithAFlight(4);
        final UnifiedFlight foreign = stranger.getFlights().get(0);
        final List<UnifiedFlight> flights = new ArrayList<>(original.getFlights());
        flights.set(0, foreign);
        produce(List.of(UnifiedCustomer.newBuilder(original).setFlights(flights).setVersion(2).build()));
        try {
            final Run run = reconcile();
            assertEquals(1, run.exit(), run.out());
            assertEquals(List.of("customer " + bigFamily + ": output: flights [" + foreign.getFlightId()
                    + "] shown are not this customer's at the source"), run.differences(), run.out());
        } finally {
            produce(List.of(UnifiedCustomer.newBuilder(original).setVersion(3).build()));
        }
    }

    @Test
    void everyServesTheAgreedMetrics() throws Exception {
        final AtomicBoolean stop = new AtomicBoolean();
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
        final List<String> args = List.of("--vehicles-from-topic", "--no-pinot", "--lake", lake.toString(),
                "--max-children", String.valueOf(CAP), "--every", "1s", "--http-port", "0");
        final CompletableFuture<Integer> running = CompletableFuture.supplyAsync(
                () -> Reconcile.run(args, env(), print, print, stop::get));
        try {
            final HttpClient http = HttpClient.newHttpClient();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            String metrics = "";
            while (System.nanoTime() < deadline && !metrics.contains("rtdw_reconcile_agree 1.0")) {
                final Matcher port = Pattern.compile("metrics on http://localhost:(\\d+)/metrics")
                        .matcher(out.toString(StandardCharsets.UTF_8));
                if (port.find()) {
                    metrics = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port.group(1)
                            + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
                            HttpResponse.BodyHandlers.ofString()).body();
                }
                if (!metrics.contains("rtdw_reconcile_agree 1.0")) {
                    Thread.sleep(100);
                }
            }
            assertTrue(metrics.contains("rtdw_reconcile_agree 1.0"), metrics + out);
            assertTrue(metrics.contains("rtdw_reconcile_differences{copy=\"output\"} 0.0"), metrics);
            assertTrue(metrics.contains("rtdw_reconcile_differences{copy=\"parquet\"} 0.0"), metrics);
            assertTrue(metrics.contains("rtdw_reconcile_differences{copy=\"pinot\"} -1.0"), metrics);
            assertTrue(metrics.contains("rtdw_reconcile_customers{copy=\"source\"} " + expected.size() + ".0"), metrics);
            assertTrue(metrics.contains("rtdw_reconcile_customers{copy=\"output\"} " + expected.size() + ".0"), metrics);
            assertTrue(metrics.contains("rtdw_reconcile_last_run_timestamp_seconds "), metrics);
            assertTrue(metrics.contains("rtdw_reconcile_duration_seconds "), metrics);
        } finally {
            stop.set(true);
        }
        assertEquals(0, running.get(60, TimeUnit.SECONDS), out.toString(StandardCharsets.UTF_8));
    }

    private static int idOf(final String line) {
        return Integer.parseInt(line.substring("customer ".length(), line.indexOf(':')));
    }
}
