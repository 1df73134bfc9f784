package io.rtdw.local;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.testing.ChildJvm;
import io.rtdw.testing.pinot.PinotClient;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs the launcher as a user does (its own JVM, free ports), waits until records reach the output topic, Pinot
 * and the bucket, then stops it with SIGTERM (what Ctrl-C does through run-local.sh) and checks that it stopped
 * cleanly: every process it started is gone, every port is free again, and the bucket's Parquet files still hold
 * every committed record this test read from the output topic, each once.
 *
 * <p>The waits below are bounded only so that a broken stack fails instead of hanging CI; no assertion depends on
 * how fast anything happened.
 */
class LocalStackIT {

    private static final Duration START_LIMIT = Duration.ofMinutes(5);
    private static final Duration DATA_LIMIT = Duration.ofMinutes(3);

    @Test
    void runsTheWholePipelineAndStopsLeavingNothingBehind() throws Exception {
        final Path work = Path.of(System.getProperty("rtdw.local.itDir", "target/it")).toAbsolutePath();
        final Path dataDir = work.resolve("stack-" + System.currentTimeMillis());
        Files.createDirectories(work);
        final Map<String, Integer> ports = new LinkedHashMap<>();
        for (final String option : LocalStackOptions.DEFAULT_PORTS.keySet()) {
            ports.put(option, ChildJvm.freePort());
        }
        final List<String> args = new ArrayList<>(List.of(
                // --duration only bounds a test that lost its way: the test stops the stack itself.
                "--duration", "15m", "--rate", "25", "--seed", "7", "--progress", "3",
                "--data-dir", dataDir.toString()));
        ports.forEach((option, port) -> args.addAll(List.of(option, String.valueOf(port))));
        final Path console = work.resolve("console-" + dataDir.getFileName() + ".txt");
        final ChildJvm launcher = ChildJvm.java("local-stack", LocalStack.class.getName()).heapMb(768)
                .jvmArgs("-XX:+UseSerialGC",
                        "-Drtdw.s3proxy.jar=" + System.getProperty("rtdw.s3proxy.jar"),
                        "-Drtdw.pinot.classpathFile=" + System.getProperty("rtdw.pinot.classpathFile"),
                        "-Drtdw.pinot.pluginJar=" + System.getProperty("rtdw.pinot.pluginJar"))
                .args(args).freshLog(console).start();
        final PinotClient pinot = new PinotClient("http://localhost:" + ports.get("--pinot-controller-port"),
                "http://localhost:" + ports.get("--pinot-broker-port"), Duration.ofSeconds(15));
        final Set<ProcessHandle> started = new HashSet<>();
        try {
            final String bootstrap = awaitConsole(launcher, console, Pattern.compile("bootstrap servers (\\S+)"),
                    START_LIMIT).group(1);
            awaitConsole(launcher, console, Pattern.compile("stack up ([0-9.]+) s after launch"), START_LIMIT);
            started.addAll(launcher.tree());
            final long postmaster = postmasterPid(dataDir);
            ProcessHandle.of(postmaster).ifPresent(started::add);

            // 1. the output topic: committed unified records, read as any consumer would.
            final Set<String> committed = readOutputTopic(bootstrap, 50);
            // 2. Pinot: rows queryable on the broker.
            final long pinotRows = await("rows in Pinot", launcher,
                    () -> pinot.countOrMinusOne("SELECT COUNT(*) FROM unified_customer"));
            // 3. the bucket: every record read above becomes a Parquet row (files close every 5 s while running).
            final Path bucket = dataDir.resolve("s3").resolve(LocalStack.BUCKET);
            await("the records read from the topic as Parquet rows", launcher, () -> {
                try {
                    return parquetPositions(bucket).containsAll(committed) ? 1 : 0;
                } catch (final Exception e) {
                    return 0; // no file yet, or one being written
                }
            });
            System.out.printf("while running: %d committed records read from the output topic, %d rows in Pinot%n",
                    committed.size(), pinotRows);

            // 4. k8s/smoke-test.sh, the deployed cluster's smoke test, run for real against this stack.
            smokeTest(work, ports, bucket, pinot);

            started.addAll(launcher.tree());
            launcher.terminate();
            assertTrue(launcher.awaitExit(TimeUnit.MINUTES.toSeconds(4)) != null,
                    "the launcher did not stop within 4 minutes");
            final String out = Files.readString(console);
            System.out.println(out.substring(Math.max(0, out.indexOf("stopping ("))));

            assertTrue(out.contains("every component stopped cleanly"), "not every component stopped cleanly:\n" + out);
            assertTrue(out.contains("BI queries on Pinot"), out);
            assertTrue(Pattern.compile("customers with a flight and a vehicle\\n.*\\n    -> \\d+").matcher(out).find(),
                    "no BI result in:\n" + out);
            for (final ProcessHandle p : started) {
                // the postmaster is daemonized: PID 1 reaps it, a moment after pg_ctl saw its pid file go
                assertTrue(ChildJvm.awaitGone(p, Duration.ofSeconds(60)),
                        "process left behind: " + p.pid() + " " + p.info().commandLine().orElse(""));
            }
            for (final Map.Entry<String, Integer> port : ports.entrySet()) {
                assertTrue(isFree(port.getValue()), port.getKey() + " " + port.getValue() + " still taken");
            }
            assertFalse(Files.exists(dataDir.resolve("postgres")), "PostgreSQL data kept without --keep-data");

            // After the SIGTERM flush the files are still exactly-once: no record twice, none of the above lost.
            final Set<String> rows = parquetPositions(bucket);
            final Set<String> missing = new HashSet<>(committed);
            missing.removeAll(rows);
            assertEquals(Set.of(), missing, "committed records missing from the Parquet files");
        } finally {
            launcher.tree().forEach(ProcessHandle::destroyForcibly);
            started.forEach(ProcessHandle::destroyForcibly);
            launcher.close();
        }
    }

    /**
     * The real script with stand-ins for kubectl and the DuckDB CLI (SmokeTestScript). No MongoDB runs here, so the
     * passing run is {@code --skip-mongodb}; the failing run expects a vehicle, which never comes (the stand-in
     * answers the insert without writing anything), and must fail at the Pinot step after its deadline. Oracles are
     * read independently: PostgreSQL after each run (the script deletes its records, also when it fails), the
     * bucket's Parquet files with DuckDB, Pinot's broker.
     */
    private static void smokeTest(final Path work, final Map<String, Integer> ports, final Path bucket,
                                  final PinotClient pinot) throws Exception {
        final SmokeTestScript smoke = new SmokeTestScript(ports.get("--pg-port"), ports.get("--pinot-broker-port"),
                bucket.getParent(), work);
        final int passing = 2_100_000_001;
        final SmokeTestScript.Result passed = smoke.run(420, "--skip-mongodb", "--deadline", "180", "--wait-delete",
                "--customer-id", String.valueOf(passing));
        assertEquals(0, passed.exit(), passed.output());
        assertTrue(passed.output().contains("smoke test PASSED"), passed.output());
        assertEquals(0, pgCustomers(ports.get("--pg-port"), passing), "the passing run left its customer behind");
        assertEquals(0, pinot.count("SELECT COUNT(*) FROM unified_customer WHERE customer_id = " + passing
                + " AND deleted = false"), "--wait-delete passed while Pinot still shows the customer live");
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement s = duck.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FILTER (WHERE NOT deleted AND flight_count = 1) FROM "
                     + "read_parquet('" + bucket.resolve("changelog") + "/*/*/*.parquet', hive_partitioning = true)"
                     + " WHERE customer_id = " + passing)) {
            assertTrue(rs.next() && rs.getLong(1) > 0, "the lake has no live row with the flight of " + passing);
        }

        final int failing = 2_100_000_002;
        final SmokeTestScript.Result failed = smoke.run(240, "--deadline", "20", "--skip-lake",
                "--customer-id", String.valueOf(failing));
        assertEquals(1, failed.exit(), failed.output());
        assertTrue(failed.output().contains("[FAIL] customer " + failing + " in Pinot with 1 flight and 1 vehicle(s)"),
                failed.output());
        assertTrue(failed.output().contains("smoke test FAILED at step"), failed.output());
        assertEquals(0, pgCustomers(ports.get("--pg-port"), failing), "the failing run left its customer behind");
    }

    private static long pgCustomers(final int port, final int id) throws java.sql.SQLException {
        try (Connection pg = DriverManager.getConnection("jdbc:postgresql://localhost:" + port + "/postgres",
                "postgres", "postgres"); Statement s = pg.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM public.customers WHERE id = " + id)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Partition:offset of every non-tombstone committed record, once at least {@code atLeast} were read. */
    private static Set<String> readOutputTopic(final String bootstrap, final int atLeast) {
        final String topic = TopicCatalog.DEFAULT.unifiedCustomers().name();
        final Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        final Set<String> positions = new HashSet<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config)) {
            final List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final long deadline = System.nanoTime() + DATA_LIMIT.toNanos();
            while (positions.size() < atLeast) {
                for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.value() != null) {
                        positions.add(r.partition() + ":" + r.offset());
                    }
                }
                if (System.nanoTime() > deadline) {
                    fail("only " + positions.size() + " committed records in " + topic + " after " + DATA_LIMIT);
                }
            }
        }
        return positions;
    }

    private static Set<String> parquetPositions(final Path bucket) throws java.sql.SQLException {
        final Set<String> positions = new HashSet<>();
        int rows = 0;
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement s = duck.createStatement();
             ResultSet rs = s.executeQuery("SELECT kafka_partition, kafka_offset, customer_id FROM read_parquet('"
                     + bucket.resolve("changelog") + "/*/*/*.parquet', hive_partitioning = true)")) {
            while (rs.next()) {
                rows++;
                assertTrue(rs.getInt(3) > 0, "a row without a customer id");
                positions.add(rs.getInt(1) + ":" + rs.getLong(2));
            }
        }
        assertEquals(rows, positions.size(), "a Kafka record written twice to the bucket");
        return positions;
    }

    private static Matcher awaitConsole(final ChildJvm launcher, final Path console, final Pattern pattern,
                                        final Duration limit) throws Exception {
        final long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            final String text = Files.readString(console);
            final Matcher m = pattern.matcher(text);
            if (m.find()) {
                return m;
            }
            if (!launcher.isAlive()) {
                fail("the launcher exited with " + launcher.exitCode() + ":\n" + text);
            }
            if (System.nanoTime() > deadline) {
                fail("no '" + pattern + "' after " + limit + ":\n" + text);
            }
            Thread.sleep(500);
        }
    }

    private static long await(final String what, final ChildJvm launcher, final LongSupplier count)
            throws InterruptedException {
        final long deadline = System.nanoTime() + DATA_LIMIT.toNanos();
        while (true) {
            final long n = count.getAsLong();
            if (n > 0) {
                return n;
            }
            assertTrue(launcher.isAlive(), "the launcher exited while waiting for " + what);
            if (System.nanoTime() > deadline) {
                fail("no " + what + " after " + DATA_LIMIT);
            }
            Thread.sleep(1000);
        }
    }

    private static long postmasterPid(final Path dataDir) throws IOException {
        return Long.parseLong(Files.readAllLines(dataDir.resolve("postgres").resolve("postmaster.pid")).get(0).trim());
    }

    private static boolean isFree(final int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(port));
            return true;
        } catch (final IOException e) {
            return false;
        }
    }
}
