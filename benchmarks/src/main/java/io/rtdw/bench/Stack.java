package io.rtdw.bench;

import io.rtdw.streams.config.StreamsSettings;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.runtime.KafkaClients;
import io.rtdw.testing.RegistryServer;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.cdc.CdcProcess;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.UnifiedFlight;
import io.rtdw.testing.KafkaTestCluster;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One pipeline under test: a Kafka cluster, a PostgreSQL database with its load writer, the capture process, and
 * streams apps started one configuration at a time against the same CDC topics, with a read_committed watcher on
 * the output topic.
 */
final class Stack implements AutoCloseable {

    /** Result of one streams-app configuration. */
    record PipelineResult(double burstRate, double maxSustained, boolean allStepsSustained) {
    }

    private final KafkaTestCluster kafka;
    private final PgSource pg;
    private final String database;
    private final TopicCatalog catalog;
    private final PipelineBenchmark.Mode mode;
    private final PipelineBenchmark.Knobs knobs;
    private final Report report;
    private final String label;
    private final LoadWriter writer;
    private final OutputWatcher output;
    private CdcProcess capture;
    private int apps;

    Stack(final KafkaTestCluster kafka, final PgSource pg, final String database, final String prefix,
          final PipelineBenchmark.Mode mode, final PipelineBenchmark.Knobs knobs, final Report report,
          final String label) throws Exception {
        this.kafka = kafka;
        this.pg = pg;
        this.database = database;
        this.mode = mode;
        this.knobs = knobs;
        this.report = report;
        this.label = label;
        this.catalog = new TopicCatalog(prefix, "public", "rtdw", 6, (short) 3);
        kafka.createTopics(catalog.all());
        writer = new LoadWriter(pg, database, knobs.bulkCustomers(), knobs.writerThreads(), mode.perTransaction(),
                catalog.partitions(), 42);
        writer.bulkLoad();
        output = new OutputWatcher(kafka.bootstrapServers(), catalog.unifiedCustomers(), RegistryServer.shared().serdes(), false);
    }

    /** Serialized size of a typical output record (customer with two flights), bytes. */
    static byte[] sampleOutputValue(final TopicCatalog catalog) {
        final UnifiedFlight flight = UnifiedFlight.newBuilder().setFlightId(1234).setAirport("Guarulhos")
                .setAirline("LATAM").setIataCode("GRU").setUpdatedAt(LocalDateTime.of(2024, 1, 1, 8, 0))
                .setSourceTsMs(Instant.now()).build();
        final UnifiedCustomer record = UnifiedCustomer.newBuilder().setCustomerId(1234).setDeleted(false).setVersion(7)
                .setSourceTsMs(Instant.now()).setName("Gabriela Nascimento").setGender("F")
                .setAddress("Rua XV de Novembro, 1234 - Curitiba").setPhone("+55 11 91234-5678")
                .setEmail("gabriela.nascimento1234@example.com").setPhotoUrl("https://img.example.com/u/1234.jpg")
                .setBirthDate(LocalDate.of(1985, 5, 17)).setProfession("Analista de Dados")
                .setUpdatedAt(LocalDateTime.of(2024, 1, 1, 9, 0)).setFlightCount(2)
                .setFlights(List.of(flight, UnifiedFlight.newBuilder(flight).setFlightId(1235).build()))
                .setVehicleCount(0).setVehicles(List.of()).build();
        return RegistryServer.shared().serdes().valueSerde(catalog.unifiedCustomers()).serializer()
                .serialize(catalog.unifiedCustomers().name(), record);
    }

    /** (1) Raw Kafka: transactional produce + read_committed consume of output-sized records. */
    double ceiling(final int maxInFlight) throws Exception {
        final TopicCatalog c = new TopicCatalog(catalog.prefix() + "-ceiling" + maxInFlight, "public", "rtdw", 6, (short) 3);
        kafka.createTopics(List.of(c.unifiedCustomers()));
        final byte[] value = sampleOutputValue(c);
        final double rate = KafkaCeiling.transactional(kafka.bootstrapServers(), c.unifiedCustomers(), value,
                mode.ceilingRecords(), maxInFlight, 100);
        kafka.admin().deleteTopics(List.of(c.unifiedCustomers().name())).all().get(60, TimeUnit.SECONDS);
        report.add("1 ceiling", label + ", max.in.flight " + maxInFlight,
                "Kafka transactional produce+consume (" + value.length + " B records, commit every 100 ms)",
                fmt(rate) + " records/s");
        return rate;
    }

    /** Starts (or restarts on the same slot) the capture with this max.in.flight and waits for the snapshot. */
    void startCapture(final int maxInFlight) throws Exception {
        if (capture != null) {
            capture.close();
        }
        capture = Capture.startPostgres(kafka.bootstrapServers(), catalog, pg.port(), database,
                catalog.prefix().replace('-', '_') + "_slot", maxInFlight, mode.pollMs());
        awaitQuietCdcTopics();
    }

    /** (1) Capture alone: a burst of committed changes until all of them are on the CDC topics. */
    double captureBurst(final String config) throws Exception {
        final int n = mode.captureBurst();
        try (TopicCounter counter = new TopicCounter(kafka.bootstrapServers(),
                List.of(catalog.customers().name(), catalog.flights().name()), true)) {
            final long start = System.nanoTime();
            final long writerNanos = writer.burst(n);
            final long last = counter.awaitCount(n, Duration.ofMinutes(10));
            final double rate = n / ((last - start) / 1e9);
            report.add("1 capture-only", label + ", " + config, "PostgreSQL writer alone (" + mode.perTransaction()
                    + " changes/txn, " + writer.threads() + " connections)", fmt(n / (writerNanos / 1e9)) + " changes/s");
            report.add("1 capture-only", label + ", " + config, "capture burst: " + n
                    + " changes, first commit -> last on CDC topics (read_committed)", fmt(rate) + " changes/s");
            return rate;
        }
    }

    /**
     * (1) Capture alone, not limited by the writer: with the capture stopped, a backlog of N changes is committed;
     * the capture is restarted on its slot and the rate is N over the time from the first to the last of them
     * arriving on the CDC topics (engine start-up excluded).
     */
    double captureBacklog(final int maxInFlight) throws Exception {
        final int n = mode.captureBurst();
        capture.close();
        capture = null;
        writer.burst(n);
        try (TopicCounter counter = new TopicCounter(kafka.bootstrapServers(),
                List.of(catalog.customers().name(), catalog.flights().name()), true)) {
            startCapture(maxInFlight);
            final long last = counter.awaitCount(n, Duration.ofMinutes(10));
            final double rate = (n - 1) / ((last - counter.firstArrivalNanos()) / 1e9);
            report.add("1 capture-only", label + ", max.in.flight " + maxInFlight, "capture backlog: " + n
                    + " changes committed while capture was stopped, first to last on CDC topics", fmt(rate) + " changes/s");
            return rate;
        }
    }

    /**
     * Copies every record now on the CDC topics (the real captured mix of this run) to the CDC topics of a second
     * catalog, which apps then process from the beginning: the app's own throughput, independent of the writer and
     * of the capture. Returns that catalog.
     */
    TopicCatalog copyCdcHistory() throws Exception {
        final TopicCatalog replay = new TopicCatalog(catalog.prefix() + "-replay", "public", "rtdw", 6, (short) 3);
        kafka.createTopics(replay.all());
        long copied = 0;
        final Map<String, Object> consumerProps = new HashMap<>();
        consumerProps.put("bootstrap.servers", kafka.bootstrapServers());
        consumerProps.put("isolation.level", "read_committed");
        consumerProps.put("max.poll.records", 5000);
        final Map<String, Object> producerProps = new HashMap<>();
        producerProps.put("bootstrap.servers", kafka.bootstrapServers());
        producerProps.put("acks", "all");
        producerProps.put("enable.idempotence", true);
        producerProps.put("linger.ms", 20);
        producerProps.put("batch.size", 256 * 1024);
        try (org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> consumer =
                     new org.apache.kafka.clients.consumer.KafkaConsumer<>(consumerProps,
                             new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                             new org.apache.kafka.common.serialization.ByteArrayDeserializer());
             org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> producer =
                     new org.apache.kafka.clients.producer.KafkaProducer<>(producerProps,
                             new org.apache.kafka.common.serialization.ByteArraySerializer(),
                             new org.apache.kafka.common.serialization.ByteArraySerializer())) {
            for (final String[] pair : List.of(new String[] {catalog.customers().name(), replay.customers().name()},
                    new String[] {catalog.flights().name(), replay.flights().name()})) {
                final List<TopicPartition> partitions = consumer.partitionsFor(pair[0]).stream()
                        .map(p -> new TopicPartition(pair[0], p.partition())).toList();
                consumer.assign(partitions);
                consumer.seekToBeginning(partitions);
                final Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
                while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                    for (final var r : consumer.poll(Duration.ofMillis(200))) {
                        // same partition: per-key order is kept exactly as captured
                        producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(pair[1], r.partition(),
                                r.timestamp(), r.key(), r.value()));
                        copied++;
                    }
                }
            }
            producer.flush();
        }
        replayRecords = copied;
        return replay;
    }

    private long replayRecords;

    /** The app with this configuration processes the copied history from the beginning; records per second. */
    double appCatchUp(final TopicCatalog replay, final boolean exactlyOnce, final long commitMs, final Path logs,
                      final Map<String, String> extraEnv) throws Exception {
        final String config = String.format(Locale.ROOT, "%s, %s, commit %d ms, max.in.flight 1%s", label,
                exactlyOnce ? "exactly_once_v2" : "at_least_once", commitMs,
                extraEnv.isEmpty() ? "" : ", " + extraEnv);
        final Path state = Files.createTempDirectory("rtdw-bench-state");
        final String appId = replay.prefix() + "-app-" + (++apps);
        final Map<String, String> env = appEnv(kafka.bootstrapServers(), appId, replay, exactlyOnce, commitMs, state);
        env.putAll(extraEnv);
        try (StreamsChild app = StreamsChild.start(env, mode.appHeapMb(), logs.resolve("app-" + appId + ".log"))) {
            app.awaitReady(Duration.ofMinutes(3));
            final ThreadCpu appCpu = ThreadCpu.of(app.pid());
            final long start = System.nanoTime();
            PipelineBenchmark.awaitProcessed(kafka.admin(), appId, List.of(replay.customers(), replay.flights()),
                    replay.partitions(), Duration.ofMinutes(20));
            final double rate = replayRecords / ((System.nanoTime() - start) / 1e9);
            report.add("3 app catch-up", config, "the app alone: " + replayRecords
                    + " captured change records (the run's real mix) processed from the beginning", fmt(rate) + " changes/s");
            report.add("profile", config, "CPU during the catch-up, streams app JVM", appCpu.summary(5));
            report.add("profile", config, "producer produce retries on CONCURRENT_TRANSACTIONS (app log lines)",
                    String.valueOf(app.logLines("CONCURRENT_TRANSACTIONS")));
            return rate;
        } finally {
            StreamsChild.deleteRecursively(state);
            deleteInternalTopics(appId);
        }
    }

    /**
     * (2)/(3) One streams-app configuration: burst throughput, then offered load stepped up to find the maximum
     * sustained rate, then (when asked) latency at half that rate.
     */
    PipelineResult pipeline(final boolean exactlyOnce, final long commitMs, final int maxInFlight,
                            final boolean steps, final boolean latency, final Path logs) throws Exception {
        return pipeline(exactlyOnce, commitMs, maxInFlight, steps, latency, logs, Map.of(), 0);
    }

    /**
     * As above, with extra app environment (client overrides such as {@code KAFKA_PRODUCER_LINGER_MS}) and, when
     * {@code latencyRate > 0}, the latency run at that rate instead of half the max sustained rate.
     */
    PipelineResult pipeline(final boolean exactlyOnce, final long commitMs, final int maxInFlight,
                            final boolean steps, final boolean latency, final Path logs,
                            final Map<String, String> extraEnv, final double latencyRate) throws Exception {
        final String config = String.format(Locale.ROOT, "%s, %s, commit %d ms, max.in.flight %d%s", label,
                exactlyOnce ? "exactly_once_v2" : "at_least_once", commitMs, maxInFlight,
                extraEnv.isEmpty() ? "" : ", " + new java.util.TreeMap<>(extraEnv));
        System.out.println("== pipeline " + config);
        try (RunningApp running = startApp(exactlyOnce, commitMs, maxInFlight, extraEnv, logs)) {
            final StreamsChild app = running.app();
            writer.burst(mode.pipelineBurst() / 4); // warm-up: JIT (C2 took seconds of CPU), assignment, first txns
            drain(Duration.ofMinutes(3));

            final int n = mode.pipelineBurst();
            final ThreadCpu appCpu = ThreadCpu.of(app.pid());
            final ThreadCpu hostCpu = ThreadCpu.of(ProcessHandle.current().pid());
            final long start = System.currentTimeMillis();
            writer.burst(n);
            final long seen = drainAbsolute(Duration.ofMinutes(10));
            final double burstRate = (n + 1) / ((seen - start) / 1000.0);
            report.add("2 pipeline", config, "burst: " + n + " changes, first commit -> sentinel in committed output",
                    fmt(burstRate) + " changes/s");
            report.add("profile", config, "CPU during the burst, streams app JVM (threads by name)", appCpu.summary(5));
            report.add("profile", config, "CPU during the burst, benchmark JVM (3 brokers, controller, capture, "
                    + "readers)", hostCpu.summary(5));

            double maxSustained = 0;
            boolean all = true;
            if (steps) {
                // Start below the burst rate and keep stepping up while sustained: a burst that came out low
                // (JIT warm-up, a neighbour's build) must not cap the search.
                double offered = mode.firstStep() * burstRate;
                for (int step = 0; step < mode.maxSteps(); step++, offered *= mode.stepFactor()) {
                    final Step st = step(offered);
                    final double achieved = st.achieved();
                    final long drainMs = st.drainMs();
                    final Histogram h = st.freshness();
                    final long bound = 2000 + 3 * commitMs;
                    final boolean sustained = achieved >= 0.97 * offered && drainMs <= bound;
                    report.add("2 pipeline steps", config, String.format(Locale.ROOT,
                            "offered %s/s for %.0f s (achieved %s/s)", fmt(offered), mode.stepSeconds(), fmt(achieved)),
                            String.format(Locale.ROOT, "%s: drain %s ms (bound %d), output freshness p50 %d / p99 %d ms",
                                    sustained ? "sustained" : "NOT sustained",
                                    drainMs == Long.MAX_VALUE ? ">300000" : String.valueOf(drainMs), bound,
                                    h.getValueAtPercentile(50), h.getValueAtPercentile(99)));
                    if (!sustained) {
                        all = false;
                        break;
                    }
                    maxSustained = Math.max(maxSustained, achieved);
                }
                report.add("2 pipeline", config, "max sustained rate" + (all ? " (every step sustained: at least)" : ""),
                        fmt(maxSustained) + " changes/s");
            }

            if (latency && (maxSustained > 0 || latencyRate > 0)) {
                final double rate = latencyRate > 0 ? latencyRate : maxSustained / 2;
                try (TopicCounter cdc = new TopicCounter(kafka.bootstrapServers(),
                        List.of(catalog.customers().name(), catalog.flights().name()))) {
                    output.startLatency();
                    cdc.startLatency();
                    writer.paced(rate, mode.latencySeconds());
                    drain(Duration.ofMinutes(5));
                    final Histogram e2e = output.stopLatency();
                    final Histogram cap = cdc.stopLatency();
                    final String at = String.format(Locale.ROOT, " at %s changes/s for %.0f s", fmt(rate),
                            mode.latencySeconds());
                    report.latency("3 latency", config, "capture: source commit -> CDC topic (read_committed)" + at,
                            cap, "capture-commit" + commitMs + "-" + label);
                    report.latency("3 latency", config, "end to end: source commit -> committed output" + at,
                            e2e, "e2e-commit" + commitMs + "-" + label);
                    streamThreadMetrics(app, config);
                    final long target = 3 * commitMs + cap.getValueAtPercentile(99);
                    report.add("3 latency", config, "target p99 <= 3 x commit interval + capture p99 = " + target + " ms",
                            e2e.getValueAtPercentile(99) <= target ? "met" : "missed (p99 " + e2e.getValueAtPercentile(99) + " ms)");
                }
            }
            report.add("profile", config, "producer produce retries on CONCURRENT_TRANSACTIONS (app log lines, whole run)",
                    String.valueOf(app.logLines("CONCURRENT_TRANSACTIONS")));
            if (!output.problems().isEmpty()) {
                report.note(config + ": output version problems: " + output.problems().subList(0,
                        Math.min(5, output.problems().size())));
            }
            return new PipelineResult(burstRate, maxSustained, all);
        }
    }

    /** The environment of a streams app on {@code catalog}'s topics (one instance, no standby). */
    static Map<String, String> appEnv(final String bootstrap, final String appId, final TopicCatalog catalog,
                                      final boolean exactlyOnce, final long commitMs, final Path state) {
        final Map<String, String> env = new HashMap<>();
        env.put(KafkaClients.BOOTSTRAP_SERVERS.name(), bootstrap);
        env.put(RegistrySerdes.URL.name(), RegistryServer.shared().url());
        env.put(StreamsSettings.APPLICATION_ID.name(), appId);
        env.put(StreamsSettings.PROCESSING_GUARANTEE.name(), exactlyOnce ? "exactly_once_v2" : "at_least_once");
        env.put(StreamsSettings.COMMIT_INTERVAL_MS.name(), String.valueOf(commitMs));
        env.put(StreamsSettings.STANDBY_REPLICAS.name(), "0");
        env.put(StreamsSettings.STATE_DIR.name(), state.toString());
        env.put(TopicCatalog.PREFIX.name(), catalog.prefix());
        env.put(TopicCatalog.PARTITIONS.name(), String.valueOf(catalog.partitions()));
        return env;
    }

    /** A streams app of this stack, running; closing it stops it and removes its state and internal topics. */
    private record RunningApp(StreamsChild app, Path state, String appId, Stack stack) implements AutoCloseable {
        @Override
        public void close() {
            try {
                app.close();
            } finally {
                StreamsChild.deleteRecursively(state);
                stack.deleteInternalTopics(appId);
            }
        }
    }

    /**
     * Starts an app configuration on this stack's CDC topics, from their end, and waits until it is ready. Each
     * configuration starts at the end: replaying the earlier runs' history would cost minutes per configuration.
     * Updates carry the whole row, so customers enter the state as they change (the warm-up of each part does that).
     */
    private RunningApp startApp(final boolean exactlyOnce, final long commitMs, final int maxInFlight,
                                final Map<String, String> extraEnv, final Path logs) throws Exception {
        final Path state = Files.createTempDirectory("rtdw-bench-state");
        final String appId = catalog.prefix() + "-app-" + (++apps);
        final Map<String, String> env = appEnv(kafka.bootstrapServers(), appId, catalog, exactlyOnce, commitMs, state);
        env.put(KafkaClients.MAX_IN_FLIGHT.name(), String.valueOf(maxInFlight));
        env.put(KafkaClients.PASS_THROUGH.member("consumer.auto.offset.reset"), "latest");
        env.putAll(extraEnv);
        final StreamsChild app = StreamsChild.start(env, mode.appHeapMb(), logs.resolve("app-" + appId + ".log"));
        try {
            app.awaitReady(Duration.ofMinutes(3));
        } catch (final RuntimeException e) {
            new RunningApp(app, state, appId, this).close();
            throw e;
        }
        output.resetVersions();
        return new RunningApp(app, state, appId, this);
    }

    private static String config(final boolean exactlyOnce, final long commitMs, final String label) {
        return String.format(Locale.ROOT, "%s, %s, commit %d ms", label,
                exactlyOnce ? "exactly_once_v2" : "at_least_once", commitMs);
    }

    /**
     * (1) Latency at a fixed offered rate, split per hop ({@link HopLatency}): after a warm-up at the same rate
     * (JIT, assignment, customers entering the state), {@code rate} changes/s for the mode's latency seconds.
     * Returns the end-to-end p99 (ms).
     */
    long fixedRateLatency(final boolean exactlyOnce, final long commitMs, final double rate, final Path logs)
            throws Exception {
        final String config = config(exactlyOnce, commitMs, label) + ", " + writer.threads() + " writer connections, "
                + LoadWriter.perTransaction(rate) + " changes/txn";
        System.out.println("== latency " + config);
        try (RunningApp running = startApp(exactlyOnce, commitMs, 1, Map.of(), logs);
             HopLatency hops = new HopLatency(kafka.bootstrapServers(), List.of(catalog.customers().name(),
                     catalog.flights().name()), catalog.unifiedCustomers(), RegistryServer.shared().serdes())) {
            writer.paced(rate, mode.stepSeconds());
            drain(Duration.ofMinutes(3));
            hops.start();
            final long applied = writer.paced(rate, mode.latencySeconds());
            drain(Duration.ofMinutes(5));
            hops.awaitAppendedSeen(Duration.ofSeconds(30));
            final HopLatency.Result r = hops.stop();
            final String at = String.format(Locale.ROOT, " at %s changes/s for %.0f s", fmt(rate), mode.latencySeconds());
            report.add("1 latency", config, "writer achieved (offered " + fmt(rate) + "/s)",
                    fmt(applied / mode.latencySeconds()) + " changes/s");
            report.latency("1 latency", config, "end to end: source commit -> committed output" + at, r.endToEnd(),
                    "e2e-commit" + commitMs);
            report.latency("1 latency", config, "hop capture: source commit -> CDC topic", r.capture(),
                    "hop-capture-commit" + commitMs);
            report.latency("1 latency", config, "hop processing: CDC topic -> output appended (uncommitted)",
                    r.processing(), "hop-processing-commit" + commitMs);
            report.latency("1 latency", config, "hop commit wait: output appended -> committed (visible)",
                    r.commitWait(), "hop-commit-commit" + commitMs);
            report.add("1 latency", config, "committed output records split into hops / not matched to a change "
                    + "captured while recording (sentinels excluded)", r.split() + " / " + r.unmatched());
            report.latency("1 latency", config, "freshness of every committed output record (now - source_ts_ms)",
                    r.freshness(), "freshness-commit" + commitMs);
            report.latency("1 latency", config, "every CDC record: source commit -> CDC topic", r.cdcAll(),
                    "cdc-all-commit" + commitMs);
            final long p99 = r.endToEnd().getValueAtPercentile(99);
            report.add("1 latency", config, "issue 12 target: p99 <= 600 ms at 1,000 changes/s, EOS, 100 ms commits",
                    exactlyOnce && commitMs == 100 && rate == 1000
                            ? (p99 <= 600 ? "met" : "missed") + " (p99 " + p99 + " ms)"
                            : "(this configuration is not the target's; p99 " + p99 + " ms)");
            streamThreadMetrics(running.app(), config);
            return p99;
        }
    }

    /**
     * (2) Maximum sustained end-to-end rate: offered load stepped up from {@code start} by the mode's factor, each
     * step followed by a sentinel drain; a step is sustained when the writer achieved >= 97 % of the offered rate
     * and the drain took <= 2 s + 3 commit intervals, for up to 12 steps up. The search ends at the first step that is not sustained, and
     * says whose limit it was: the writer's (then the figure is only a lower bound) or the pipeline's. When the
     * pipeline does not keep up with the first step, the search steps down instead (up to 4 times), so a busy
     * machine still gets a figure.
     */
    double maxSustained(final boolean exactlyOnce, final long commitMs, final double start, final Path logs)
            throws Exception {
        final String config = config(exactlyOnce, commitMs, label) + ", " + writer.threads() + " writer connections";
        System.out.println("== max sustained " + config);
        try (RunningApp running = startApp(exactlyOnce, commitMs, 1, Map.of(), logs)) {
            writer.paced(start, mode.stepSeconds()); // warm-up
            drain(Duration.ofMinutes(3));
            final long bound = 2000 + 3 * commitMs;
            double best = 0;
            String verdict = "every step sustained: at least (raise --max-rate-start)";
            double offered = start;
            int down = 0; // steps taken below the first one, because the pipeline did not keep up with it
            for (int step = 0; ; step++) {
                final Step st = step(offered);
                final double achieved = st.achieved();
                final long drainMs = st.drainMs();
                final Histogram h = st.freshness();
                final boolean writerKept = achieved >= 0.97 * offered;
                final boolean pipelineKept = drainMs <= bound;
                report.add("2 max sustained steps", config, String.format(Locale.ROOT,
                        "offered %s/s for %.0f s, %d changes/txn: writer achieved %s/s", fmt(offered),
                        mode.stepSeconds(), LoadWriter.perTransaction(offered), fmt(achieved)),
                        String.format(Locale.ROOT, "%s: drain %s ms (bound %d), output freshness p50 %d / p99 %d ms",
                                writerKept && pipelineKept ? "sustained" : !writerKept ? "WRITER could not offer it"
                                        : "PIPELINE did not keep up",
                                drainMs == Long.MAX_VALUE ? ">300000" : String.valueOf(drainMs), bound,
                                h.getValueAtPercentile(50), h.getValueAtPercentile(99)));
                if (writerKept && pipelineKept) {
                    best = achieved;
                    if (down > 0) {
                        verdict = String.format(Locale.ROOT, "pipeline-limited: the first step, %s/s, was written "
                                + "but not drained within %d ms; stepped down to this one", fmt(start), bound);
                        break;
                    }
                    if (step + 1 >= Math.max(12, mode.maxSteps())) {
                        break;
                    }
                    offered *= mode.stepFactor();
                } else if (!writerKept) {
                    verdict = String.format(Locale.ROOT, "WRITER-limited (offered %s/s, writer achieved %s/s): "
                            + "a lower bound, not the pipeline's maximum", fmt(offered), fmt(achieved));
                    break;
                } else if (step == 0 || down > 0) {
                    if (down == 4) {
                        verdict = String.format(Locale.ROOT, "pipeline-limited: not even %s/s was drained within "
                                + "%d ms", fmt(offered), bound);
                        break;
                    }
                    down++;
                    offered /= mode.stepFactor();
                } else {
                    verdict = String.format(Locale.ROOT, "pipeline-limited: the next step's %s/s was written "
                            + "(writer achieved %s/s) but not drained within %d ms", fmt(offered), fmt(achieved), bound);
                    break;
                }
            }
            report.add("2 max sustained", config, "max sustained end-to-end rate (" + verdict + ")",
                    fmt(best) + " changes/s (issue 12 target >= 2,500)");
            report.add("profile", config, "producer produce retries on CONCURRENT_TRANSACTIONS (app log lines)",
                    String.valueOf(running.app().logLines("CONCURRENT_TRANSACTIONS")));
            return best;
        }
    }

    /** One step of offered load: the writer's achieved rate, the sentinel drain after it, output freshness. */
    private record Step(double achieved, long drainMs, Histogram freshness) {
    }

    /** Offers {@code offered} changes/s for the mode's step seconds, then drains ({@code MAX_VALUE}: timed out). */
    private Step step(final double offered) throws Exception {
        output.startLatency();
        final long applied = writer.paced(offered, mode.stepSeconds());
        long drainMs;
        try {
            drainMs = drain(Duration.ofMinutes(5));
        } catch (final TimeoutException e) {
            drainMs = Long.MAX_VALUE;
        }
        return new Step(applied / mode.stepSeconds(), drainMs, output.stopLatency());
    }

    /** The writer alone (the capture streams its WAL, no app): its own rate at {@code changes} per burst. */
    double writerAlone(final long changes) throws Exception {
        final long nanos = writer.burst(changes);
        final double rate = changes / (nanos / 1e9);
        report.add("2 max sustained", label + ", " + writer.threads() + " writer connections, " + mode.perTransaction()
                + " changes/txn", "PostgreSQL writer alone, " + changes + " changes as fast as it goes",
                fmt(rate) + " changes/s");
        return rate;
    }

    /** Commits {@code changes} of the mix as fast as the writer goes (a backlog for the catch-up part). */
    void load(final long changes) throws Exception {
        writer.burst(changes);
        awaitQuietCdcTopics();
    }

    /** Windowed Kafka Streams thread metrics, read right after a run: how long a commit and a poll really take. */
    private void streamThreadMetrics(final StreamsChild app, final String config) {
        final Map<String, Double> m = app.metrics(List.of(
                "kafka_stream_thread_commit_latency_avg",
                "kafka_stream_thread_commit_latency_max",
                "kafka_stream_thread_poll_latency_avg",
                "kafka_stream_thread_process_latency_avg"));
        report.add("profile", config, "stream thread after the latency run (ms): commit avg / max, "
                + "poll avg, process avg", String.format(Locale.ROOT, "%.0f / %.0f / %.0f / %.3f",
                m.get("kafka_stream_thread_commit_latency_avg"),
                m.get("kafka_stream_thread_commit_latency_max"),
                m.get("kafka_stream_thread_poll_latency_avg"),
                m.get("kafka_stream_thread_process_latency_avg")));
    }

    /**
     * Deletes a finished app's internal topics (changelogs, repartition topics): otherwise every configuration adds
     * ~70 partitions x 3 replicas to the 3 in-process brokers and later runs pay for the earlier ones.
     */
    void deleteInternalTopics(final String appId) {
        try {
            final java.util.Set<String> names = kafka.admin().listTopics().names().get(30, TimeUnit.SECONDS);
            final List<String> internal = names.stream().filter(n -> n.startsWith(appId + "-")).toList();
            kafka.admin().deleteTopics(internal).all().get(60, TimeUnit.SECONDS);
        } catch (final Exception e) {
            report.note("could not delete the internal topics of " + appId + ": " + e.getMessage());
        }
    }

    /** Commits a sentinel update and waits until the output shows it; returns commit-to-visible ms. */
    private long drain(final Duration timeout) throws Exception {
        final long committed = System.currentTimeMillis();
        return drainAbsolute(timeout) - committed;
    }

    /**
     * Commits a sentinel update (one customer per partition) and returns the wall-clock ms at which the output
     * showed the last of them.
     */
    private long drainAbsolute(final Duration timeout) throws Exception {
        final String tag = writer.sentinel();
        final long deadline = System.nanoTime() + timeout.toNanos();
        long last = 0;
        for (final int id : writer.sentinelIds()) {
            try {
                last = Math.max(last, output.awaitRecord(id, tag).get(
                        Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
            } catch (final TimeoutException e) {
                throw new TimeoutException("sentinel " + tag + " of customer " + id + " not in the output after "
                        + timeout);
            }
        }
        return last;
    }

    /** Waits until the CDC topics stop growing (the snapshot is on them). */
    private void awaitQuietCdcTopics() throws Exception {
        long last = -1;
        int stable = 0;
        final long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (stable < 3 && System.nanoTime() < deadline) {
            final long sum = endOffsets(List.of(catalog.customers().name(), catalog.flights().name()));
            stable = sum == last && sum > 0 ? stable + 1 : 0;
            last = sum;
            Thread.sleep(700);
        }
    }

    private long endOffsets(final List<String> topics) throws Exception {
        final Map<TopicPartition, OffsetSpec> spec = new HashMap<>();
        for (final String t : topics) {
            for (int p = 0; p < catalog.partitions(); p++) {
                spec.put(new TopicPartition(t, p), OffsetSpec.latest());
            }
        }
        return kafka.admin().listOffsets(spec, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all()
                .get(30, TimeUnit.SECONDS).values().stream().mapToLong(i -> i.offset()).sum();
    }

    static String fmt(final double v) {
        return String.format(Locale.ROOT, "%,.0f", v);
    }

    @Override
    public void close() throws Exception {
        output.close();
        if (capture != null) {
            capture.close();
        }
        writer.close();
    }
}
