package io.rtdw.dev;

import io.rtdw.catalog.CustomerPartitioner;
import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.cdc.CdcConfig;
import io.rtdw.lake.ChangelogFile;
import io.rtdw.lake.LakeRows;
import io.rtdw.runtime.KafkaClients;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.streams.config.StreamsSettings;
import io.rtdw.streams.tools.PipelineDriver;
import io.rtdw.testing.ChangeLines;
import io.rtdw.testing.KafkaClusterExtension;
import io.rtdw.testing.RegistryServer;
import io.rtdw.testing.S3ProxyServer;
import io.rtdw.lake.LakeSinkConfig;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code rtdw erase} against a real 3-broker cluster, the real registry, an embedded PostgreSQL and lake files
 * written by the lake sink's own writer. The CDC topics hold what the capture would write for four customers
 * (changes routed by {@link CustomerPartitioner}, values in the registry's framing); the output topic and the lake
 * hold what the real topology ({@link PipelineDriver}) makes of them. Customer 7 has two flights and a vehicle that are
 * deleted, and a flight that moved to customer 8 and still exists; then customer 7 is deleted.
 *
 * <p>Erase refuses while the source still has the customer, while the streams app's group has not read the deletes and
 * while the lake has not written the delete; a dry run writes nothing; the real run writes the tombstones and rewrites
 * the lake files. Then, once the broker's cleaner ran (segments of one second, a low dirty ratio), no record of
 * customer 7's keys with a value remains in the CDC topics, every other key's last record is what was produced, no
 * Parquet row of customer 7 remains and every other row is there. A second run does nothing.
 */
class EraseIT {

    /** The broker's cleaner looks for work every 200 ms instead of every 15 s. */
    @RegisterExtension
    static final KafkaClusterExtension KAFKA = new KafkaClusterExtension(Map.of("log.cleaner.backoff.ms", "200"));

    private static final int N = 7;
    private static final String APP = "erase-app";
    private static final TopicCatalog CATALOG = new TopicCatalog("erase", "public", "rtdw", 3, (short) 3);
    private static final long T0 = Instant.parse("2026-11-20T10:00:00Z").toEpochMilli();

    private static final String CHANGES = """
            {"table":"customers","op":"CREATE","id":5,"after":{"nome":"Eva","email":"eva@example.org"},"ts":%d}
            {"table":"customers","op":"CREATE","id":6,"after":{"nome":"Rui","email":"rui@example.org"}}
            {"table":"customers","op":"CREATE","id":7,"after":{"nome":"Ana Erased","email":"ana@example.org","telefone":"+351 900"}}
            {"table":"customers","op":"CREATE","id":8,"after":{"nome":"Bia","email":"bia@example.org"}}
            {"table":"flight","op":"CREATE","id":70,"after":{"customer_id":7,"aeroporto":"LIS","linha_aerea":"TAP"}}
            {"table":"flight","op":"CREATE","id":71,"after":{"customer_id":7,"aeroporto":"OPO","linha_aerea":"TAP"}}
            {"table":"flight","op":"CREATE","id":72,"after":{"customer_id":7,"aeroporto":"FAO","linha_aerea":"GOL"}}
            {"table":"flight","op":"CREATE","id":80,"after":{"customer_id":8,"aeroporto":"GRU","linha_aerea":"GOL"}}
            {"table":"vehicle","op":"CREATE","id":700,"after":{"customer_id":7,"modelo":"Uno","fabricante":"Fiat"}}
            {"table":"vehicle","op":"CREATE","id":500,"after":{"customer_id":5,"modelo":"Golf","fabricante":"VW"}}
            {"table":"customers","op":"UPDATE","id":7,"before":{"nome":"Ana Erased","email":"ana@example.org","telefone":"+351 900"},"after":{"nome":"Ana Erased","email":"ana@new.example.org","telefone":"+351 901"}}
            {"table":"customers","op":"UPDATE","id":5,"before":{"nome":"Eva","email":"eva@example.org"},"after":{"nome":"Eva","email":"eva@new.example.org"}}
            {"table":"flight","op":"UPDATE","id":72,"before":{"customer_id":7,"aeroporto":"FAO","linha_aerea":"GOL"},"after":{"customer_id":8,"aeroporto":"FAO","linha_aerea":"GOL"}}
            {"table":"flight","op":"DELETE","id":70,"before":{"customer_id":7,"aeroporto":"LIS","linha_aerea":"TAP"}}
            {"table":"flight","op":"DELETE","id":71,"before":{"customer_id":7,"aeroporto":"OPO","linha_aerea":"TAP"}}
            {"table":"vehicle","op":"DELETE","id":700,"before":{"customer_id":7,"modelo":"Uno","fabricante":"Fiat"}}
            {"table":"customers","op":"DELETE","id":7,"before":{"nome":"Ana Erased","email":"ana@new.example.org","telefone":"+351 901"}}
            """.formatted(T0);

    /** The keys erase must tombstone: topic -> key ids. */
    private static final Map<String, Set<Integer>> ERASED = Map.of(
            CATALOG.customers().name(), Set.of(N),
            CATALOG.flights().name(), Set.of(70, 71),
            CATALOG.vehicles().name(), Set.of(700));

    private static EmbeddedPostgres pg;
    private static RegistrySerdes serdes;
    private static S3ProxyServer s3;
    /** The bucket: s3proxy's directory of bucket rtdw-lake (the local stack's layout), read as --lake or over S3. */
    private static Path lake;

    @TempDir
    static Path work;

    @BeforeAll
    static void start() throws Exception {
        serdes = RegistryServer.shared().serdes();
        s3 = S3ProxyServer.builder(work).buckets("rtdw-lake").start();
        lake = s3.bucketDir("rtdw-lake");
        Files.createDirectories(lake);
        pg = EmbeddedPostgres.builder().start();
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE public.customers (id serial NOT NULL, nome text NULL, email text NULL, "
                    + "CONSTRAINT customers_pkey PRIMARY KEY (id))");
            st.execute("CREATE TABLE public.flight (id serial NOT NULL, customer_id int NOT NULL, aeroporto text NULL, "
                    + "CONSTRAINT flight_pkey PRIMARY KEY (id))");
            // The source after the changes above, except that customer 7 is still there (the first run must refuse).
            st.execute("INSERT INTO customers (id, nome) VALUES (5, 'Eva'), (6, 'Rui'), (7, 'Ana Erased'), (8, 'Bia')");
            st.execute("INSERT INTO flight (id, customer_id) VALUES (72, 8), (80, 8)");
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (pg != null) {
            pg.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    @Test
    void erasesOneCustomerFromTheCdcTopicsAndTheLakeAndNothingElse() throws Exception {
        final Admin admin = KAFKA.cluster().admin();
        KAFKA.cluster().createTopics(CATALOG.all());
        for (final Topic<?, ?> topic : List.of(CATALOG.customers(), CATALOG.flights(), CATALOG.vehicles(),
                CATALOG.unifiedCustomers())) {
            final Map<String, String> actual = configs(admin, topic.name());
            TopicCatalog.COMPACTION_BOUNDS.forEach((key, value) ->
                    assertEquals(value, actual.get(key), topic.name() + " is created with " + key));
        }
        // Compaction must run within the test: one-second segments, any dirty ratio, records compactable at once.
        for (final Topic<?, ?> topic : CATALOG.cdcTopics()) {
            alter(admin, topic.name(), Map.of("segment.ms", "1000", "min.cleanable.dirty.ratio", "0.01",
                    "max.compaction.lag.ms", "1000"));
        }

        // The CDC topics, as the capture writes them.
        final List<ChangeLines.Line> lines = ChangeLines.parse(new BufferedReader(new StringReader(CHANGES)));
        final Map<String, Map<String, byte[]>> produced = new HashMap<>(); // topic -> "p/key" -> last value bytes
        final Map<String, Map<Integer, Long>> produceEnd = new HashMap<>();
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            for (final ChangeLines.Line line : lines) {
                final Topic<?, ?> topic = topic(line);
                final byte[] key = keyBytes(topic, line.key());
                final byte[] value = valueBytes(topic, line.value());
                for (final int p : CustomerPartitioner.partitions(line.value(), CATALOG.partitions())) {
                    producer.send(new ProducerRecord<>(topic.name(), p, line.timestampMs(), key, value)).get();
                    produced.computeIfAbsent(topic.name(), t -> new TreeMap<>()).put(p + "/" + id(line.key()), value);
                }
            }
        }

        // A value the streams app dead-letters (not registry-framed Avro): erase must read past it, and say so.
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            final int p = CustomerPartitioner.partition(6, CATALOG.partitions());
            final byte[] poison = "not avro".getBytes(StandardCharsets.UTF_8);
            producer.send(new ProducerRecord<>(CATALOG.customers().name(), p,
                    keyBytes(CATALOG.customers(), new CustomerKey(6)), poison)).get();
            produced.get(CATALOG.customers().name()).put(p + "/6", poison);
        }

        // The output topic and the lake, from the real topology.
        final List<KeyValue<CustomerKey, UnifiedCustomer>> output;
        try (PipelineDriver driver = new PipelineDriver(TopicCatalog.DEFAULT, 100)) {
            lines.forEach(driver::pipe);
            output = driver.readOutput();
        }
        final Map<Integer, List<GenericRecord>> rowsByPartition = new TreeMap<>();
        final Map<Integer, GenericRecord> latestRow = new TreeMap<>();
        final Set<String> expectedOtherRows = new TreeSet<>();
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            final Topic<CustomerKey, UnifiedCustomer> topic = CATALOG.unifiedCustomers();
            for (final KeyValue<CustomerKey, UnifiedCustomer> r : output) {
                final int p = CustomerPartitioner.partition(r.key.getId(), CATALOG.partitions());
                final RecordMetadata m = producer.send(new ProducerRecord<>(topic.name(), p, keyBytes(topic, r.key),
                        r.value == null ? null : valueBytes(topic, r.value))).get();
                if (r.value != null) {
                    final GenericRecord row = LakeRows.row(r.value, p, m.offset(), m.timestamp());
                    rowsByPartition.computeIfAbsent(p, k -> new ArrayList<>()).add(row);
                    if (!r.value.getDeleted()) {
                        latestRow.put(r.key.getId(), row);
                    }
                    if (r.key.getId() != N) {
                        expectedOtherRows.add(p + "/" + m.offset() + "/" + r.key.getId() + "/" + r.value.getVersion());
                    }
                }
            }
        }
        final int partitionOfN = CustomerPartitioner.partition(N, CATALOG.partitions());
        final List<GenericRecord> rowsOfNsPartition = rowsByPartition.get(partitionOfN);
        assertTrue(rowsOfNsPartition.stream().anyMatch(r -> (int) r.get("customer_id") == N && (boolean) r.get("deleted")),
                "the topology wrote customer 7's delete marker");
        // The lake sink has not yet written the last file of customer 7's partition (the one with its delete).
        rowsByPartition.forEach((p, rows) -> {
            if (p != partitionOfN) {
                writeChangelog(p, rows);
            }
        });
        writeChangelog(partitionOfN, rowsOfNsPartition.subList(0, rowsOfNsPartition.size() - 1));
        // A snapshot written before the delete: it still holds customer 7.
        Files.createDirectories(lake.resolve("snapshot"));
        LakeRows.parquet(latestRow.values(), CompressionCodecName.SNAPPY, Map.of("rtdw.snapshot.offsets", "0:0"),
                lake.resolve("snapshot/latest.parquet"));
        assertTrue(latestRow.containsKey(N));

        final Map<String, String> env = env();
        final List<String> args = List.of("--customer", String.valueOf(N), "--lake", lake.toString());

        // 1. The source still has customer 7.
        Run run = erase(args, env);
        assertEquals(1, run.code, run.text());
        assertTrue(run.err.contains("customer 7 still exists in PostgreSQL"), run.text());
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
            st.execute("DELETE FROM customers WHERE id = 7");
        }

        // 2. The streams app has not read the deletes yet, and the lake has not written customer 7's delete.
        commitStreamsApp(admin, false);
        run = erase(args, env);
        assertEquals(1, run.code, run.text());
        assertTrue(run.err.contains("the streams app (group " + APP + ") has not read"), run.text());
        assertTrue(run.err.contains("the lake's changelog of partition " + partitionOfN), run.text());
        commitStreamsApp(admin, true);
        writeChangelog(partitionOfN, rowsOfNsPartition.subList(rowsOfNsPartition.size() - 1, rowsOfNsPartition.size()));

        // 3. A dry run lists and writes nothing.
        final Map<String, Long> endBefore = endOffsets(CATALOG.cdcTopics());
        final Map<Path, byte[]> lakeBefore = lakeFiles();
        run = erase(List.of("--customer", String.valueOf(N), "--lake", lake.toString(), "--dry-run"), env);
        assertEquals(0, run.code, run.text());
        assertTrue(run.out.contains("would write a tombstone for customer 7"), run.text());
        assertEquals(endBefore, endOffsets(CATALOG.cdcTopics()), "a dry run writes no record");
        assertLakeUnchanged(lakeBefore);

        // 4. The erasure, over S3 this time (the files are downloaded, rewritten and uploaded under their names).
        run = erase(List.of("--customer", String.valueOf(N), "--s3"), env);
        assertEquals(0, run.code, run.text());
        assertTrue(run.out.contains("flight 72 now belongs to customer 8: no tombstone"), run.text());
        assertTrue(run.out.contains("Pinot"), "the manual steps are printed: " + run.text());
        // Customer 7, flights 70 and 71, vehicle 700: each written to customer 7's partition only.
        // The lake: both changelog files of customer 7's partition and the stale snapshot.
        assertTrue(run.out.contains("summary: wrote 4 tombstone(s) (customer 1, flights 2, vehicles 1), rewrote 3 lake"
                + " file(s)"), run.text());
        assertTrue(run.out.contains("rewrote s3://rtdw-lake/snapshot/latest.parquet: 1 row(s) removed"), run.text());
        assertTrue(run.err.contains("1 record(s) of erase.public.customers cannot be decoded"), run.text());

        // The lake: no row of customer 7, every other row.
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement st = duck.createStatement()) {
            final String changelog = "read_parquet('" + lake + "/changelog/*/*/*.parquet')";
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + changelog + " WHERE customer_id = " + N)) {
                assertTrue(rs.next());
                assertEquals(0, rs.getLong(1), "no changelog row of customer 7");
            }
            final Set<String> rows = new TreeSet<>();
            try (ResultSet rs = st.executeQuery("SELECT kafka_partition, kafka_offset, customer_id, version FROM " + changelog)) {
                while (rs.next()) {
                    rows.add(rs.getInt(1) + "/" + rs.getLong(2) + "/" + rs.getInt(3) + "/" + rs.getLong(4));
                }
            }
            assertEquals(expectedOtherRows, rows, "the other customers' rows are all there, and nothing else");
            try (ResultSet rs = st.executeQuery("SELECT list(customer_id ORDER BY customer_id) FROM '" + lake
                    + "/snapshot/latest.parquet'")) {
                assertTrue(rs.next());
                assertEquals("[5, 6, 8]", rs.getString(1), "the stale snapshot lost customer 7 only");
            }
        }

        // The CDC topics after compaction: no value of an erased key, every other key's last record as produced.
        final Map<String, Map<String, byte[]>> expected = new HashMap<>();
        produced.forEach((topic, keys) -> keys.forEach((pk, value) -> {
            if (!ERASED.get(topic).contains(Integer.parseInt(pk.substring(pk.indexOf('/') + 1)))) {
                expected.computeIfAbsent(topic, t -> new TreeMap<>()).put(pk, value);
            }
        }));
        final long compactionStarted = System.nanoTime();
        final long deadline = compactionStarted + Duration.ofSeconds(180).toNanos();
        List<String> left;
        try (KafkaProducer<byte[], byte[]> filler = producer()) {
            while (true) {
                left = erasedValuesLeft();
                if (left.isEmpty()) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    fail("compaction left records of customer 7's keys with a value: " + left);
                }
                // Kafka rolls a segment (which makes it cleanable) only when a record arrives after segment.ms, and
                // some partitions get no other record: append to every partition a tombstone of a key that never had
                // a value (readers skip it; it changes no key's state).
                for (final Topic<?, ?> topic : CATALOG.cdcTopics()) {
                    for (int p = 0; p < CATALOG.partitions(); p++) {
                        filler.send(new ProducerRecord<>(topic.name(), p, keyBytes(topic, keyOf(topic, unusedId(p))),
                                null)).get();
                    }
                }
                pollInterval();
            }
        }
        System.out.println("compaction removed every value of customer 7's keys "
                + (System.nanoTime() - compactionStarted) / 1_000_000 + " ms after the erasure");
        for (final Topic<?, ?> topic : CATALOG.cdcTopics()) {
            final Map<String, byte[]> actual = lastValues(topic.name(), false);
            final Map<String, byte[]> want = expected.get(topic.name());
            assertEquals(want.keySet(), actual.keySet(), topic.name() + ": the other keys keep a record");
            want.forEach((pk, value) -> assertArrayEquals(value, actual.get(pk), topic.name() + " " + pk));
        }

        // 5. A second run has nothing to do, on disk or over S3.
        final Map<String, Long> endAfter = endOffsets(CATALOG.cdcTopics());
        final Map<Path, byte[]> lakeAfter = lakeFiles();
        run = erase(List.of("--customer", String.valueOf(N), "--lake", lake.toString(), "--s3"), env);
        assertEquals(0, run.code, run.text());
        assertTrue(run.out.contains("nothing to do"), run.text());
        assertEquals(endAfter, endOffsets(CATALOG.cdcTopics()), "no tombstone written twice");
        assertLakeUnchanged(lakeAfter);
    }

    /** "topic p/key" of every record with a value of an erased key. */
    private List<String> erasedValuesLeft() {
        final List<String> left = new ArrayList<>();
        for (final Topic<?, ?> topic : CATALOG.cdcTopics()) {
            readAll(topic.name(), r -> {
                final int id = id(RegistrySerdes.keySerde(topic).deserializer().deserialize(topic.name(), r.key()));
                if (r.value() != null && ERASED.get(topic.name()).contains(id)) {
                    left.add(topic.name() + " " + r.partition() + "/" + id + "@" + r.offset());
                }
            });
        }
        return left;
    }

    /** A customer id above every id of the test whose customer partition is {@code partition}. */
    private static int unusedId(final int partition) {
        int id = 1_000_000;
        while (CustomerPartitioner.partition(id, CATALOG.partitions()) != partition) {
            id++;
        }
        return id;
    }

    /** The interval between two checks of the condition (the cleaner looks for work every 200 ms here). */
    private static void pollInterval() throws InterruptedException {
        Thread.sleep(300);
    }

    private Map<String, byte[]> lastValues(final String topic, final boolean withTombstones) {
        final Map<String, byte[]> last = new TreeMap<>();
        final Topic<?, ?> t = CATALOG.cdcTopics().stream().filter(x -> x.name().equals(topic)).findFirst().orElseThrow();
        readAll(topic, r -> {
            final String pk = r.partition() + "/" + id(RegistrySerdes.keySerde(t).deserializer().deserialize(topic, r.key()));
            if (r.value() == null && !withTombstones) {
                last.remove(pk);
            } else {
                last.put(pk, r.value());
            }
        });
        return last;
    }

    private static void readAll(final String topic, final java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> each) {
        final Map<String, Object> config = new HashMap<>(KafkaClients.of(KAFKA.cluster().bootstrapServers()).consumer(null));
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            final List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            final long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                assertTrue(System.nanoTime() < deadline, "reading " + topic);
                consumer.poll(Duration.ofMillis(200)).forEach(each);
            }
        }
    }

    private Map<String, Long> endOffsets(final List<Topic<?, ?>> topics) {
        final Map<String, Long> out = new TreeMap<>();
        final Map<String, Object> config = new HashMap<>(KafkaClients.of(KAFKA.cluster().bootstrapServers()).consumer(null));
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            for (final Topic<?, ?> topic : topics) {
                final List<TopicPartition> partitions = consumer.partitionsFor(topic.name()).stream()
                        .map(i -> new TopicPartition(topic.name(), i.partition())).toList();
                consumer.endOffsets(partitions).forEach((tp, o) -> out.put(tp.toString(), o));
            }
        }
        return out;
    }

    /** The streams app's group: at the start of every CDC partition, or at its end. */
    private void commitStreamsApp(final Admin admin, final boolean caughtUp) throws Exception {
        final Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        endOffsets(CATALOG.cdcTopics()).forEach((tp, end) -> {
            final int dash = tp.lastIndexOf('-');
            offsets.put(new TopicPartition(tp.substring(0, dash), Integer.parseInt(tp.substring(dash + 1))),
                    new OffsetAndMetadata(caughtUp ? end : 0));
        });
        admin.alterConsumerGroupOffsets(APP, offsets).all().get();
    }

    private static void writeChangelog(final int partition, final List<GenericRecord> rows) {
        final long first = (long) rows.get(0).get("kafka_offset");
        final long last = (long) rows.get(rows.size() - 1).get("kafka_offset");
        final LocalDate dt = Instant.ofEpochMilli(T0).atZone(ZoneOffset.UTC).toLocalDate();
        final Path file = lake.resolve(new ChangelogFile(dt, partition, first, last).objectName());
        try {
            Files.createDirectories(file.getParent());
            Files.write(file, LakeRows.parquet(rows, CompressionCodecName.SNAPPY, Map.of()));
        } catch (final java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Map<Path, byte[]> lakeFiles() throws Exception {
        final Map<Path, byte[]> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(lake)) {
            for (final Path f : walk.filter(Files::isRegularFile).toList()) {
                files.put(f, Files.readAllBytes(f));
            }
        }
        return files;
    }

    private static void assertLakeUnchanged(final Map<Path, byte[]> before) throws Exception {
        final Map<Path, byte[]> now = lakeFiles();
        assertEquals(before.keySet(), now.keySet(), "the same lake files");
        before.forEach((f, bytes) -> assertArrayEquals(bytes, now.get(f), f + " unchanged"));
    }

    private static Map<String, String> configs(final Admin admin, final String topic) throws Exception {
        final ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        final Map<String, String> out = new TreeMap<>();
        admin.describeConfigs(List.of(resource)).all().get().get(resource).entries()
                .forEach(e -> out.put(e.name(), e.value()));
        return out;
    }

    private static void alter(final Admin admin, final String topic, final Map<String, String> configs) throws Exception {
        final ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        final List<AlterConfigOp> ops = configs.entrySet().stream()
                .map(e -> new AlterConfigOp(new ConfigEntry(e.getKey(), e.getValue()), AlterConfigOp.OpType.SET)).toList();
        admin.incrementalAlterConfigs(Map.of(resource, ops)).all().get();
    }

    private static Map<String, String> env() {
        final Map<String, String> env = new HashMap<>();
        env.put(KafkaClients.BOOTSTRAP_SERVERS.name(), KAFKA.cluster().bootstrapServers());
        env.put(RegistrySerdes.URL.name(), RegistryServer.shared().url());
        env.put(TopicCatalog.PREFIX.name(), CATALOG.prefix());
        env.put(TopicCatalog.PARTITIONS.name(), String.valueOf(CATALOG.partitions()));
        env.put(StreamsSettings.APPLICATION_ID.name(), APP);
        env.put(CdcConfig.PG_PORT.name(), String.valueOf(pg.getPort()));
        env.put(CdcConfig.PG_PASSWORD.name(), "postgres");
        env.put(LakeSinkConfig.S3_ENDPOINT.name(), s3.endpoint());
        env.put(LakeSinkConfig.S3_ACCESS_KEY.name(), S3ProxyServer.ACCESS);
        env.put(LakeSinkConfig.S3_SECRET_KEY.name(), S3ProxyServer.SECRET);
        return env;
    }

    private record Run(int code, String out, String err) {
        String text() {
            return "exit " + code + "\n--- out\n" + out + "--- err\n" + err;
        }
    }

    private static Run erase(final List<String> args, final Map<String, String> env) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int code = Erase.run(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        final Run run = new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        System.out.println("rtdw erase " + String.join(" ", args) + "\n" + run.text());
        return run;
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        return new KafkaProducer<>(KafkaClients.of(KAFKA.cluster().bootstrapServers()).producer("erase-it"),
                new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static Topic<?, ?> topic(final ChangeLines.Line line) {
        return switch (line.table()) {
            case CUSTOMERS -> CATALOG.customers();
            case FLIGHT -> CATALOG.flights();
            case VEHICLE -> CATALOG.vehicles();
        };
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static byte[] keyBytes(final Topic topic, final Object key) {
        return ((Serializer) RegistrySerdes.keySerde(topic).serializer()).serialize(topic.name(), key);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static byte[] valueBytes(final Topic topic, final Object value) {
        return ((Serializer) serdes.valueSerde(topic).serializer()).serialize(topic.name(), value);
    }

    private static Object keyOf(final Topic<?, ?> topic, final int id) {
        if (topic.keyType() == CustomerKey.class) {
            return new CustomerKey(id);
        }
        if (topic.keyType() == io.rtdw.schemas.FlightKey.class) {
            return new io.rtdw.schemas.FlightKey(id);
        }
        return new io.rtdw.schemas.VehicleKey(id);
    }

    private static int id(final Object key) {
        final SpecificRecord record = (SpecificRecord) key;
        return (Integer) record.get(0);
    }
}
