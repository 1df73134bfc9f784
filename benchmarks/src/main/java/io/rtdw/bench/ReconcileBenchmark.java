package io.rtdw.bench;

import io.rtdw.catalog.SourceChange;
import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.cli.reconcile.Reconciler;
import io.rtdw.cli.reconcile.Result;
import io.rtdw.lake.LakeRows;
import io.rtdw.runtime.KafkaClients;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.VehicleChange;
import io.rtdw.schemas.VehicleKey;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.testing.CdcEnvelopes;
import io.rtdw.testing.KafkaTestCluster;
import io.rtdw.testing.Oracle;
import io.rtdw.testing.PostgresRows;
import io.rtdw.testing.RegistryServer;
import io.rtdw.testing.WorkloadGenerator;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * How long {@code rtdw reconcile} takes for a large warehouse (a program that prints figures, no timed assertions):
 * N customers (default 100,000) with 2 flights and 1.5 vehicles each on average (random owners, about 2 % orphans),
 * in a real PostgreSQL, the vehicles as
 * CDC records on a 3-broker Kafka, the output topic holding what the test kit's {@link Oracle} computes from the
 * rows read back from PostgreSQL (real registry serdes), and the Parquet snapshot written with the lake sink's own
 * code. Then reconcile runs {@code --runs} times (the first one warms the JVM) and prints each run's phases.
 * Pinot is not included (it would need its own JVM and minutes of ingestion here). The CPU figure is the main
 * thread's: the sources, the join and the comparison (the copies are read on reader threads).
 *
 * <pre>
 * mvn -o -q -pl benchmarks -am package -DskipTests
 * java -Xmx3g -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" io.rtdw.bench.ReconcileBenchmark [customers] [runs]
 * </pre>
 */
public final class ReconcileBenchmark {

    private ReconcileBenchmark() {
    }

    public static void main(final String[] args) throws Exception {
        final int customers = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        final int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        final TopicCatalog catalog = new TopicCatalog("rtdw", "public", "rtdw", 6, (short) 3);
        final Path lake = Files.createTempDirectory("rtdw-reconcile-bench");
        System.out.printf("%s reconcile benchmark: %,d customers, load average %s%n", Report.now(), customers,
                Report.loadAverage());
        long t = System.nanoTime();
        try (KafkaTestCluster kafka = KafkaTestCluster.start(); PgSource pg = PgSource.start();
             Connection db = pg.connect("postgres")) {
            final RegistryServer registry = RegistryServer.shared();
            kafka.createTopics(List.of(catalog.unifiedCustomers(), catalog.vehicles()));
            System.out.printf("  started Kafka, registry, PostgreSQL in %.1f s%n", seconds(t));

            t = System.nanoTime();
            // Rows made directly (the workload generator picks owners in O(customers), too slow at this size): every
            // customer id 1..N, 2 flights and 1.5 vehicles per customer on average with random owners in
            // 1..N * 1.02 (about 2 % orphans), every column filled.
            final Source source = Source.generate(customers, new Random(1));
            final CdcEnvelopes envelopes = new CdcEnvelopes(1, System.currentTimeMillis(), false);
            final List<SourceChange> vehicleChanges = new ArrayList<>();
            for (final WorkloadGenerator.VehicleDoc doc : source.vehicles()) {
                vehicleChanges.add(envelopes.encode(new WorkloadGenerator.Change(
                        WorkloadGenerator.Kind.VEHICLE_INSERT, null, null, doc, null)));
            }
            PostgresRows.insert(db, source.customers(), source.flights());
            // One serializer for all (SourceChangeWriter builds a serde per record, one registry call each: ~180/s).
            // The default partitioner: reconcile's vehicle reader does not depend on the partition.
            final Topic<VehicleKey, VehicleChange> vehicleTopic = catalog.vehicles();
            try (KafkaProducer<VehicleKey, VehicleChange> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(), ProducerConfig.LINGER_MS_CONFIG, 20,
                    ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024), RegistrySerdes.keySerde(vehicleTopic).serializer(),
                    registry.serdes().valueSerde(vehicleTopic).serializer())) {
                for (final SourceChange change : vehicleChanges) {
                    producer.send(new ProducerRecord<>(vehicleTopic.name(), (VehicleKey) change.key(),
                            (VehicleChange) change.value()));
                }
                producer.flush();
            }
            final Map<Integer, UnifiedCustomer> expected = Oracle.fromPostgres(db, source.vehicles()).expected();
            produce(kafka.bootstrapServers(), registry.serdes(), catalog.unifiedCustomers(), expected);
            snapshot(lake, expected);
            System.out.printf("  built: %,d customers, %,d flights in PostgreSQL; %,d vehicle changes; %,d output"
                    + " records; snapshot %,d bytes; in %.1f s%n", source.customers().size(), source.flights().size(),
                    vehicleChanges.size(), expected.size(), Files.size(lake.resolve("snapshot/latest.parquet")),
                    seconds(t));

            final Reconciler reconciler = new Reconciler(new Reconciler.Config(
                    "jdbc:postgresql://localhost:" + pg.port() + "/postgres", "postgres", "postgres", "public", null,
                    true, KafkaClients.of(kafka.bootstrapServers()), registry.serdes(), catalog, null, null, null,
                    lake, 100, Duration.ofMinutes(5), Map.of("pinot", "not in this benchmark")));
            final java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
            for (int run = 1; run <= runs; run++) {
                final long cpu = threads.getCurrentThreadCpuTime();
                final Result result = reconciler.run();
                System.out.printf("  run %d: %s in %d ms %s; CPU of the main thread %d ms (reader threads and DuckDB's"
                        + " not included); load average %s%n", run, result.agrees() ? "AGREE" : "DIFFER",
                        result.duration().toMillis(), phases(result),
                        (threads.getCurrentThreadCpuTime() - cpu) / 1_000_000, Report.loadAverage());
                if (!result.agrees()) {
                    result.print(System.out, 10);
                }
            }
        }
    }

    private static String phases(final Result result) {
        final StringBuilder b = new StringBuilder("(");
        result.phases().forEach((k, v) -> b.append(b.length() == 1 ? "" : ", ").append(k).append(' ')
                .append(v.toMillis()).append(" ms"));
        return b.append(')').toString();
    }

    private static double seconds(final long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    /** The generated source rows. */
    private record Source(List<WorkloadGenerator.CustomerRow> customers, List<WorkloadGenerator.FlightRow> flights,
                          List<WorkloadGenerator.VehicleDoc> vehicles) {

        static Source generate(final int n, final Random random) {
            final String[] jobs = {"Engenheira", "Médico", "Professora", "Advogado", "Designer"};
            final String[] airlines = {"LATAM", "GOL", "Azul", "TAP"};
            final String[] makers = {"Fiat", "Volkswagen", "Toyota", "Honda"};
            final LocalDateTime base = LocalDateTime.of(2025, 1, 1, 0, 0);
            final int owners = n + n / 50;
            final List<WorkloadGenerator.CustomerRow> customers = new ArrayList<>(n);
            for (int id = 1; id <= n; id++) {
                customers.add(new WorkloadGenerator.CustomerRow(id, "Cliente " + id, id % 2 == 0 ? "F" : "M",
                        "Rua " + random.nextInt(1000) + ", " + id, "+55 11 9" + (10_000_000 + id), "c" + id + "@x.com",
                        "https://img/" + id + ".jpg", LocalDate.of(1950, 1, 1).plusDays(random.nextInt(20_000)),
                        jobs[random.nextInt(jobs.length)], base.plusSeconds(random.nextInt(10_000_000))
                        .plusNanos(random.nextInt(1_000_000) * 1000L)));
            }
            final List<WorkloadGenerator.FlightRow> flights = new ArrayList<>(2 * n);
            for (int id = 1; id <= 2 * n; id++) {
                flights.add(new WorkloadGenerator.FlightRow(id, 1 + random.nextInt(owners), "GRU",
                        airlines[random.nextInt(airlines.length)], "G" + random.nextInt(9999),
                        base.plusSeconds(random.nextInt(10_000_000))));
            }
            final List<WorkloadGenerator.VehicleDoc> vehicles = new ArrayList<>(3 * n / 2);
            for (int id = 1; id <= 3 * n / 2; id++) {
                vehicles.add(new WorkloadGenerator.VehicleDoc(id, 1 + random.nextInt(owners), "2020", "Modelo " + id % 50,
                        makers[random.nextInt(makers.length)], 2015 + random.nextInt(10), "SUV",
                        Instant.parse("2025-01-01T00:00:00Z").plusMillis(random.nextInt(1_000_000_000))));
            }
            return new Source(customers, flights, vehicles);
        }
    }

    private static void produce(final String bootstrap, final RegistrySerdes serdes,
                                final Topic<CustomerKey, UnifiedCustomer> topic,
                                final Map<Integer, UnifiedCustomer> records) {
        try (KafkaProducer<CustomerKey, UnifiedCustomer> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.LINGER_MS_CONFIG, 20,
                ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024), RegistrySerdes.keySerde(topic).serializer(),
                serdes.valueSerde(topic).serializer())) {
            for (final UnifiedCustomer u : records.values()) {
                producer.send(new ProducerRecord<>(topic.name(), new CustomerKey(u.getCustomerId()),
                        UnifiedCustomer.newBuilder(u).setVersion(1).setSourceTsMs(Instant.now()).build()));
            }
            producer.flush();
        }
    }

    private static void snapshot(final Path lake, final Map<Integer, UnifiedCustomer> records) throws Exception {
        final List<GenericRecord> rows = new ArrayList<>(records.size());
        long offset = 0;
        for (final UnifiedCustomer u : records.values()) {
            rows.add(LakeRows.row(UnifiedCustomer.newBuilder(u).setVersion(1).setSourceTsMs(Instant.now()).build(),
                    0, offset++, System.currentTimeMillis()));
        }
        final Path dir = Files.createDirectories(lake.resolve("snapshot"));
        LakeRows.parquet(rows, CompressionCodecName.SNAPPY, Map.of(), dir.resolve("latest.parquet"));
    }
}
