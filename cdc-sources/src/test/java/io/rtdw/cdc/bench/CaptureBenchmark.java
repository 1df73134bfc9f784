package io.rtdw.cdc.bench;

import io.rtdw.runtime.OpsServer;
import io.rtdw.runtime.KafkaClients;
import io.rtdw.testing.RegistryServer;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.cdc.CdcConfig;
import io.rtdw.cdc.CdcProcess;
import io.rtdw.cdc.postgres.PostgresPreflight;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.testing.KafkaTestCluster;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Capture throughput and latency on this machine (a benchmark, not a test: it prints numbers and asserts nothing).
 * Real embedded PostgreSQL 17, the real 3-broker cluster, the CDC process in this JVM. For each
 * {@code max.in.flight.requests.per.connection} value: snapshot throughput of pre-existing rows, streaming
 * throughput of a burst of committed changes, and per-change latency (source commit to consumer receipt) at a
 * paced rate.
 *
 * <pre>
 * mvn -q -o -pl cdc-sources test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.rtdw.cdc.bench.CaptureBenchmark -Dexec.args="--rows 20000 --changes 20000 --in-flight 1,5"
 * </pre>
 */
public final class CaptureBenchmark {

    private CaptureBenchmark() {
    }

    public static void main(final String[] args) throws Exception {
        int rows = 20_000;
        int changes = 20_000;
        int pacedRate = 200;
        int pacedSeconds = 10;
        String inFlight = "1,5";
        String pollMs = "100";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rows" -> rows = Integer.parseInt(args[++i]);
                case "--changes" -> changes = Integer.parseInt(args[++i]);
                case "--rate" -> pacedRate = Integer.parseInt(args[++i]);
                case "--seconds" -> pacedSeconds = Integer.parseInt(args[++i]);
                case "--in-flight" -> inFlight = args[++i];
                case "--poll-ms" -> pollMs = args[++i];
                case "--help" -> {
                    System.out.println("CaptureBenchmark [--rows N (snapshot rows per table, 20000)] [--changes N "
                            + "(streaming burst, 20000)] [--rate R (paced latency run, 200/s)] [--seconds S (10)] "
                            + "[--in-flight 1,5] [--poll-ms 100 (Debezium poll.interval.ms)]");
                    return;
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        final List<String> report = new ArrayList<>();
        try (KafkaTestCluster kafka = KafkaTestCluster.start();
             EmbeddedPostgres pg = EmbeddedPostgres.builder().setServerConfig("wal_level", "logical")
                     .setServerConfig("max_wal_senders", "8").setServerConfig("max_replication_slots", "8").start();
             Connection db = pg.getPostgresDatabase().getConnection()) {
            PostgresPreflight.applyInitScripts(db);
            try (Statement st = db.createStatement()) {
                st.execute("INSERT INTO customers (nome, sexo, endereco, email, profissao, nascimento, dt_update) "
                        + "SELECT 'cliente ' || g, 'F', 'Rua ' || g, 'c' || g || '@example.com', 'Analista', "
                        + "DATE '1980-01-01' + g % 9000, now() FROM generate_series(1, " + rows + ") g");
                st.execute("INSERT INTO flight (customer_id, aeroporto, linha_aerea, cod_iata, dt_update) "
                        + "SELECT g % " + rows + " + 1, 'Guarulhos', 'LATAM', 'GRU', now() FROM generate_series(1, "
                        + rows + ") g");
            }
            int run = 0;
            final List<String> settings = new ArrayList<>(List.of(inFlight.split(",")));
            settings.add(0, settings.get(0)); // a warm-up run (JIT, page cache), not reported
            for (final String n : settings) {
                run++;
                final List<String> sink = run == 1 ? new ArrayList<>() : report; // warm-up results are dropped
                final TopicCatalog catalog = new TopicCatalog("bench" + run, "public", "rtdw", 6, (short) 3);
                kafka.createTopics(List.of(catalog.customers(), catalog.flights(), catalog.cdcDeadLetters(),
                        catalog.cdcOffsets()));
                final Map<String, String> env = new HashMap<>();
                env.put(KafkaClients.BOOTSTRAP_SERVERS.name(), kafka.bootstrapServers());
                env.put(CdcConfig.SOURCES.name(), "postgres");
                env.put(CdcConfig.PG_PORT.name(), String.valueOf(pg.getPort()));
                env.put(CdcConfig.PG_PASSWORD.name(), "postgres");
                env.put(OpsServer.HTTP_PORT.name(), "-1");
                env.put(KafkaClients.MAX_IN_FLIGHT.name(), n.trim());
                env.put(TopicCatalog.PREFIX.name(), catalog.prefix());
                env.put(CdcConfig.PG_SLOT.name(), "bench_slot_" + run);
                env.put(CdcConfig.POLL_INTERVAL_MS.name(), pollMs);
                final CdcConfig config = CdcConfig.fromEnv(env);
                try (KafkaConsumer<byte[], byte[]> consumer = consumer(kafka.bootstrapServers(), catalog)) {
                    final long started = System.nanoTime();
                    try (CdcProcess cdc = CdcProcess.start(config, RegistryServer.shared().serdes(), (m, e) -> {
                        System.err.println("capture failed: " + m);
                    })) {
                        drain(consumer, 2L * rows, null);
                        final double snapshotSecs = (System.nanoTime() - started) / 1e9;
                        sink.add(String.format("max.in.flight=%s snapshot: %d rows in %.1f s = %.0f changes/s "
                                + "(includes engine start)", n.trim(), 2 * rows, snapshotSecs, 2 * rows / snapshotSecs));

                        final long burstStart = System.nanoTime();
                        try (Statement st = db.createStatement()) {
                            // 100 changes per transaction: the capture, not the JDBC round trip, is measured.
                            for (int done = 0; done < changes; done += 100) {
                                st.execute("UPDATE customers SET profissao = 'burst " + done + "' WHERE id > "
                                        + (done % rows) + " AND id <= " + (done % rows + 100));
                            }
                        }
                        drain(consumer, changes, null);
                        final double burstSecs = (System.nanoTime() - burstStart) / 1e9;
                        sink.add(String.format("max.in.flight=%s streaming burst: %d changes in %.1f s = %.0f "
                                + "changes/s (commit to consumed)", n.trim(), changes, burstSecs, changes / burstSecs));

                        final Histogram latency = new Histogram(3);
                        final int paced = pacedRate * pacedSeconds;
                        final int rate = pacedRate;
                        final int table = rows;
                        final Thread writer = new Thread(() -> {
                            try (Connection w = pg.getPostgresDatabase().getConnection();
                                 Statement st = w.createStatement()) {
                                final long t0 = System.nanoTime();
                                for (int i = 0; i < paced; i++) {
                                    final long due = t0 + (long) (i * 1e9 / rate);
                                    final long wait = due - System.nanoTime();
                                    if (wait > 0) {
                                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                                    }
                                    st.execute("UPDATE flight SET cod_iata = 'P" + i + "' WHERE id = " + (1 + i % table));
                                }
                            } catch (final Exception e) {
                                throw new IllegalStateException(e);
                            }
                        });
                        writer.start();
                        drain(consumer, paced, latency);
                        writer.join();
                        sink.add(String.format("max.in.flight=%s latency at %d changes/s, one change per "
                                + "transaction (%d changes): p50 %d ms, p99 %d ms, max %d ms (source commit to "
                                + "consumer receipt)", n.trim(), pacedRate, paced, latency.getValueAtPercentile(50),
                                latency.getValueAtPercentile(99), latency.getMaxValue()));
                    }
                }
                try (Statement st = db.createStatement()) {
                    st.execute("SELECT pg_drop_replication_slot('bench_slot_" + run + "')");
                }
            }
        }
        System.out.println();
        System.out.println("== CaptureBenchmark (" + Runtime.getRuntime().availableProcessors() + " cores, Java "
                + System.getProperty("java.version") + ", poll.interval.ms=" + pollMs + ", rows/table=" + rows + ")");
        report.forEach(System.out::println);
    }

    private static KafkaConsumer<byte[], byte[]> consumer(final String bootstrap, final TopicCatalog catalog) {
        final KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        final List<TopicPartition> partitions = new ArrayList<>();
        for (final String topic : List.of(catalog.customers().name(), catalog.flights().name())) {
            consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        return consumer;
    }

    /** Consumes {@code count} records (timing out after 10 minutes), recording latency when asked. */
    private static void drain(final KafkaConsumer<byte[], byte[]> consumer, final long count, final Histogram latency) {
        long seen = 0;
        final long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (seen < count) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + seen + " of " + count + " records after 10 minutes");
            }
            for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                seen++;
                if (latency != null) {
                    latency.recordValue(Math.max(0, System.currentTimeMillis() - r.timestamp()));
                }
            }
        }
    }
}
