package io.rtdw.streams;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.streams.topology.UnifiedCustomerTopology;
import io.rtdw.testing.KafkaClusterExtension;
import io.rtdw.testing.KafkaTestCluster;
import io.rtdw.testing.Oracle;
import io.rtdw.testing.RandomChanges;
import io.rtdw.testing.RegistryRest;
import io.rtdw.testing.RegistryServer;
import io.rtdw.testing.SourceChangeWriter;
import io.rtdw.testing.TestFiles;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * StatefulSet rollouts of the streams app on the real 3-broker cluster, under continuous load: three instances (child
 * JVMs, {@link AppInstances}: each keeps its identity, i.e. its static membership id, port and state directory,
 * across restarts, as a pod keeps its name and volume), exactly once, 5 partitions, one standby. Three rolls under one
 * load: the same build, then an upgraded build whose {@code CustomerState} schema gained an optional field
 * ({@link UpgradedBuild}), then instance 0 back to the old build (a rollback). In each roll, in reverse ordinal order
 * as the StatefulSet controller does, an instance gets SIGTERM, must exit after a clean close, and comes back with
 * the same identity (asserted: the same Kafka Streams client, i.e. the process id kept in its state directory); the
 * next one goes only when {@code /health/ready} answers 200. A load thread writes random
 * changes at a steady rate the whole time, and a reader follows the committed output.
 *
 * <p>Asserted (correctness only; nothing here is timed): the committed output converges to the oracle's SQL join of
 * the generator's source model; no (customer, version) is written twice; each customer's versions are 1, 2, 3 ...
 * without a gap (the engine's contract: a version grows by exactly one per record written, so a lost or
 * aborted-but-visible record would show as a gap, a replayed one as a repeat), and a delete marker is followed by its
 * tombstone; every stopped instance left a {@code .checkpoint} beside each of its stores (under exactly once Kafka
 * Streams wipes a store that has none and restores it whole), each active task's at a real changelog offset, and,
 * once ready again, each of its active tasks restored at most a tenth of its changelog partition's offsets, as the
 * app's restore listener reports it (its "restoring/restored ... (N records)" log lines: Kafka Streams 4.1 counts
 * restored records per task, {@code restore-total}, only at the DEBUG recording level, see k8s/README.md); the
 * upgraded build wrote state
 * with the new schema in every partition (registry ids in the changelog); every instance still serves
 * {@code /metrics}. The crash, which is also the control of that accounting: after a SIGKILL under load with its
 * volume kept, the instance distrusts its checkpoints ({@code CleanStopMarker}) and restores its stores from the
 * changelog's start, and the output still converges with no version lost or repeated.
 *
 * <p>The upgrade: the new build reads the old state through the registry's writer schema and writes the new one;
 * the rolled-back old build then reads state the new build wrote. During a roll itself no task changes hands (static
 * membership), so an old instance decodes new state only when a task moves to it (a pod away longer than the session
 * timeout) or on a rollback: the rollback is where this test makes it happen.
 *
 * <p>Measured and printed (not asserted): per partition, the longest time without new committed output in each roll
 * (the reader's receive times), beside the same under steady load before the rolls, each instance's time from
 * SIGTERM to ready, and {@code /proc/loadavg}.
 */
class RollingRestartIT {

    private static final Logger LOG = LoggerFactory.getLogger(RollingRestartIT.class);

    @RegisterExtension
    static final KafkaClusterExtension KAFKA = new KafkaClusterExtension();

    private static final int PARTITIONS = 5;
    private static final int INSTANCES = 3;
    /** The load: this many changes every {@link #TICK_MS}, 100 changes/s. */
    private static final int CHANGES_PER_TICK = 10;
    private static final long TICK_MS = 100;
    private static final Duration READY = Duration.ofSeconds(180);

    private AppInstances apps;

    @AfterEach
    void stopInstances() {
        if (apps != null) {
            apps.close();
        }
    }

    /**
     * One cluster of instances, three rolls under one continuous load: the same build (a {@code rollout restart}), the
     * upgraded build, and instance 0 back to this build (a rollback); then the checks, and the control.
     */
    @Test
    void rollsRestartsUpgradeAndRollbackWithoutLossDuplicateOrFullRestore() throws Exception {
        final UpgradedBuild upgraded = UpgradedBuild.compile(TestFiles.freshDir(Path.of("target", "upgraded-build")));
        final KafkaTestCluster cluster = KAFKA.cluster();
        final TopicCatalog catalog = AppInstances.catalog("rr", PARTITIONS);
        apps = new AppInstances(cluster, catalog, "rtdw-rr", StreamsConfig.EXACTLY_ONCE_V2, INSTANCES, "rr")
                // A restart on a loaded machine may take a while; within the session timeout nothing moves.
                .env("KAFKA_SESSION_TIMEOUT_MS", "60000");
        apps.startAll();
        apps.awaitAllReady(READY);
        final String changelog = apps.applicationId() + "-" + UnifiedCustomerTopology.STATE + "-changelog";

        final RandomChanges generator = new RandomChanges(11, 400, 1_700_000_000_000L);
        final Oracle oracle = new Oracle(generator.model());
        final List<String> report = new ArrayList<>();
        try (SourceChangeWriter producer = new SourceChangeWriter(cluster.bootstrapServers(), catalog,
                RegistryServer.shared().serdes());
             CommittedOutput output = new CommittedOutput(cluster.bootstrapServers(), catalog)) {
            producer.sendAll(generator.next(2_000));
            output.awaitConvergence(oracle, Duration.ofSeconds(180));
            LOG.info("initial state converged, {} output records", output.count());

            final Background load = new Background("load", () -> producer.sendAll(generator.next(CHANGES_PER_TICK)),
                    TICK_MS);
            final Background reader = new Background("reader", output::poll, 0);
            try {
                final long loadStart = System.currentTimeMillis();
                awaitOutputEverywhere(output, loadStart, 10, Duration.ofSeconds(120), load, reader);
                final long rollStart = System.currentTimeMillis();
                final Map<String, Map<Integer, Long>> pauses = new LinkedHashMap<>();
                pauses.put("steady load, no roll", output.longestPauseMs(loadStart, rollStart));
                long phaseStart = rollStart;
                for (final Phase phase : Phase.values()) {
                    for (final int i : phase.ordinals()) {
                        final Path build = phase == Phase.UPGRADE ? upgraded.classes() : null;
                        report.add(phase + " " + restart(i, build, changelog, cluster));
                        load.check();
                        reader.check();
                    }
                    final long phaseEnd = System.currentTimeMillis();
                    pauses.put(phase.label, output.longestPauseMs(phaseStart, phaseEnd));
                    // Before the next roll, every partition writes a good deal of output again under this phase's
                    // builds: the upgraded build writes new state everywhere, the rolled-back old build reads it.
                    awaitOutputEverywhere(output, phaseEnd, 30, Duration.ofSeconds(180), load, reader);
                    phaseStart = System.currentTimeMillis();
                }
                report.add(0, pauseTable(pauses));

                // The crash, and the control of the restore accounting: SIGKILL under load, the volume kept (a
                // container restarted in place). Its stores may hold writes of the transaction the kill cut short, so
                // the app must not trust their checkpoints (Kafka Streams 4.1.2 keeps the active tasks' one,
                // KAFKA-20685; CleanStopMarker removes them): it restores from the changelog's start, and the output
                // below must still equal the oracle with no version lost or repeated.
                apps.instance(0).kill();
                report.add("app-0 checkpoints after SIGKILL (kept volume): " + checkpoints(apps.stateDir(0), changelog));
                // Only app-0's active tasks write its partitions of the changelog: they stand still until it is back.
                final Map<Integer, Long> ends = endOffsets(cluster, changelog);
                final int logFrom = apps.instance(0).logText().length();
                apps.start(0);
                apps.awaitReady(0, READY);
                final String restartLog = apps.instance(0).logText().substring(logFrom);
                assertTrue(restartLog.contains("did not stop cleanly: removed the checkpoints"),
                        "app-0 distrusts its checkpoints after SIGKILL");
                final Map<Integer, Restore> restored = restoredSince(apps.instance(0).logText(), logFrom, changelog);
                report.add("crash, app-0 after SIGKILL with its volume kept: " + restored + ", changelog ends " + ends);
                assertFalse(restored.isEmpty(), "app-0 logged the restoration of its active tasks");
                restored.forEach((partition, restore) -> assertTrue(restore.range() >= ends.get(partition) * 9 / 10
                        && restore.records() > 0, "after SIGKILL app-0 restores partition " + partition
                        + " from the changelog's start: " + restore + " of " + ends.get(partition)));
                awaitOutputEverywhere(output, System.currentTimeMillis(), 10, Duration.ofSeconds(180), load, reader);
            } finally {
                load.stop();
                reader.stop();
            }
            output.awaitConvergence(oracle, Duration.ofSeconds(240));
            output.log().assertConsistent();
            assertTrue(output.duplicates().isEmpty(), "no (customer, version) written twice: " + output.duplicates());
            LOG.info("converged after the rolls: {} committed output records, {} live customers", output.count(),
                    oracle.liveCustomers().size());
        }

        // Prometheus can still scrape every restarted instance.
        for (int i = 0; i < INSTANCES; i++) {
            final String scrape = apps.get(i, "/metrics");
            assertTrue(scrape.contains("rtdw_streams_output_records_total")
                    && scrape.contains("kafka_stream_thread_process_total"), "app-" + i + " exports its metrics");
        }

        // The upgraded build wrote CustomerState with the new schema (its registry id in the values), every partition.
        final Map<Long, Map<Integer, Integer>> ids = customerStateSchemaIds(changelog);
        final RegistryRest registry = new RegistryRest(RegistryServer.shared().url());
        final Map<Boolean, List<Long>> byField = ids.keySet().stream().collect(Collectors.partitioningBy(
                id -> registry.contentById(id).contains("\"" + UpgradedBuild.ADDED_FIELD + "\"")));
        report.add("CustomerState values in the changelog per schema id and partition: " + ids + "; ids with "
                + UpgradedBuild.ADDED_FIELD + ": " + byField.get(true));
        assertFalse(byField.get(false).isEmpty(), "state written by the old build: " + ids);
        assertEquals(1, byField.get(true).size(), "state written by the upgraded build, one schema: " + ids);
        assertEquals(PARTITIONS, ids.get(byField.get(true).get(0)).size(),
                "the upgraded build wrote state in every partition: " + ids);

        report.add("loadavg: " + Files.readString(Path.of("/proc/loadavg")).trim() + ", cores: "
                + Runtime.getRuntime().availableProcessors());
        LOG.info("rolling restart report:\n{}", String.join("\n", report));
    }

    /** The three rolls, in order; each restarts instances in reverse ordinal order, as the StatefulSet does. */
    private enum Phase {
        RESTART("roll, same build", 2, 1, 0),
        UPGRADE("roll to the upgraded build", 2, 1, 0),
        ROLLBACK("app-0 back to the old build", 0);

        private final String label;
        private final int[] ordinals;

        Phase(final String label, final int... ordinals) {
            this.label = label;
            this.ordinals = ordinals;
        }

        int[] ordinals() {
            return ordinals;
        }
    }

    /**
     * SIGTERM, a clean exit, a checkpoint beside every store, a restart with the same identity ({@code build} ahead
     * of the class path when not null), ready, and a restore of only the changelog's tail, read from the app's
     * restore log (its global restore listener). Returns a line for the report.
     */
    private String restart(final int i, final Path build, final String changelog, final KafkaTestCluster cluster) {
        final long t0 = System.currentTimeMillis();
        apps.stopCleanly(i, 90);
        final long stopped = System.currentTimeMillis();
        final Map<String, Map<Integer, Long>> checkpoints = checkpoints(apps.stateDir(i), changelog);
        assertFalse(checkpoints.isEmpty(), "app-" + i + " had tasks with a store");
        checkpoints.forEach((task, offsets) -> assertFalse(offsets.isEmpty(),
                "app-" + i + " task " + task + ": a clean close leaves a checkpoint of its store"));

        final String before = apps.instance(i).logText();
        final int logFrom = before.length();
        apps.start(i, build);
        apps.awaitReady(i, READY);
        final long ready = System.currentTimeMillis();
        // The same Kafka Streams process id (kept in the state directory): the same client, the same transactional
        // id, which fences the previous run's producer.
        assertEquals(clientId(before), clientId(apps.instance(i).logText().substring(logFrom)),
                "app-" + i + " comes back as the same Kafka Streams client");

        final Map<Integer, Long> ends = endOffsets(cluster, changelog);
        final Map<Integer, Restore> restored = restoredSince(apps.instance(i).logText(), logFrom, changelog);
        assertFalse(restored.isEmpty(), "app-" + i + " logged the restoration of its active tasks");
        // -4 (OFFSET_UNKNOWN) is what a task directory that holds nothing applied yet keeps; an active task's store
        // must have a real offset, or exactly once wipes it.
        restored.keySet().forEach(partition -> assertTrue(checkpoints.getOrDefault("0_" + partition, Map.of())
                .getOrDefault(partition, -1L) >= 0, "app-" + i + " active task 0_" + partition
                + " was checkpointed at a changelog offset: " + checkpoints));
        restored.forEach((partition, restore) -> assertTrue(restore.range() <= ends.get(partition) / 10,
                "app-" + i + " restored " + restore + " of partition " + partition + "'s changelog of "
                        + ends.get(partition) + ": more than its tail, the checkpoint was not used"));
        final String line = String.format("app-%d%s: SIGTERM to exit %d ms, SIGTERM to ready %d ms, active tasks of"
                        + " partitions %s restored %s (changelog ends %s), checkpoints of tasks %s", i,
                build == null ? "" : " (upgraded build)", stopped - t0, ready - t0, restored.keySet(),
                restored.values(), restored.keySet().stream().map(ends::get).toList(), checkpoints);
        LOG.info(line);
        return line;
    }

    /** The last Kafka Streams client id ({@code <application id>-<process id>}) in {@code log}. */
    private String clientId(final String log) {
        final Matcher m = Pattern.compile("stream-client \\[(" + Pattern.quote(apps.applicationId())
                + "-[0-9a-f-]{36})]").matcher(log);
        String last = null;
        while (m.find()) {
            last = m.group(1);
        }
        assertTrue(last != null, "a stream-client line in the log");
        return last;
    }

    /**
     * A task's restoration as the app's restore listener logs it: {@code range}, the changelog offsets from its
     * checkpoint (or the changelog's start) to the end, markers included ({@code restoring unified-state from
     * <changelog>-<p> (<range> records)}); {@code records}, the records restored ({@code restored ... (<n> records)}),
     * fewer than the range once the changelog is compacted.
     */
    record Restore(long range, long records) {
        @Override
        public String toString() {
            return records + " records of an offset range of " + range;
        }
    }

    /** Per changelog partition, the restorations the app logged after {@code from} in {@code log}, summed. */
    private static Map<Integer, Restore> restoredSince(final String log, final int from, final String changelog) {
        final String text = log.substring(from);
        final String line = " " + UnifiedCustomerTopology.STATE + " from " + Pattern.quote(changelog)
                + "-(\\d+) \\((\\d+) records\\)";
        final Map<Integer, Long> ranges = sums(Pattern.compile("restoring" + line).matcher(text));
        final Map<Integer, Long> records = sums(Pattern.compile("restored" + line).matcher(text));
        final Map<Integer, Restore> out = new TreeMap<>();
        records.forEach((partition, n) -> out.put(partition, new Restore(ranges.getOrDefault(partition, 0L), n)));
        return out;
    }

    private static Map<Integer, Long> sums(final Matcher m) {
        final Map<Integer, Long> out = new TreeMap<>();
        while (m.find()) {
            out.merge(Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)), Long::sum);
        }
        return out;
    }

    /**
     * The changelog offsets in the {@code .checkpoint} file of every task directory of the instance that holds a
     * store, per task ({@code 0_3}): Kafka Streams' {@code OffsetCheckpoint} text format (version, count, then
     * {@code topic partition offset} lines). Empty offsets for a task with a store but no checkpoint.
     */
    private Map<String, Map<Integer, Long>> checkpoints(final Path stateDir, final String changelog) {
        final Map<String, Map<Integer, Long>> out = new TreeMap<>();
        final Path appDir = stateDir.resolve(apps.applicationId());
        try (Stream<Path> tasks = Files.list(appDir)) {
            for (final Path task : tasks.filter(Files::isDirectory).toList()) {
                if (!Files.exists(task.resolve("rocksdb").resolve(UnifiedCustomerTopology.STATE))) {
                    continue;
                }
                final Map<Integer, Long> offsets = new TreeMap<>();
                final Path file = task.resolve(".checkpoint");
                if (Files.exists(file)) {
                    for (final String line : Files.readAllLines(file)) {
                        final String[] parts = line.trim().split("\\s+");
                        if (parts.length == 3 && parts[0].equals(changelog)) {
                            offsets.put(Integer.parseInt(parts[1]), Long.parseLong(parts[2]));
                        }
                    }
                }
                out.put(task.getFileName().toString(), offsets);
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static Map<Integer, Long> endOffsets(final KafkaTestCluster cluster, final String topic) {
        final Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            request.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        try {
            final Map<Integer, Long> out = new TreeMap<>();
            cluster.admin().listOffsets(request).all().get(30, TimeUnit.SECONDS)
                    .forEach((tp, info) -> out.put(tp.partition(), info.offset()));
            return out;
        } catch (final Exception e) {
            throw new IllegalStateException("cannot read the end offsets of " + topic, e);
        }
    }

    /**
     * Per registry id, per partition: how many {@code CustomerState} values (state keys of kind {@code c}) the
     * changelog holds, read committed from the beginning to its end.
     */
    private Map<Long, Map<Integer, Integer>> customerStateSchemaIds(final String changelog) {
        final Map<Long, Map<Integer, Integer>> out = new TreeMap<>();
        final Map<Integer, Long> ends = endOffsets(KAFKA.cluster(), changelog);
        final Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.cluster().bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            final List<TopicPartition> partitions = ends.keySet().stream()
                    .map(p -> new TopicPartition(changelog, p)).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final long deadline = System.currentTimeMillis() + 120_000;
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp.partition()))) {
                assertTrue(System.currentTimeMillis() < deadline, "read " + changelog + " to its end in time");
                for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.key().length > 0 && r.key()[0] == 'c' && r.value() != null) {
                        assertEquals(0, r.value()[0], "state values are registry-framed (magic byte 0)");
                        final long id = ByteBuffer.wrap(r.value(), 1, 4).getInt() & 0xffffffffL;
                        out.computeIfAbsent(id, k -> new TreeMap<>()).merge(r.partition(), 1, Integer::sum);
                    }
                }
            }
        }
        return out;
    }

    /**
     * Waits until every partition of the output has had at least {@code polls} polls with records since
     * {@code sinceMs} (the output flows again everywhere), failing early if a background thread failed.
     */
    private static void awaitOutputEverywhere(final CommittedOutput output, final long sinceMs, final int polls,
                                              final Duration timeout, final Background... running) {
        final long deadline = System.currentTimeMillis() + timeout.toMillis();
        while (true) {
            for (final Background b : running) {
                b.check();
            }
            final Map<Integer, Integer> counts = output.arrivalsSince(sinceMs);
            if (counts.size() == PARTITIONS && counts.values().stream().allMatch(n -> n >= polls)) {
                return;
            }
            assertTrue(System.currentTimeMillis() < deadline, "output flows on every partition: " + counts);
            TestFiles.sleep(200);
        }
    }

    private static String pauseTable(final Map<String, Map<Integer, Long>> pauses) {
        final StringBuilder table = new StringBuilder("longest pause of committed output per partition (ms), load ")
                .append(CHANGES_PER_TICK * 1000 / TICK_MS).append(" changes/s\n| partition |");
        pauses.keySet().forEach(phase -> table.append(' ').append(phase).append(" |"));
        table.append("\n|---|").append("---|".repeat(pauses.size())).append('\n');
        for (int p = 0; p < PARTITIONS; p++) {
            table.append("| ").append(p).append(" |");
            for (final Map<Integer, Long> phase : pauses.values()) {
                table.append(' ').append(phase.get(p)).append(" |");
            }
            table.append('\n');
        }
        return table.toString();
    }

    /**
     * A task repeated on its own thread every {@code periodMs} (0: back to back) until {@link #stop()}; its first
     * failure fails the test at the next {@link #check()}.
     */
    static final class Background {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final Thread thread;

        Background(final String name, final Runnable task, final long periodMs) {
            thread = new Thread(() -> {
                long next = System.currentTimeMillis();
                while (running.get()) {
                    try {
                        task.run();
                    } catch (final Throwable e) {
                        failure.compareAndSet(null, e);
                        return;
                    }
                    next += periodMs;
                    final long wait = next - System.currentTimeMillis();
                    if (wait > 0) {
                        TestFiles.sleep(wait); // the load's rate, not a wait for a condition
                    } else {
                        next = System.currentTimeMillis();
                    }
                }
            }, name);
            thread.setDaemon(true);
            thread.start();
        }

        void check() {
            assertNull(failure.get(), () -> thread.getName() + " failed: " + failure.get());
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join(60_000);
            assertFalse(thread.isAlive(), thread.getName() + " stopped");
            check();
        }
    }
}
