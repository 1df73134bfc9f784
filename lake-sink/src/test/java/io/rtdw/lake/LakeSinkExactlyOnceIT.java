package io.rtdw.lake;

import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.DeadLetter;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.testing.RegistryServer;
import io.rtdw.testing.ChildJvm;
import io.rtdw.testing.KafkaClusterExtension;
import io.rtdw.testing.S3ProxyServer;
import io.rtdw.testing.TestFiles;
import io.rtdw.testing.UnifiedCustomerScenario;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static io.rtdw.testing.TestFiles.freshDir;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The lake sink as a real service (child JVM) against the real 3-broker cluster and s3proxy (MinIO stand-in, its
 * own JVM): it is killed with SIGKILL while records stream in, restarted, killed again during its recovery and
 * restarted; then DuckDB reads the bucket's files and finds every committed record exactly once, no aborted one,
 * the oracle's latest state per customer, and a snapshot equal to the live customers.
 */
class LakeSinkExactlyOnceIT {

    private static final Logger LOG = LoggerFactory.getLogger(LakeSinkExactlyOnceIT.class);

    @RegisterExtension
    static final KafkaClusterExtension KAFKA = new KafkaClusterExtension();

    private static final TopicCatalog CATALOG = new TopicCatalog("rtdw", "public", "rtdw", 3, (short) 3);
    private static final Topic<CustomerKey, UnifiedCustomer> TOPIC = CATALOG.unifiedCustomers();
    private static final String BUCKET = "rtdw-lake";

    private final Path work = freshDir(Path.of("target", "it", "lake-sink"));
    private final List<ChildJvm> children = new ArrayList<>();
    private S3ProxyServer s3;
    private final ExecutorService producerThread = Executors.newSingleThreadExecutor();
    private int httpPort;

    @AfterEach
    void stopEverything() {
        producerThread.shutdownNow();
        children.forEach(ChildJvm::close);
        if (s3 != null) {
            s3.close();
        }
    }

    @Test
    void killNineAtAnyMomentLeavesEveryCommittedRecordInExactlyOneFile() throws Exception {
        KAFKA.cluster().createTopics(List.of(TOPIC, CATALOG.lakeSinkDeadLetters()));
        s3 = S3ProxyServer.start(work);
        final UnifiedCustomerScenario scenario = new UnifiedCustomerScenario(KAFKA.cluster().bootstrapServers(), TOPIC,
                "lake-it", RegistryServer.shared().serdes());
        scenario.upsert(range(1, 40));
        final RecordMetadata poison = sendPoison();

        ChildJvm sink = startSink(1);
        final AtomicBoolean keepProducing = new AtomicBoolean(true);
        final Future<?> producing = producerThread.submit(() -> produce(scenario, keepProducing));
        awaitFiles(4);
        LOG.info("kill -9 of the sink while records stream in");
        sink.kill();
        sink = startSink(2);
        // Killed again before or while it rebuilds its state from the topic.
        TestFiles.sleep(1500);
        LOG.info("kill -9 of the restarted sink, during its recovery");
        sink.kill();
        // Then, once it writes again, at moments nobody chose: while it reads, buffers, encodes or uploads.
        final Random moments = new Random(11);
        for (int run = 3; run <= 4; run++) {
            sink = startSink(run);
            sink.awaitHttp("http://127.0.0.1:" + httpPort + "/health/ready", Duration.ofSeconds(120));
            final long delay = 100 + moments.nextInt(1500);
            TestFiles.sleep(delay);
            LOG.info("kill -9 of the sink {} ms after it was ready (writing new records)", delay);
            sink.kill();
        }
        keepProducing.set(false);
        sink = startSink(5);
        producing.get(120, TimeUnit.SECONDS);
        scenario.delete(List.of(2, 4));
        scenario.abortedUpsert(range(1, 10));
        scenario.close();

        awaitSnapshotAtEndOfTopic(sink);
        final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        assertEquals(200, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/health/ready"))
                .build(), HttpResponse.BodyHandlers.discarding()).statusCode());
        final String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/metrics"))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(metrics.contains("rtdw_lake_ready 1") && metrics.contains("rtdw_lake_rows_written_total "), metrics);
        sink.close();
        try (Stream<String> lines = Files.lines(work.resolve("lake-sink.log"))) {
            assertEquals(1, lines.filter(l -> l.contains("lake sink stopped cleanly")).count(),
                    "SIGTERM flushes and stops; the kills did not");
        }

        final Path bucket = s3.bucketDir(BUCKET);
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement st = duck.createStatement()) {
            final String changelog = "read_parquet('" + bucket + "/changelog/*/*/*.parquet', hive_partitioning=true,"
                    + " filename=true)";
            final Map<String, UnifiedCustomer> expectedRows = scenario.committedRows();
            LOG.info("{} committed rows, {} changelog files", expectedRows.size(),
                    scalar(st, "SELECT count(DISTINCT filename) FROM " + changelog));

            assertEquals(expectedRows.size(), scalar(st, "SELECT count(*) FROM " + changelog), "no duplicate, none missing");
            final Map<String, String> actualRows = new TreeMap<>();
            try (ResultSet rs = st.executeQuery("SELECT kafka_partition, kafka_offset, customer_id, version FROM " + changelog)) {
                while (rs.next()) {
                    actualRows.put(rs.getInt(1) + ":" + rs.getLong(2), rs.getInt(3) + "v" + rs.getLong(4));
                }
            }
            final Map<String, String> expectedIds = new TreeMap<>();
            expectedRows.forEach((at, value) -> expectedIds.put(at, value.getCustomerId() + "v" + value.getVersion()));
            assertEquals(expectedIds, actualRows, "exactly the committed records, at their offsets");

            assertEquals(0, scalar(st, "SELECT count(*) FROM " + changelog + " WHERE profession = '"
                    + UnifiedCustomerScenario.ABORTED + "'"), "aborted records never reach a file");
            assertEquals(0, scalar(st, "SELECT count(*) FROM " + changelog
                    + " WHERE p <> kafka_partition OR CAST(dt AS DATE) <> CAST(timezone('UTC', source_ts_ms) AS DATE)"),
                    "Hive partitions say what the rows hold");
            assertTrue(scalar(st, "SELECT count(DISTINCT dt) FROM " + changelog) >= 2, "the scenario crosses midnight");
            assertEquals(0, scalar(st, "SELECT count(*) FROM (SELECT filename, min(kafka_offset) lo, max(kafka_offset) hi"
                    + " FROM " + changelog + " GROUP BY filename) WHERE NOT ends_with(filename,"
                    + " printf('%020d-%020d.parquet', lo, hi))"), "file names are their first and last offsets");

            final Map<Integer, String> expectedLatest = new TreeMap<>();
            scenario.latest().forEach((id, c) -> expectedLatest.put(id, describe(c.getVersion(), c.getDeleted(),
                    c.getProfession(), c.getFlights().size(), c.getVehicles().size())));
            assertEquals(expectedLatest, latest(st, "SELECT * FROM " + changelog
                    + " QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY version DESC) = 1"),
                    "latest per key from the changelog = the oracle");

            final Map<Integer, String> expectedLive = new TreeMap<>();
            scenario.live().forEach((id, c) -> expectedLive.put(id, describe(c.getVersion(), false,
                    c.getProfession(), c.getFlights().size(), c.getVehicles().size())));
            assertEquals(expectedLive, latest(st, "SELECT * FROM read_parquet('" + bucket + "/snapshot/latest.parquet')"),
                    "the snapshot holds exactly the live customers");
        }

        // The undecodable record went to the dead-letter topic (at least once: a kill may repeat it) and
        // cost nothing else.
        final List<DeadLetter> letters = deadLetters();
        assertTrue(!letters.isEmpty(), "the poison record is dead-lettered");
        for (final DeadLetter letter : letters) {
            assertEquals("lake-sink", letter.getStage());
            assertEquals(poison.partition(), letter.getSourcePartition());
            assertEquals(poison.offset(), letter.getSourceOffset());
            assertEquals("not avro", StandardCharsets.UTF_8.decode(letter.getOriginalValue()).toString());
        }
    }

    /** A value no registry serde wrote, in the middle of the topic. */
    private static RecordMetadata sendPoison() throws Exception {
        try (KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.cluster().bootstrapServers()),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            return raw.send(new ProducerRecord<>(TOPIC.name(), 0, RegistrySerdes.keySerde(TOPIC).serializer()
                    .serialize(TOPIC.name(), new CustomerKey(999)), "not avro".getBytes(StandardCharsets.UTF_8))).get();
        }
    }

    private static List<DeadLetter> deadLetters() {
        final String topic = CATALOG.lakeSinkDeadLetters().name();
        final Deserializer<DeadLetter> values = RegistryServer.shared().serdes().valueSerde(CATALOG.lakeSinkDeadLetters())
                .deserializer();
        final List<DeadLetter> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.cluster().bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            final TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            final long end = consumer.endOffsets(List.of(tp)).get(tp);
            while (consumer.position(tp) < end) {
                consumer.poll(Duration.ofMillis(500)).forEach(r -> out.add(values.deserialize(topic, r.value())));
            }
        }
        return out;
    }

    private static Map<Integer, String> latest(final Statement st, final String sql) throws SQLException {
        final Map<Integer, String> out = new TreeMap<>();
        try (ResultSet rs = st.executeQuery("SELECT customer_id, version, deleted, profession, len(flights), len(vehicles)"
                + " FROM (" + sql + ")")) {
            while (rs.next()) {
                assertEquals(null, out.put(rs.getInt(1), describe(rs.getLong(2), rs.getBoolean(3), rs.getString(4),
                        rs.getInt(5), rs.getInt(6))), "one row per customer");
            }
        }
        return out;
    }

    private static String describe(final long version, final boolean deleted, final String profession,
                                   final int flights, final int vehicles) {
        return "v" + version + (deleted ? " deleted" : " " + profession + " f" + flights + " v" + vehicles);
    }

    /**
     * Rounds of transactions (updates, new customers, deletes, re-creations, aborted writes) until told to stop;
     * at least 60 rounds, at most 1500.
     */
    private static void produce(final UnifiedCustomerScenario scenario, final AtomicBoolean keepGoing) {
        final Random random = new Random(7);
        for (int round = 0; round < 1500 && (round < 60 || keepGoing.get()); round++) {
            final List<Integer> ids = random.ints(8, 1, 60).boxed().distinct().toList();
            switch (round % 6) {
                case 2 -> scenario.abortedUpsert(ids);
                case 4 -> scenario.delete(ids.subList(0, 1));
                default -> scenario.upsert(ids);
            }
            TestFiles.sleep(50);
        }
    }

    private ChildJvm startSink(final int run) {
        httpPort = ChildJvm.freePort();
        final Map<String, String> env = SinkJvm.env(KAFKA.cluster().bootstrapServers(), s3, BUCKET, httpPort);
        // Small files and frequent flushes: many file boundaries for the kills to fall between.
        env.put(LakeSinkConfig.MAX_RECORDS.name(), "25");
        env.put(LakeSinkConfig.FLUSH_INTERVAL_MS.name(), "300");
        env.put(LakeSinkConfig.SNAPSHOT_INTERVAL_MS.name(), "1000");
        final ChildJvm sink = SinkJvm.start("lake-sink-" + run, env, work.resolve("lake-sink.log"));
        children.add(sink);
        sink.awaitHttp("http://127.0.0.1:" + httpPort + "/health/live", Duration.ofSeconds(60));
        return sink;
    }

    private void awaitFiles(final int atLeast) {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (changelogFiles() < atLeast) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the sink wrote fewer than " + atLeast + " files; see " + work.resolve("lake-sink.log"));
            }
            TestFiles.sleep(100);
        }
    }

    private long changelogFiles() {
        final Path root = s3.bucketDir(BUCKET).resolve("changelog");
        if (!Files.isDirectory(root)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(p -> p.toString().endsWith(".parquet")).count();
        } catch (final IOException | UncheckedIOException e) {
            return 0; // a directory appeared or vanished while walking
        }
    }

    /** Waits until the snapshot's footer says it reflects every committed record (the log-stable offsets). */
    private void awaitSnapshotAtEndOfTopic(final ChildJvm sink) throws Exception {
        final Map<TopicPartition, OffsetSpec> request = IntStream.range(0, TOPIC.partitions()).boxed()
                .collect(Collectors.toMap(p -> new TopicPartition(TOPIC.name(), p), p -> OffsetSpec.latest()));
        final String expected = KAFKA.cluster().admin().listOffsets(request,
                        new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get(30, TimeUnit.SECONDS)
                .entrySet().stream().sorted(Comparator.comparingInt(e -> e.getKey().partition()))
                .map(e -> e.getKey().partition() + ":" + e.getValue().offset()).collect(Collectors.joining(","));
        final Path snapshot = s3.bucketDir(BUCKET).resolve("snapshot").resolve("latest.parquet");
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        String seen = null;
        while (System.nanoTime() < deadline) {
            if (!sink.isAlive()) {
                throw new AssertionError("the sink died with " + sink.exitCode() + "; see " + work.resolve("lake-sink.log"));
            }
            if (Files.isRegularFile(snapshot)) {
                try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement st = duck.createStatement();
                     ResultSet rs = st.executeQuery("SELECT decode(value) FROM parquet_kv_metadata('" + snapshot
                             + "') WHERE decode(key) = '" + LakeSink.SNAPSHOT_OFFSETS_KEY + "'")) {
                    seen = rs.next() ? rs.getString(1) : null;
                } catch (final SQLException e) {
                    seen = "unreadable: " + e.getMessage(); // caught mid-rename
                }
                if (expected.equals(seen)) {
                    return;
                }
            }
            TestFiles.sleep(250);
        }
        throw new AssertionError("snapshot at " + seen + ", topic at " + expected);
    }

    private static long scalar(final Statement st, final String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static List<Integer> range(final int from, final int to) {
        return IntStream.rangeClosed(from, to).boxed().toList();
    }
}
