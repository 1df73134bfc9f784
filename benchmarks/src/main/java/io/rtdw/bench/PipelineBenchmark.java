package io.rtdw.bench;

import io.rtdw.streams.config.StreamsSettings;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.runtime.KafkaClients;
import io.rtdw.testing.RegistryServer;
import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.testing.KafkaTestCluster;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The pipeline benchmark (a program, not a test: it prints numbers and asserts nothing). In one run, on the real
 * 3-broker cluster, with real PostgreSQL, the real capture and the real streams app in its own JVM:
 * <ol>
 *   <li>ceilings: Kafka transactional produce+consume of output-sized records; capture alone from PostgreSQL;</li>
 *   <li>the full pipeline (PostgreSQL commit to committed output) with exactly_once_v2 and at_least_once,
 *   alternating, at commit intervals of 100 ms and 1 s: burst throughput and offered load stepped up to the maximum
 *   sustained rate;</li>
 *   <li>latency (source commit to committed output, read_committed) at half the maximum sustained rate;</li>
 *   <li>memory of the streams app holding N customers and 5N children (measured at N/2 and N, extrapolated to
 *   1 million customers / 5 million children);</li>
 *   <li>max.in.flight 1 versus 5, and broker {@code log.flush.interval.messages=1} versus the default.</li>
 * </ol>
 * Run with {@code benchmarks/run.sh [--quick] [--parts ...]}; {@code --help} lists the options.
 */
public final class PipelineBenchmark {

    /** Sizes of one run. */
    record Mode(String name, int captureBurst, int pipelineBurst, double firstStep, double stepFactor, int maxSteps,
                double stepSeconds,
                double latencySeconds, int rounds, int memoryCustomers, int memoryHeapMb, int ceilingRecords,
                int perTransaction, long pollMs, int appHeapMb) {

        static Mode quick() {
            return new Mode("quick", 10_000, 10_000, 0.5, 1.4, 6, 6, 12, 1, 20_000, 768,
                    50_000, 10, 100, 512);
        }

        static Mode full() {
            return new Mode("full", 40_000, 40_000, 0.4, 1.2, 10, 20,
                    60, 2, 200_000, 2048, 300_000, 10, 100, 768);
        }
    }

    static final Set<String> PARTS = new LinkedHashSet<>(List.of("ceiling", "capture", "pipeline", "latency",
            "inflight", "memory", "memory-bounded", "flush", "tuning"));

    static final String HELP = """
            PipelineBenchmark: throughput, latency and memory of the rtdw pipeline, side by side in one run.

            Usage: benchmarks/run.sh [--quick | --full] [--parts p1,p2,...] [--memory-customers N] [--rounds N]
                                     [--out DIR] [--help]

              --quick               small sizes, about 10 minutes on 2 busy cores
              --full                default: larger bursts, 20 s steps, 60 s latency runs, 2 alternating rounds,
                                    200 000 customers in the memory run
              --parts               any of ceiling,capture,pipeline,latency,inflight,memory,memory-bounded,flush,
                                    tuning (memory: the app's bounded RocksDB and Kafka Streams' defaults side by
                                    side; memory-bounded: the bounded one only, for a long run at 1,000,000)
                                    (default: all; latency needs pipeline; inflight and flush measure pipeline
                                    bursts; tuning: EOS 100 ms latency with default vs short producer linger
                                    and consumer fetch wait, at the same rate)
              --tuning-rate R       offered rate of the tuning latency runs (default 500 changes/s)
              --memory-customers N  customers in the memory run (children: 3 flights + 2 vehicles each)
              --rounds N            rounds of the alternating EOS / ALOS pipeline runs
              --out DIR             where summary.md, histograms.hlog and the app logs go
                                    (default benchmarks/target/bench-results/<time>)

            Everything runs on this machine: a 3-broker Kafka cluster (KafkaTestCluster) and the CDC process in
            this JVM, PostgreSQL 17 (embedded binaries) as a server process, every streams app in its own JVM.
            """;

    private PipelineBenchmark() {
    }

    public static void main(final String[] args) throws Exception {
        Mode mode = Mode.full();
        Set<String> parts = new LinkedHashSet<>(PARTS);
        Integer memoryCustomers = null;
        Integer rounds = null;
        Path out = null;
        double tuningRate = 500;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--help", "-h" -> {
                        System.out.print(HELP);
                        return;
                    }
                    case "--quick" -> mode = Mode.quick();
                    case "--full" -> mode = Mode.full();
                    case "--parts" -> {
                        parts = new LinkedHashSet<>(Arrays.asList(args[++i].split(",")));
                        final Set<String> unknown = new HashSet<>(parts);
                        unknown.removeAll(PARTS);
                        if (!unknown.isEmpty()) {
                            throw new IllegalArgumentException("unknown parts " + unknown + "; use " + PARTS);
                        }
                    }
                    case "--memory-customers" -> memoryCustomers = Integer.parseInt(args[++i]);
                    case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                    case "--out" -> out = Path.of(args[++i]);
                    case "--tuning-rate" -> tuningRate = Double.parseDouble(args[++i]);
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
        } catch (final RuntimeException e) {
            System.err.println(e.getMessage() + "\n\n" + HELP);
            System.exit(2);
            return;
        }
        if (memoryCustomers != null || rounds != null) {
            mode = new Mode(mode.name(), mode.captureBurst(), mode.pipelineBurst(), mode.firstStep(),
                    mode.stepFactor(), mode.maxSteps(),
                    mode.stepSeconds(), mode.latencySeconds(), rounds == null ? mode.rounds() : rounds,
                    memoryCustomers == null ? mode.memoryCustomers() : memoryCustomers, mode.memoryHeapMb(),
                    mode.ceilingRecords(), mode.perTransaction(), mode.pollMs(), mode.appHeapMb());
        }
        if (out == null) {
            out = Path.of("benchmarks", "target", "bench-results",
                    LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        }
        run(mode, parts, String.join(" ", args), out, tuningRate);
    }

    private static void run(final Mode mode, final Set<String> parts, final String args, final Path out,
                            final double tuningRate) throws Exception {
        final long began = System.nanoTime();
        try (Report report = new Report(out)) {
            final String machine = machine();
            System.out.println("== PipelineBenchmark " + mode.name() + " mode, args: " + args + "\n" + machine);
            report.note("machine: " + machine.replace('\n', ';'));
            report.note("mode " + mode.name() + ", parts " + parts + ", load average at start " + Report.loadAverage());
            final Path logs = Files.createDirectories(out.resolve("logs"));
            final Map<String, Double> figures = new HashMap<>();
            try (PgSource pg = PgSource.start()) {
                try (KafkaTestCluster kafka = KafkaTestCluster.start()) {
                    try (Stack stack = new Stack(kafka, pg, "postgres", "bench", mode, report, "default flush")) {
                        if (parts.contains("ceiling")) {
                            figures.put("ceiling1", stack.ceiling(1));
                            if (parts.contains("inflight")) {
                                figures.put("ceiling5", stack.ceiling(5));
                            }
                        }
                        if (parts.contains("capture") || parts.contains("pipeline") || parts.contains("inflight")
                                || parts.contains("tuning")) {
                            stack.startCapture(1);
                        }
                        if (parts.contains("capture")) {
                            figures.put("capture1.writer", stack.captureBurst("max.in.flight 1"));
                            figures.put("capture1", stack.captureBacklog(1));
                        }
                        if (parts.contains("pipeline")) {
                            for (int round = 1; round <= mode.rounds(); round++) {
                                for (final long commitMs : List.of(100L, 1000L)) {
                                    for (final boolean eos : List.of(true, false)) {
                                        final Stack.PipelineResult r = stack.pipeline(eos, commitMs, 1, true,
                                                eos && parts.contains("latency"), logs);
                                        final String key = (eos ? "eos" : "alos") + commitMs;
                                        figures.merge(key + ".burst", r.burstRate(), Double::sum);
                                        figures.merge(key + ".max", r.maxSustained(), Double::sum);
                                    }
                                }
                            }
                            final TopicCatalog replay = stack.copyCdcHistory();
                            for (final long commitMs : List.of(100L, 1000L)) {
                                for (final boolean eos : List.of(true, false)) {
                                    figures.put((eos ? "eos" : "alos") + commitMs + ".catchup",
                                            stack.appCatchUp(replay, eos, commitMs, logs, Map.of()));
                                }
                            }
                            // Under transactions v2 the first produce of each transaction is refused with
                            // CONCURRENT_TRANSACTIONS until the previous commit's markers are written, then retried
                            // after retry.backoff.ms (100 ms): a shorter backoff is the obvious candidate fix.
                            figures.put("eos100.catchup.backoff10", stack.appCatchUp(replay, true, 100, logs,
                                    Map.of("KAFKA_PRODUCER_RETRY_BACKOFF_MS", "10")));
                            for (final String key : List.copyOf(figures.keySet())) {
                                if (key.startsWith("eos") || key.startsWith("alos")) {
                                    figures.put(key, figures.get(key) / mode.rounds()); // mean over rounds
                                }
                            }
                        }
                        if (parts.contains("tuning")) {
                            // Latency hypothesis: each hop (CDC -> repartition -> output) waits for the producer's
                            // linger (Streams default 100 ms) and, under read_committed, for fetch.max.wait (500 ms).
                            for (final Map<String, String> extra : List.of(Map.<String, String>of(),
                                    Map.of("KAFKA_PRODUCER_LINGER_MS", "5", "KAFKA_CONSUMER_FETCH_MAX_WAIT_MS", "20"))) {
                                stack.pipeline(true, 100, 1, false, true, logs, extra, tuningRate);
                            }
                        }
                        if (parts.contains("inflight")) {
                            // Back to back: capture and app producers both at 1, then both at 5.
                            figures.put("inflight1.burst", stack.pipeline(true, 100, 1, false, false, logs).burstRate());
                            stack.startCapture(5);
                            if (parts.contains("capture")) {
                                figures.put("capture5", stack.captureBacklog(5));
                            }
                            figures.put("inflight5.burst", stack.pipeline(true, 100, 5, false, false, logs).burstRate());
                        }
                    }
                    if (parts.contains("memory") || parts.contains("memory-bounded")) {
                        memory(kafka, mode, report, logs, "bounded", Map.of());
                    }
                    if (parts.contains("memory")) {
                        // The same load on Kafka Streams' own RocksDB defaults (one cache and memtables per store),
                        // side by side in this run: what the bound saves.
                        memory(kafka, mode, report, logs, "streams-defaults",
                                Map.of("KAFKA_ROCKSDB_CONFIG_SETTER", StreamsDefaultRocksDb.class.getName()));
                    }
                }
                if (parts.contains("flush")) {
                    // Two fresh clusters, one after the other, measured the same way: the main cluster has been
                    // through every earlier configuration, so it is not a fair baseline for the flush setting.
                    for (final boolean flush : List.of(false, true)) {
                        final String key = flush ? "flush1" : "flush0";
                        pg.createDatabase(key);
                        try (KafkaTestCluster cluster = KafkaTestCluster.start(flush
                                ? Map.of("log.flush.interval.messages", "1") : Map.of());
                             Stack stack = new Stack(cluster, pg, key, key, mode, report, flush
                                     ? "fresh cluster, log.flush.interval.messages=1" : "fresh cluster, default flush")) {
                            figures.put(key + ".ceiling1", stack.ceiling(1));
                            stack.startCapture(1);
                            figures.put(key + ".capture1", stack.captureBacklog(1));
                            figures.put(key + ".burst", stack.pipeline(true, 100, 1, false, false, logs).burstRate());
                        }
                    }
                }
            }
            ratios(figures, report);
            report.note(String.format(Locale.ROOT, "run took %.1f min; load average at end %s",
                    (System.nanoTime() - began) / 6e10, Report.loadAverage()));
            System.out.println("\n== Results (" + mode.name() + " mode)\n");
            System.out.println(report.table());
            System.out.println("summary and histograms in " + out.toAbsolutePath());
        }
    }

    private static void ratios(final Map<String, Double> f, final Report report) {
        ratio(report, "EOS / ALOS, burst, commit 100 ms", f.get("eos100.burst"), f.get("alos100.burst"), "(target >= 0.80 is for max sustained)");
        ratio(report, "EOS / ALOS, max sustained, commit 100 ms", f.get("eos100.max"), f.get("alos100.max"), "target >= 0.80");
        ratio(report, "EOS / ALOS, burst, commit 1 s", f.get("eos1000.burst"), f.get("alos1000.burst"), "(target >= 0.90 is for max sustained)");
        ratio(report, "EOS / ALOS, max sustained, commit 1 s", f.get("eos1000.max"), f.get("alos1000.max"), "target >= 0.90");
        ratio(report, "EOS / ALOS, app catch-up, commit 100 ms", f.get("eos100.catchup"), f.get("alos100.catchup"), "target >= 0.80");
        ratio(report, "EOS / ALOS, app catch-up, commit 1 s", f.get("eos1000.catchup"), f.get("alos1000.catchup"), "target >= 0.90");
        ratio(report, "EOS app catch-up, 100 ms, producer retry.backoff.ms 10 / default 100",
                f.get("eos100.catchup.backoff10"), f.get("eos100.catchup"), "");
        ratio(report, "app catch-up (EOS, 100 ms) / capture backlog", f.get("eos100.catchup"), f.get("capture1"), "target >= 0.50");
        ratio(report, "pipeline / capture-only, burst (EOS, 100 ms)", f.get("eos100.burst"), f.get("capture1"), "target >= 0.50");
        ratio(report, "pipeline / capture-only, max sustained (EOS, 100 ms)", f.get("eos100.max"), f.get("capture1"), "target >= 0.50");
        ratio(report, "pipeline / raw Kafka txn ceiling, burst (EOS, 100 ms)", f.get("eos100.burst"), f.get("ceiling1"), "");
        ratio(report, "capture-only / raw Kafka txn ceiling", f.get("capture1"), f.get("ceiling1"), "");
        ratio(report, "raw Kafka, max.in.flight 5 / 1", f.get("ceiling5"), f.get("ceiling1"), "");
        ratio(report, "capture-only, max.in.flight 5 / 1", f.get("capture5"), f.get("capture1"), "");
        ratio(report, "pipeline burst (EOS, 100 ms), max.in.flight 5 / 1", f.get("inflight5.burst"), f.get("inflight1.burst"), "");
        ratio(report, "raw Kafka, log.flush.interval.messages=1 / default (fresh clusters)", f.get("flush1.ceiling1"),
                f.get("flush0.ceiling1"), "");
        ratio(report, "capture backlog, log.flush.interval.messages=1 / default (fresh clusters)", f.get("flush1.capture1"),
                f.get("flush0.capture1"), "");
        ratio(report, "pipeline burst (EOS, 100 ms), log.flush=1 / default (fresh clusters)", f.get("flush1.burst"),
                f.get("flush0.burst"), "");
    }

    private static void ratio(final Report report, final String name, final Double a, final Double b, final String target) {
        if (a != null && b != null && b > 0) {
            report.add("ratios", name, target.isEmpty() ? "ratio" : target,
                    String.format(Locale.ROOT, "%.2f (%s / %s)", a / b, Stack.fmt(a), Stack.fmt(b)));
        }
    }

    /**
     * (4) The streams app in its own JVM fed N/2 then N customers with 3 flights and 2 vehicles each, straight into
     * the CDC topics; heap after a full GC, RSS and on-disk state at each size, extrapolated to 1M / 5M.
     */
    private static void memory(final KafkaTestCluster kafka, final Mode mode, final Report report, final Path logs,
                               final String variant, final Map<String, String> extraEnv) throws Exception {
        final int n = mode.memoryCustomers();
        final TopicCatalog catalog = new TopicCatalog("mem-" + variant, "public", "rtdw", 6, (short) 3);
        kafka.createTopics(catalog.all());
        final Path state = Files.createTempDirectory("rtdw-bench-mem");
        final Map<String, String> env = new HashMap<>();
        env.put(KafkaClients.BOOTSTRAP_SERVERS.name(), kafka.bootstrapServers());
        env.put(RegistrySerdes.URL.name(), RegistryServer.shared().url());
        env.put(StreamsSettings.APPLICATION_ID.name(), "bench-mem-" + variant);
        env.put(StreamsSettings.COMMIT_INTERVAL_MS.name(), "1000");
        env.put(StreamsSettings.STANDBY_REPLICAS.name(), "0");
        env.put(StreamsSettings.STATE_DIR.name(), state.toString());
        env.put(TopicCatalog.PREFIX.name(), catalog.prefix());
        env.put(TopicCatalog.PARTITIONS.name(), String.valueOf(catalog.partitions()));
        env.putAll(extraEnv);
        final String config = String.format(Locale.ROOT, "exactly_once_v2, commit 1 s, -Xmx%dm, SerialGC, 6 partitions, "
                + "RocksDB %s", mode.memoryHeapMb(), extraEnv.isEmpty()
                ? "bounded (RTDW_ROCKSDB_MEMORY_MB " + StreamsSettings.ROCKSDB_MEMORY_MB.defaultValue() + ")"
                : "Kafka Streams defaults (no shared cache)");
        System.out.println("== memory " + config);
        final long[][] points = new long[2][];
        try (StreamsChild app = StreamsChild.start(env, mode.memoryHeapMb(), logs.resolve("app-memory.log"))) {
            app.awaitReady(Duration.ofMinutes(3));
            final int[] sizes = {n / 2, n};
            int from = 1;
            for (int i = 0; i < 2; i++) {
                final long t0 = System.nanoTime();
                final long records = MemoryLoad.produce(kafka.bootstrapServers(), catalog, from, sizes[i] + 1, 3, 2);
                final double produceSecs = (System.nanoTime() - t0) / 1e9;
                awaitProcessed(kafka.admin(), "bench-mem-" + variant, List.of(catalog.customers(), catalog.flights(),
                        catalog.vehicles()), catalog.partitions(), Duration.ofMinutes(30));
                final double totalSecs = (System.nanoTime() - t0) / 1e9;
                Thread.sleep(2000);
                final long[] heap = app.heapAfterGcKb();
                final long rss = app.procStatusKb("VmRSS");
                final long hwm = app.procStatusKb("VmHWM");
                final long disk = StreamsChild.directoryBytes(state) / 1024;
                points[i] = new long[] {sizes[i], heap[0], rss, disk};
                report.add("4 memory", config, String.format(Locale.ROOT, "%,d customers + %,d children in state",
                        sizes[i], sizes[i] * 5L), String.format(Locale.ROOT,
                        "heap used after full GC %,d MB (committed %,d MB), RSS %,d MB (peak %,d MB), state on disk %,d MB",
                        heap[0] / 1024, heap[1] / 1024, rss / 1024, hwm / 1024, disk / 1024));
                report.add("4 memory", config, String.format(Locale.ROOT, "load of %,d change records", records),
                        String.format(Locale.ROOT, "produced in %.1f s, all processed after %.1f s = %s records/s",
                                produceSecs, totalSecs, Stack.fmt(records / totalSecs)));
                from = sizes[i] + 1;
            }
        } finally {
            StreamsChild.deleteRecursively(state);
        }
        final double per = 1.0 / (points[1][0] - points[0][0]);
        final long target = 1_000_000;
        final String[] names = {"heap used", "RSS", "state on disk"};
        final StringBuilder b = new StringBuilder();
        for (int k = 1; k <= 3; k++) {
            final double slope = (points[1][k] - points[0][k]) * per;
            final double at = points[1][k] + slope * (target - points[1][0]);
            b.append(slope <= 0
                    ? String.format(Locale.ROOT, "%s: no growth between the two sizes (%,d MB); ", names[k - 1],
                            points[1][k] / 1024)
                    : String.format(Locale.ROOT, "%s ~%,.0f MB (%.2f KB per customer+5 children); ", names[k - 1],
                            at / 1024, slope));
        }
        report.add("4 memory", config, "EXTRAPOLATED (linear from the two sizes) to 1,000,000 customers + 5,000,000 children",
                b.toString());
    }

    /** Waits until the group has committed offsets at (or one marker short of) the end of every input partition. */
    static void awaitProcessed(final Admin admin, final String group, final List<Topic<?, ?>> sources,
                                       final int partitions, final Duration timeout) throws Exception {
        final long deadline = System.nanoTime() + timeout.toNanos();
        Map<TopicPartition, OffsetAndMetadata> previous = Map.of();
        long unchangedSince = System.nanoTime();
        while (System.nanoTime() < deadline) {
            final Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            final Map<TopicPartition, OffsetSpec> spec = new HashMap<>();
            for (final Topic<?, ?> t : sources) {
                for (int p = 0; p < partitions; p++) {
                    spec.put(new TopicPartition(t.name(), p), OffsetSpec.latest());
                }
            }
            committed.keySet().forEach(tp -> spec.put(tp, OffsetSpec.latest())); // repartition topics too
            final var ends = admin.listOffsets(spec, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all()
                    .get(30, TimeUnit.SECONDS);
            boolean done = true;
            for (final var e : ends.entrySet()) {
                final OffsetAndMetadata c = committed.get(e.getKey());
                // A transaction marker after the last record leaves the committed offset one short of the end.
                if (e.getValue().offset() - (c == null ? 0 : c.offset()) > 1) {
                    done = false;
                }
            }
            if (done) {
                return;
            }
            if (!committed.equals(previous)) {
                previous = committed;
                unchangedSince = System.nanoTime();
            } else if (System.nanoTime() - unchangedSince > TimeUnit.SECONDS.toNanos(60)) {
                throw new IllegalStateException("group " + group + " made no progress for 60 s");
            }
            Thread.sleep(1000);
        }
        throw new IllegalStateException("group " + group + " not caught up after " + timeout);
    }

    /** Cores, memory, load, JVM, and the filesystem the brokers write to (tmpfs makes flushes cheap). */
    static String machine() {
        final StringBuilder b = new StringBuilder();
        b.append("cores (nproc): ").append(Runtime.getRuntime().availableProcessors());
        try {
            for (final String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal") || line.startsWith("MemAvailable")) {
                    b.append(", ").append(line.replaceAll("\\s+", " "));
                }
            }
            final String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name")).findFirst().orElse("model name: ?");
            b.append("\ncpu: ").append(cpu.substring(cpu.indexOf(':') + 1).trim());
            final Process df = new ProcessBuilder("df", "-T", System.getProperty("java.io.tmpdir"))
                    .redirectErrorStream(true).start();
            final String[] dfLines = new String(df.getInputStream().readAllBytes()).split("\n");
            df.waitFor(10, TimeUnit.SECONDS);
            b.append("\nbroker log dirs under ").append(System.getProperty("java.io.tmpdir")).append(": ")
                    .append(dfLines.length > 1 ? dfLines[1].replaceAll("\\s+", " ") : "?");
        } catch (final IOException | InterruptedException e) {
            b.append(" (").append(e.getMessage()).append(')');
        }
        b.append("\nJava ").append(System.getProperty("java.version")).append(", load average ")
                .append(Report.loadAverage());
        return b.toString();
    }
}
