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
 * Runs the launcher as a user does (its own JVM, free ports, {@code --keep-data}) and treats it like a small
 * deployment: waits until records reach the output topic, Pinot and the bucket, runs the deployed cluster's smoke
 * test, checks {@code rtdw status}, kills the streams app and a Kafka broker with SIGKILL and waits until the
 * supervisor has restarted both, stops the stack with {@code rtdw down} (every process gone, every port free), starts
 * it again on the same data directory (a resume), lets more changes through, and then checks that PostgreSQL, the
 * output topic, Pinot and the Parquet files all hold the same live customers, with no Kafka record twice in the
 * bucket; then runs what an operator would on it ({@link #operatorCommands}: README queries, Prometheus, {@code rtdw
 * tail}, a dead letter, {@code rtdw reconcile} agreeing and finding a planted difference).
 *
 * <p>The waits below are bounded only so that a broken stack fails instead of hanging CI; no assertion depends on
 * how fast anything happened.
 */
class LocalStackIT {

    private static final Duration START_LIMIT = Duration.ofMinutes(5);
    private static final Duration DATA_LIMIT = Duration.ofMinutes(3);

    @Test
    void runsSupervisesStopsAndResumesThePipeline() throws Exception {
        final Path work = Path.of(System.getProperty("rtdw.local.itDir", "target/it")).toAbsolutePath();
        final Path dataDir = work.resolve("stack-" + System.currentTimeMillis());
        Files.createDirectories(work);
        final Map<String, Integer> ports = freePorts();
        final PinotClient pinot = new PinotClient("http://localhost:" + ports.get("--pinot-controller-port"),
                "http://localhost:" + ports.get("--pinot-broker-port"), Duration.ofSeconds(15));
        final Set<ProcessHandle> started = new HashSet<>();
        final Path bucket = dataDir.resolve("s3").resolve(LocalStack.BUCKET);
        ChildJvm launcher = launch(work, dataDir, ports, "1");
        try {
            final Path console = launcher.log();
            final String bootstrap = awaitConsole(launcher, console, Pattern.compile("bootstrap servers (\\S+)"),
                    START_LIMIT).group(1);
            awaitConsole(launcher, console, Pattern.compile("stack up ([0-9.]+) s after launch"), START_LIMIT);
            started.addAll(launcher.tree());
            ProcessHandle.of(postmasterPid(dataDir)).ifPresent(started::add);
            final Control status = control("status", dataDir);
            assertEquals(0, status.exit(), "rtdw status while the stack is up:\n" + status.out());

            // 1. the output topic: committed unified records, read as any consumer would.
            final Set<String> committed = readOutputTopic(bootstrap, 50);
            // 2. Pinot: rows queryable on the broker.
            final long pinotRows = await("rows in Pinot", launcher,
                    () -> pinot.countOrMinusOne("SELECT COUNT(*) FROM unified_customer"));
            // 3. the bucket: every record read above becomes a Parquet row (files close every 5 s while running).
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

            // 5. SIGKILL of the streams app and of a broker: the supervisor starts both again.
            final StackStatusFile before = StackStatusFile.read(dataDir);
            for (final String component : List.of("streams", "kafka-2")) {
                final long pid = before.byName().get(component).pid();
                started.addAll(ProcessHandle.of(pid).stream().toList());
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
            final long killedAt = System.nanoTime();
            await("the streams app and kafka-2 restarted and every component healthy", launcher, () -> {
                final Map<String, StackStatusFile.Component> now = StackStatusFile.read(dataDir).byName();
                return now.get("streams").restarts() == 1 && now.get("kafka-2").restarts() == 1
                        && control("status", dataDir).exit() == 0 ? 1 : 0;
            });
            System.out.printf("streams app and kafka-2 restarted, all healthy %.1f s after the kill%n",
                    (System.nanoTime() - killedAt) / 1e9);
            await("the output topic growing after the restarts", launcher,
                    () -> countCommitted(bootstrap) > committed.size() + 20 ? 1 : 0);

            // 6. rtdw down: the launcher stops everything and exits; nothing is left running, every port is free.
            started.addAll(launcher.tree());
            final Control down = control("down", dataDir);
            assertEquals(0, down.exit(), down.out());
            assertFalse(launcher.isAlive(), "rtdw down returned while the launcher runs");
            assertStoppedCleanly(launcher, started, ports);
            // The summary's last word: rtdw reconcile after the drain and the lake sink's final snapshot.
            assertTrue(Files.readString(launcher.log()).contains("every copy agrees with the sources"),
                    "the final reconcile did not agree: see " + launcher.log());
            assertTrue(Files.isDirectory(dataDir.resolve("postgres")), "PostgreSQL data removed despite --keep-data");
            assertEquals(1, control("status", dataDir).exit(), "rtdw status with no stack running");
            final long appliedInRun1 = LocalStack.appliedBefore(dataDir.resolve("workload-applied"));
            assertTrue(appliedInRun1 > 0, "the workload recorded no applied change");

            // 7. --keep-data again on the same directory: it resumes; more changes flow.
            launcher = launch(work, dataDir, ports, "2");
            final String resumedText = awaitConsole(launcher, launcher.log(),
                    Pattern.compile("stack up ([0-9.]+) s after launch \\(resumed\\)"), START_LIMIT).group();
            assertTrue(Files.readString(launcher.log()).contains("resuming after the " + appliedInRun1 + " changes"),
                    resumedText);
            started.addAll(launcher.tree());
            final ChildJvm second = launcher;
            await("100 more changes applied after the resume", second,
                    () -> LocalStack.appliedBefore(dataDir.resolve("workload-applied")) > appliedInRun1 + 100 ? 1 : 0);

            // 8. Pause the generator (SIGSTOP: alive, so not restarted) and wait until every copy agrees.
            final long workload = StackStatusFile.read(dataDir).byName().get("workload").pid();
            signal("STOP", workload);
            final int pgPort = ports.get("--pg-port");
            final String[] last = {""};
            await("PostgreSQL = output topic = Pinot = Parquet (live customers)", second, () -> {
                try {
                    final Set<Integer> source = pgLiveCustomers(pgPort);
                    final Set<Integer> topic = topicLiveCustomers(bootstrap, ports.get("--registry-port"));
                    final Set<Integer> inPinot = pinotLiveCustomers(pinot);
                    final Set<Integer> lake = parquetLiveCustomers(bucket);
                    last[0] = "PostgreSQL " + source.size() + ", topic " + topic.size() + ", Pinot " + inPinot.size()
                            + ", Parquet " + lake.size();
                    return !source.isEmpty() && source.equals(topic) && source.equals(inPinot) && source.equals(lake)
                            ? 1 : 0;
                } catch (final Exception e) {
                    last[0] = e.toString();
                    return 0;
                }
            });
            System.out.println("after the resume, live customers agree: " + last[0]);
            // No re-snapshot: CDC's first snapshot ran on empty tables (the generator starts once the stack is up),
            // so a snapshot READ in the customer topic could only come from a capture that started over.
            final long reads = snapshotReads(bootstrap, ports.get("--registry-port"));
            assertEquals(0, reads, "snapshot records in the customer topic: the capture started over");
            parquetPositions(bucket); // no Kafka record twice in the bucket, across both runs

            // 9. What an operator and a user run against this stack, with the workload still paused.
            operatorCommands(second, bootstrap, ports, pinot, bucket);
            signal("CONT", workload);

            started.addAll(second.tree());
            assertEquals(0, control("down", dataDir).exit());
            assertStoppedCleanly(second, started, ports);
        } finally {
            launcher.tree().forEach(ProcessHandle::destroyForcibly);
            started.forEach(ProcessHandle::destroyForcibly);
            launcher.close();
        }
    }

    /**
     * The cli's commands and the stack's extras on the running stack: every README sample query returns rows;
     * Prometheus scrapes every component; {@code rtdw tail} decodes the output topic and a dead letter the streams
     * app wrote for a planted poison record; {@code rtdw reconcile} agrees, then finds a difference planted in the
     * output topic, naming the customer and the field.
     */
    private static void operatorCommands(final ChildJvm stack, final String bootstrap, final Map<String, Integer> ports,
                                         final PinotClient pinot, final Path bucket) throws Exception {
        final TopicCatalog catalog = TopicCatalog.DEFAULT;
        // README samples (Pinot and the lake), as a reader would run them on this data.
        final Path repo = Path.of("..").toAbsolutePath().normalize();
        final List<ReadmeQueries.Outcome> outcomes = ReadmeQueries.runAll(repo, pinot, bucket);
        assertFalse(outcomes.isEmpty(), "no README sample query found");
        final List<String> silent = outcomes.stream().filter(o -> !o.answers())
                .map(o -> o.query() + " -> " + (o.error() != null ? o.error() : o.rows())).toList();
        assertEquals(List.of(), silent, "README sample queries that return nothing on the local data");

        // Prometheus: every job's targets are up, the reconciler's verdict is scraped.
        final String prometheus = "http://127.0.0.1:" + ports.get("--prometheus-port");
        await("Prometheus scraping every component and the reconciler's verdict", stack, () -> {
            final String up = Scrape.get(prometheus + "/api/v1/query?query=min%20by%20(job)%20(up)");
            final String agree = Scrape.get(prometheus + "/api/v1/query?query=rtdw_reconcile_agree");
            if (up == null || agree == null || !agree.contains("\"rtdw_reconcile_agree\"")) {
                return 0;
            }
            for (final String job : List.of("cdc", "streams", "lake-sink", "launcher", "reconcile", "kafka")) {
                if (!Pattern.compile("\"job\":\"" + job + "\"\\},\"value\":\\[[0-9.]+,\"1\"\\]").matcher(up).find()) {
                    return 0;
                }
            }
            return 1;
        });

        final Map<String, String> env = new LinkedHashMap<>();
        env.put(io.rtdw.runtime.KafkaClients.BOOTSTRAP_SERVERS.name(), bootstrap);
        env.put(io.rtdw.serde.RegistrySerdes.URL.name(), "http://127.0.0.1:" + ports.get("--registry-port")
                + io.rtdw.testing.RegistryServer.V3_PATH);
        env.put(io.rtdw.catalog.SharedSettings.PG_HOST.name(), "localhost");
        env.put(io.rtdw.catalog.SharedSettings.PG_PORT.name(), String.valueOf(ports.get("--pg-port")));

        // rtdw tail on the output topic: five decoded unified records.
        final Cli tail = cli(out -> io.rtdw.cli.Tail.run(List.of(catalog.unifiedCustomers().name(), "--from-beginning",
                "--max", "5"), env, out, out, () -> false));
        assertEquals(0, tail.exit(), tail.out());
        final List<com.fasterxml.jackson.databind.JsonNode> lines = jsonLines(tail.out());
        assertEquals(5, lines.size(), tail.out());
        for (final com.fasterxml.jackson.databind.JsonNode line : lines) {
            assertTrue(line.path("value").path("customer_id").asInt() > 0, line.toString());
        }

        // A poison value in the customers topic: the streams app dead-letters it; rtdw tail decodes the dead letter.
        final byte[] poison = ("local-stack-it poison " + System.nanoTime()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (org.apache.kafka.clients.producer.KafkaProducer<io.rtdw.schemas.CustomerKey, byte[]> producer =
                     new org.apache.kafka.clients.producer.KafkaProducer<>(Map.of(
                             org.apache.kafka.clients.producer.ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                             io.rtdw.serde.RegistrySerdes.keySerde(catalog.customers()).serializer(),
                             new org.apache.kafka.common.serialization.ByteArraySerializer())) {
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(catalog.customers().name(),
                    new io.rtdw.schemas.CustomerKey(999_999), poison)).get(60, TimeUnit.SECONDS);
        }
        final String poisonBase64 = java.util.Base64.getEncoder().encodeToString(poison);
        final String[] dlq = {""};
        await("rtdw tail showing the streams app's dead letter of the poison", stack, () -> {
            final Cli letters = cli(out -> io.rtdw.cli.Tail.run(List.of(catalog.streamsDeadLetters().name(),
                    "--from-beginning"), env, out, out, () -> false));
            dlq[0] = letters.out();
            return letters.exit() == 0 && letters.out().lines().anyMatch(l -> l.contains(poisonBase64)
                    && l.contains("\"reason\"")) ? 1 : 0;
        });

        // rtdw reconcile: every copy agrees (the generator is paused)...
        final List<String> reconcile = new ArrayList<>(List.of("--pinot", "http://localhost:"
                + ports.get("--pinot-broker-port"), "--lake", bucket.toString(), "--vehicles-from-topic"));
        final List<String> waiting = new ArrayList<>(reconcile);
        waiting.addAll(List.of("--wait", "2m"));
        final Cli agree = cli(out -> io.rtdw.cli.Reconcile.run(waiting, env, out, out, () -> false));
        assertEquals(0, agree.exit(), agree.out());
        // ... until a record that the sources do not say is planted in the output topic.
        final Map.Entry<io.rtdw.schemas.CustomerKey, io.rtdw.schemas.UnifiedCustomer> victim = latestLive(bootstrap,
                ports.get("--registry-port"));
        final io.rtdw.schemas.UnifiedCustomer planted = io.rtdw.schemas.UnifiedCustomer.newBuilder(victim.getValue())
                .setEmail("planted-by-local-stack-it@example.invalid").build();
        try (org.apache.kafka.clients.producer.KafkaProducer<io.rtdw.schemas.CustomerKey, io.rtdw.schemas.UnifiedCustomer>
                     producer = new org.apache.kafka.clients.producer.KafkaProducer<>(Map.of(
                             org.apache.kafka.clients.producer.ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                     io.rtdw.serde.RegistrySerdes.keySerde(catalog.unifiedCustomers()).serializer(),
                     io.rtdw.serde.RegistrySerdes.remote("http://127.0.0.1:" + ports.get("--registry-port")
                             + io.rtdw.testing.RegistryServer.V3_PATH, false)
                             .valueSerde(catalog.unifiedCustomers()).serializer())) {
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(catalog.unifiedCustomers().name(),
                    victim.getKey(), planted)).get(60, TimeUnit.SECONDS);
        }
        final Cli differ = cli(out -> io.rtdw.cli.Reconcile.run(reconcile, env, out, out, () -> false));
        assertEquals(1, differ.exit(), differ.out());
        final int id = victim.getValue().getCustomerId();
        assertTrue(differ.out().lines().anyMatch(l -> l.startsWith("customer " + id + ":") && l.contains("output")
                        && l.contains("email") && l.contains("planted-by-local-stack-it@example.invalid")),
                "reconcile names the planted customer, copy and field:\n" + differ.out());
        System.out.printf("operator commands: %d README queries answered, tail and dead letter decoded, reconcile agreed "
                + "then found the planted customer %d%n", outcomes.size(), id);
    }

    private record Cli(int exit, String out) {
    }

    private static Cli cli(final java.util.function.ToIntFunction<java.io.PrintStream> command) {
        final java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream();
        final java.io.PrintStream out = new java.io.PrintStream(buffer, true, java.nio.charset.StandardCharsets.UTF_8);
        final int exit = command.applyAsInt(out);
        return new Cli(exit, buffer.toString(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static List<com.fasterxml.jackson.databind.JsonNode> jsonLines(final String text) throws IOException {
        final com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        final List<com.fasterxml.jackson.databind.JsonNode> lines = new ArrayList<>();
        for (final String line : text.split("\n")) {
            if (line.startsWith("{")) {
                lines.add(json.readTree(line));
            }
        }
        return lines;
    }

    /** The newest committed record of each key of the output topic (null: a tombstone). */
    private static Map<io.rtdw.schemas.CustomerKey, io.rtdw.schemas.UnifiedCustomer> latestOutput(
            final String bootstrap, final int registryPort) {
        final TopicCatalog catalog = TopicCatalog.DEFAULT;
        final Map<io.rtdw.schemas.CustomerKey, io.rtdw.schemas.UnifiedCustomer> latest = new java.util.HashMap<>();
        try (io.rtdw.testing.TopicReader<io.rtdw.schemas.CustomerKey, io.rtdw.schemas.UnifiedCustomer> reader =
                     new io.rtdw.testing.TopicReader<>(bootstrap, catalog.unifiedCustomers(),
                             io.rtdw.serde.RegistrySerdes.remote("http://127.0.0.1:" + registryPort
                                     + io.rtdw.testing.RegistryServer.V3_PATH, false)
                                     .valueSerde(catalog.unifiedCustomers()).deserializer())) {
            final long end = countCommitted(bootstrap);
            for (final ConsumerRecord<io.rtdw.schemas.CustomerKey, io.rtdw.schemas.UnifiedCustomer> r
                    : reader.readUntil(rs -> rs.size() >= end, Duration.ofSeconds(60))) {
                latest.put(r.key(), r.value());
            }
        }
        return latest;
    }

    /** The latest record of some live customer in the output topic. */
    private static Map.Entry<io.rtdw.schemas.CustomerKey, io.rtdw.schemas.UnifiedCustomer> latestLive(
            final String bootstrap, final int registryPort) {
        return latestOutput(bootstrap, registryPort).entrySet().stream()
                .filter(e -> e.getValue() != null && !e.getValue().getDeleted() && e.getValue().getEmail() != null)
                .findFirst()
                .orElseThrow(() -> new AssertionError("no live customer with an email in the output topic"));
    }

    /** A free port for every option; options that take several consecutive ports get a free run of them. */
    private static Map<String, Integer> freePorts() {
        final Map<String, Integer> ports = new LinkedHashMap<>();
        for (final String option : LocalStackOptions.DEFAULT_PORTS.keySet()) {
            final int span = LocalStackOptions.span(option);
            int port;
            do {
                port = ChildJvm.freePort();
            } while (!allFree(port, span) || ports.containsValue(port));
            ports.put(option, port);
        }
        return ports;
    }

    private static boolean allFree(final int first, final int span) {
        for (int i = 0; i < span; i++) {
            if (!isFree(first + i)) {
                return false;
            }
        }
        return true;
    }

    private static ChildJvm launch(final Path work, final Path dataDir, final Map<String, Integer> ports,
                                   final String run) {
        final List<String> args = new ArrayList<>(List.of(
                // --duration only bounds a test that lost its way: the test stops the stack itself.
                "--duration", "15m", "--rate", "25", "--seed", "7", "--progress", "3", "--keep-data",
                "--data-dir", dataDir.toString()));
        ports.forEach((option, port) -> args.addAll(List.of(option, String.valueOf(port))));
        final Path console = work.resolve("console-" + dataDir.getFileName() + "-" + run + ".txt");
        return ChildJvm.java("local-stack", LocalStack.class.getName()).heapMb(384)
                .jvmArgs("-XX:+UseSerialGC",
                        "-Drtdw.s3proxy.jar=" + System.getProperty("rtdw.s3proxy.jar"),
                        "-Drtdw.jmx.agent=" + System.getProperty("rtdw.jmx.agent"),
                        "-Drtdw.pinot.classpathFile=" + System.getProperty("rtdw.pinot.classpathFile"),
                        "-Drtdw.pinot.pluginJar=" + System.getProperty("rtdw.pinot.pluginJar"))
                .args(args).freshLog(console).start();
    }

    private record Control(int exit, String out) {
    }

    /** rtdw status / rtdw down, in process. */
    private static Control control(final String command, final Path dataDir) {
        final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        final java.io.PrintStream print = new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8);
        final int exit = StackControl.run(command, List.of("--data-dir", dataDir.toString()), print, print,
                Duration.ofMinutes(4));
        return new Control(exit, out.toString(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static void assertStoppedCleanly(final ChildJvm launcher, final Set<ProcessHandle> started,
                                             final Map<String, Integer> ports) throws IOException {
        final String out = Files.readString(launcher.log());
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
            for (int i = 0; i < LocalStackOptions.span(port.getKey()); i++) {
                assertTrue(isFree(port.getValue() + i), port.getKey() + " " + (port.getValue() + i) + " still taken");
            }
        }
    }

    private static void signal(final String signal, final long pid) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-" + signal, String.valueOf(pid)).inheritIO().start().waitFor());
    }

    private static Set<Integer> pgLiveCustomers(final int port) throws java.sql.SQLException {
        final Set<Integer> ids = new HashSet<>();
        try (Connection pg = DriverManager.getConnection("jdbc:postgresql://localhost:" + port + "/postgres",
                "postgres", "postgres"); Statement s = pg.createStatement();
             ResultSet rs = s.executeQuery("SELECT id FROM public.customers")) {
            while (rs.next()) {
                ids.add(rs.getInt(1));
            }
        }
        return ids;
    }

    /** The newest committed record per key decides: a tombstone or deleted = true is not live. */
    private static Set<Integer> topicLiveCustomers(final String bootstrap, final int registryPort) {
        final Map<Integer, Boolean> live = new java.util.HashMap<>();
        latestOutput(bootstrap, registryPort).forEach((key, value) ->
                live.put(customerId(key), value != null && !value.getDeleted()));
        final Set<Integer> ids = new HashSet<>();
        live.forEach((id, alive) -> {
            if (alive) {
                ids.add(id);
            }
        });
        return ids;
    }

    private static int customerId(final io.rtdw.schemas.CustomerKey key) {
        return key.getId();
    }

    private static Set<Integer> pinotLiveCustomers(final PinotClient pinot) {
        final Set<Integer> ids = new HashSet<>();
        for (final List<com.fasterxml.jackson.databind.JsonNode> row
                : pinot.rows("SELECT customer_id FROM unified_customer WHERE deleted = false LIMIT 1000000")) {
            ids.add(row.get(0).asInt());
        }
        return ids;
    }

    /** The newest row per customer (highest Kafka offset: a customer stays on one partition) decides. */
    private static Set<Integer> parquetLiveCustomers(final Path bucket) throws java.sql.SQLException {
        final Set<Integer> ids = new HashSet<>();
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement s = duck.createStatement();
             ResultSet rs = s.executeQuery("SELECT customer_id FROM (SELECT customer_id, deleted, row_number() OVER "
                     + "(PARTITION BY customer_id ORDER BY kafka_offset DESC) AS n FROM read_parquet('"
                     + bucket.resolve("changelog") + "/*/*/*.parquet', hive_partitioning = true)) "
                     + "WHERE n = 1 AND NOT deleted")) {
            while (rs.next()) {
                ids.add(rs.getInt(1));
            }
        }
        return ids;
    }

    private static long snapshotReads(final String bootstrap, final int registryPort) {
        final var topic = TopicCatalog.DEFAULT.customers();
        final var values = io.rtdw.serde.RegistrySerdes.remote("http://127.0.0.1:" + registryPort
                + io.rtdw.testing.RegistryServer.V3_PATH, false).valueSerde(topic).deserializer();
        long reads = 0;
        long changes = 0;
        for (final ConsumerRecord<byte[], byte[]> r : readAll(bootstrap, topic.name(), 1)) {
            if (r.value() != null) {
                changes++;
                if (values.deserialize(topic.name(), r.value()).getOp() == io.rtdw.schemas.Op.READ) {
                    reads++;
                }
            }
        }
        System.out.printf("customer topic: %d changes, %d snapshot reads%n", changes, reads);
        return reads;
    }

    /** Committed, non-tombstone records in the output topic now. */
    private static long countCommitted(final String bootstrap) {
        return readOutputTopic(bootstrap, 0).size();
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

    /**
     * Partition:offset of every non-tombstone committed record of the output topic up to the end offsets seen at
     * the start, and at least {@code atLeast} of them.
     */
    private static Set<String> readOutputTopic(final String bootstrap, final int atLeast) {
        final Set<String> positions = new HashSet<>();
        for (final ConsumerRecord<byte[], byte[]> r
                : readAll(bootstrap, TopicCatalog.DEFAULT.unifiedCustomers().name(), atLeast)) {
            if (r.value() != null) {
                positions.add(r.partition() + ":" + r.offset());
            }
        }
        return positions;
    }

    /** Every committed record of {@code topic} up to its end offsets, once at least {@code atLeast} values were read. */
    private static List<ConsumerRecord<byte[], byte[]>> readAll(final String bootstrap, final String topic,
                                                               final int atLeast) {
        final Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        final List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config)) {
            final List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final long deadline = System.nanoTime() + DATA_LIMIT.toNanos();
            final Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            long values = 0;
            while (values < atLeast || partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    records.add(r);
                    values += r.value() == null ? 0 : 1;
                }
                if (System.nanoTime() > deadline) {
                    fail("only " + values + " committed records in " + topic + " after " + DATA_LIMIT);
                }
            }
        }
        return records;
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
