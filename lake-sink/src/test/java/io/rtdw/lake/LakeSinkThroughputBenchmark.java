package io.rtdw.lake;

import io.rtdw.runtime.OpsServer;
import io.rtdw.runtime.KafkaClients;
import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.UnifiedFlight;
import io.rtdw.schemas.UnifiedVehicle;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.testing.RegistryServer;
import io.rtdw.testing.ChildJvm;
import io.rtdw.testing.KafkaClusterExtension;
import io.rtdw.testing.S3ProxyServer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Throughput and latency of the lake sink (child JVM, 256 MB heap) on the 3-broker cluster and s3proxy. Prints
 * numbers; asserts only that every record landed once. Not part of the default build (no *IT suffix):
 * {@code mvn -o -pl lake-sink verify -Dit.test=LakeSinkThroughputBenchmark -Dtest=none
 * -Dsurefire.failIfNoSpecifiedTests=false [-Dbench.records=50000]}.
 */
class LakeSinkThroughputBenchmark {

    @RegisterExtension
    static final KafkaClusterExtension KAFKA = new KafkaClusterExtension();

    private static final TopicCatalog CATALOG = TopicCatalog.DEFAULT;
    private static final Topic<CustomerKey, UnifiedCustomer> TOPIC = CATALOG.unifiedCustomers();

    @Test
    void backlogThroughputAndSteadyStateLatency() throws Exception {
        final int records = Integer.getInteger("bench.records", 30_000);
        final Path work = Path.of("target", "it", "lake-bench");
        deleteRecursively(work);
        Files.createDirectories(work);
        KAFKA.cluster().createTopics(List.of(TOPIC));
        final Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.cluster().bootstrapServers());
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "bench");
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        final List<ChildJvm> children = new ArrayList<>();
        try (S3ProxyServer s3 = S3ProxyServer.start(work);
             KafkaProducer<CustomerKey, UnifiedCustomer> producer = new KafkaProducer<>(props,
                     RegistrySerdes.keySerde(TOPIC).serializer(), RegistryServer.shared().serdes().valueSerde(TOPIC).serializer())) {
            producer.initTransactions();
            final long produceStart = System.nanoTime();
            for (int batch = 0; batch < records / 1000; batch++) {
                producer.beginTransaction();
                for (int i = 0; i < 1000; i++) {
                    final int n = batch * 1000 + i;
                    producer.send(new ProducerRecord<>(TOPIC.name(), new CustomerKey(1 + n % 5000), customer(n)));
                }
                producer.commitTransaction();
            }
            System.out.printf("BENCH produced %d records (3 flights, 2 vehicles each) in %d ms%n", records,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - produceStart));

            final Map<String, String> env = new HashMap<>();
            env.put(KafkaClients.BOOTSTRAP_SERVERS.name(), KAFKA.cluster().bootstrapServers());
            env.put(LakeSinkConfig.S3_ENDPOINT.name(), s3.endpoint());
            env.put(LakeSinkConfig.S3_ACCESS_KEY.name(), S3ProxyServer.ACCESS);
            env.put(LakeSinkConfig.S3_SECRET_KEY.name(), S3ProxyServer.SECRET);
            env.put(OpsServer.HTTP_PORT.name(), String.valueOf(ChildJvm.freePort()));
            env.put(LakeSinkConfig.FLUSH_INTERVAL_MS.name(), "1000");
            env.put(RegistrySerdes.URL.name(), RegistryServer.shared().url());
            final long sinkStart = System.nanoTime();
            final ChildJvm sink = SinkJvm.start("lake-sink", env, work.resolve("lake-sink.log"));
            children.add(sink);
            final Path bucket = s3.bucketDir("rtdw-lake");
            awaitRows(bucket, records);
            final long backlogMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sinkStart);
            final long bytes = parquetBytes(bucket);
            System.out.printf("BENCH sink JVM start + backlog of %d records into %d files (%d KiB, SNAPPY) in %d ms:"
                    + " %.0f records/s including JVM start%n", records, files(bucket), bytes / 1024, backlogMs,
                    records * 1000.0 / backlogMs);

            final List<Long> latencies = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                final long sent = System.nanoTime();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>(TOPIC.name(), new CustomerKey(1), customer(records + i)));
                producer.commitTransaction();
                awaitRows(bucket, records + i + 1);
                latencies.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent));
            }
            System.out.printf("BENCH commit-to-file latency, one record at a time, flush interval 1000 ms: %s ms%n",
                    latencies);
            try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement st = duck.createStatement();
                 ResultSet rs = st.executeQuery("SELECT count(*), count(DISTINCT (kafka_partition, kafka_offset)) FROM "
                         + "read_parquet('" + bucket + "/changelog/*/*/*.parquet')")) {
                rs.next();
                assertEquals(records + 5, rs.getLong(1));
                assertEquals(records + 5, rs.getLong(2));
            }
        } finally {
            children.forEach(ChildJvm::close);
        }
    }

    private static UnifiedCustomer customer(final int n) {
        final Instant ts = Instant.parse("2026-11-21T00:00:00Z").plusSeconds(n);
        final List<UnifiedFlight> flights = new ArrayList<>();
        for (int f = 0; f < 3; f++) {
            flights.add(UnifiedFlight.newBuilder().setFlightId(n * 3 + f).setAirline("airline-" + f).setAirport("GRU")
                    .setIataCode("LA" + f).setSourceTsMs(ts).build());
        }
        final List<UnifiedVehicle> vehicles = new ArrayList<>();
        for (int v = 0; v < 2; v++) {
            vehicles.add(UnifiedVehicle.newBuilder().setVehicleId(n * 2 + v).setMaker("maker-" + v).setModel("model")
                    .setCategory("SUV").setVehicleYear(2020).setSourceTsMs(ts).build());
        }
        return UnifiedCustomer.newBuilder().setCustomerId(1 + n % 5000).setVersion(1 + n / 5000).setSourceTsMs(ts)
                .setName("customer " + n).setEmail("c" + n + "@example.com").setProfession("engineer")
                .setFlightCount(3).setVehicleCount(2).setFlights(flights).setVehicles(vehicles).build();
    }

    private static void awaitRows(final Path bucket, final long rows) throws Exception {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        while (System.nanoTime() < deadline) {
            if (files(bucket) > 0) {
                try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement st = duck.createStatement();
                     ResultSet rs = st.executeQuery("SELECT count(*) FROM read_parquet('" + bucket
                             + "/changelog/*/*/*.parquet')")) {
                    rs.next();
                    if (rs.getLong(1) >= rows) {
                        return;
                    }
                } catch (final java.sql.SQLException e) {
                    // a file appeared between the glob and the read
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("fewer than " + rows + " rows in the bucket after 300 s");
    }

    private static long files(final Path bucket) throws IOException {
        final Path root = bucket.resolve("changelog");
        if (!Files.isDirectory(root)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(p -> p.toString().endsWith(".parquet")).count();
        }
    }

    private static long parquetBytes(final Path bucket) throws IOException {
        try (Stream<Path> files = Files.walk(bucket.resolve("changelog"))) {
            return files.filter(p -> p.toString().endsWith(".parquet")).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private static void deleteRecursively(final Path path) {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> files = Files.walk(path)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
