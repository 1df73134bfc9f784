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
 * 3-broker cluster, with real PostgreSQL, the real capture and the real streams app in its own JVM (whatever
 * topology {@code StreamsApp} builds), each part selected with {@code --parts}:
 * <ol>
 *   <li>ceilings: Kafka transactional produce+consume of output-sized records; capture alone from PostgreSQL;</li>
 *   <li>latency at a fixed offered rate (1,000 changes/s), EOS, 100 ms and 1 s commits, split per hop (capture,
 *   processing, commit wait);</li>
 *   <li>the maximum sustained end-to-end rate, with a multi-connection load writer that out-runs the pipeline;</li>
 *   <li>exactly-once / at-least-once throughput of the app alone over the same captured backlog, at both commit
 *   intervals, side by side;</li>
 *   <li>the time to restore N customers + 5N children after losing the app's local disk;</li>
 *   <li>the older parts: pipeline bursts and stepped search for EOS and ALOS, memory of the app holding N customers
 *   and 5N children, max.in.flight 1 versus 5, broker {@code log.flush.interval.messages=1} versus the default.</li>
 * </ol>
 * Ratios to the ceilings measured in the same run are printed with the previous run's figures beside them.
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

    /** Settings of the parts added for issue 12 (command-line options). */
    record Knobs(double latencyRate, int writerThreads, int bulkCustomers, double maxRateStart, int restoreCustomers,
                 double tuningRate) {
    }

    static final Set<String> PARTS = new LinkedHashSet<>(List.of("ceiling", "capture", "latency", "max-rate",
            "eos-alos", "restore", "pipeline", "inflight", "memory", "memory-bounded", "flush", "tuning"));

    /**
     * Figures of the previous measured run (BENCHMARKS.md, quick-3, 2026-11-21, 2 cores, load average 6-28, the
     * two-hop engine), printed beside this run's ratios. Static: they are what the last run printed.
     */
    static final Map<String, String> PREVIOUS = Map.ofEntries(
            Map.entry("ceiling1", "8,560 records/s"),
            Map.entry("capture1", "6,300 changes/s"),
            Map.entry("max.eos100", ">= 2,378 changes/s (one-connection writer, lower bound)"),
            Map.entry("max.eos1000", ">= 1,437 changes/s (lower bound)"),
            Map.entry("latency.eos100", "p99 2,315 ms at 1,189 changes/s"),
            Map.entry("latency.eos1000", "p99 5,759 ms at 718 changes/s"),
            Map.entry("catchup100", "0.85 at 100 ms in quick-2, 1.55 in quick-3 (4,353 / 2,811)"),
            Map.entry("catchup1000", "0.85 (6,089 / 7,127)"),
            Map.entry("catchup.capture", "0.69 (4,353 / 6,300)"),
            Map.entry("max.capture", ">= 0.38 (2,378 / 6,300)"),
            Map.entry("capture.ceiling", "0.74 (6,300 / 8,560)"));

    static final String HELP = """
            PipelineBenchmark: throughput, latency and memory of the rtdw pipeline, side by side in one run.

            Usage: benchmarks/run.sh [--quick | --full] [--parts p1,p2,...] [--memory-customers N] [--rounds N]
                                     [--latency-rate R] [--writer-threads N] [--bulk-customers N]
                                     [--max-rate-start R] [--restore-customers N] [--out DIR] [--help]

              --quick               small sizes, about 10 minutes on 2 busy cores
              --full                default: larger bursts, 20 s steps, 60 s latency runs, 2 alternating rounds,
                                    200 000 customers in the memory run
              --parts               any of ceiling,capture,latency,max-rate,eos-alos,restore,pipeline,inflight,
                                    memory,memory-bounded,flush,tuning (default: all)
                                      ceiling   raw Kafka transactional produce + read_committed consume
                                      capture   capture alone: a burst, and a backlog drained after a restart
                                      latency   EOS at --latency-rate, commits 100 ms and 1 s: end-to-end
                                                p50/p99/p99.9 and per hop (capture, processing, commit wait)
                                      max-rate  EOS, commits 100 ms and 1 s: offered load stepped up from
                                                --max-rate-start until the pipeline (or the writer) falls behind
                                      eos-alos  the app alone over one captured backlog, EOS and ALOS at 100 ms
                                                and 1 s, alternating (--rounds times)
                                      restore   N customers + 5N children in state (--restore-customers), app
                                                stopped, state directory deleted, time until ready again
                                      pipeline  bursts and stepped search, EOS and ALOS (the 0.1 measurement)
                                      memory    the app's bounded RocksDB and Kafka Streams' defaults side by
                                                side; memory-bounded: the bounded one only (long run at 1M)
                                      inflight, flush: max.in.flight 5 vs 1, log.flush.interval.messages=1
                                                vs default (pipeline bursts); tuning: EOS 100 ms latency with
                                                default vs short producer linger and consumer fetch wait
              --latency-rate R      offered rate of the latency part (default 1000 changes/s)
              --writer-threads N    JDBC connections of the load writer (default 4)
              --bulk-customers N    customers bulk-inserted before the load, with 5 flights each (default 10000)
              --max-rate-start R    first offered rate of the max-rate search (default 1000 changes/s)
              --restore-customers N customers in the restore part, with 3 flights + 2 vehicles each (default 50000)
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
        double latencyRate = 1000;
        int writerThreads = 4;
        int bulkCustomers = 10_000;
        double maxRateStart = 1000;
        int restoreCustomers = 50_000;
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
                    case "--latency-rate" -> latencyRate = Double.parseDouble(args[++i]);
                    case "--writer-threads" -> writerThreads = Integer.parseInt(args[++i]);
                    case "--bulk-customers" -> bulkCustomers = Integer.parseInt(args[++i]);
                    case "--max-rate-start" -> maxRateStart = Double.parseDouble(args[++i]);
                    case "--restore-customers" -> restoreCustomers = Integer.parseInt(args[++i]);
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
        run(mode, parts, String.join(" ", args), out, new Knobs(latencyRate, writerThreads, bulkCustomers,
                maxRateStart, restoreCustomers, tuningRate));
    }

    private static void run(final Mode mode, final Set<String> parts, final String args, final Path out,
                            final Knobs knobs) throws Exception {
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
                    try (Stack stack = new Stack(kafka, pg, "postgres", "bench", mode, knobs, report, "default flush")) {
                        if (parts.contains("ceiling")) {
                            figures.put("ceiling1", stack.ceiling(1));
                            if (parts.contains("inflight")) {
                                figures.put("ceiling5", stack.ceiling(5));
                            }
                        }
                        if (parts.stream().anyMatch(p -> Set.of("capture", "latency", "max-rate", "eos-alos",
                                "pipeline", "inflight", "tuning").contains(p))) {
                            stack.startCapture(1);
                        }
                        if (parts.contains("capture")) {
                            figures.put("capture1.writer", stack.captureBurst("max.in.flight 1"));
                            figures.put("capture1", stack.captureBacklog(1));
                        }
                        if (parts.contains("latency")) {
                            for (final long commitMs : List.of(100L, 1000L)) {
                                figures.put("latency.eos" + commitMs, (double) stack.fixedRateLatency(true, commitMs,
                                        knobs.latencyRate(), logs));
                            }
                        }
                        if (parts.contains("max-rate")) {
                            figures.put("writer.alone", stack.writerAlone(mode.pipelineBurst()));
                            for (final long commitMs : List.of(100L, 1000L)) {
                                figures.put("max.eos" + commitMs, stack.maxSustained(true, commitMs,
                                        knobs.maxRateStart(), logs));
                            }
                        }
                        if (parts.contains("eos-alos")) {
                            // The app alone over one captured backlog (the bulk load's snapshot plus the mix), the
                            // four configurations alternating: the writer-independent EOS / ALOS comparison.
                            stack.load(2L * mode.pipelineBurst());
                            final TopicCatalog replay = stack.copyCdcHistory();
                            for (int round = 1; round <= mode.rounds(); round++) {
                                for (final long commitMs : List.of(100L, 1000L)) {
                                    for (final boolean eos : List.of(true, false)) {
                                        figures.merge((eos ? "eos" : "alos") + commitMs + ".catchup",
                                                stack.appCatchUp(replay, eos, commitMs, logs, Map.of()) / mode.rounds(),
                                                Double::sum);
                                    }
                                }
                            }
                        }
                        if (parts.contains("pipeline")) {
                            for (int round = 1; round <= mode.rounds(); round++) {
                                for (final long commitMs : List.of(100L, 1000L)) {
                                    for (final boolean eos : List.of(true, false)) {
                                        final Stack.PipelineResult r = stack.pipeline(eos, commitMs, 1, true,
                                                false, logs);
                                        final String key = (eos ? "eos" : "alos") + commitMs;
                                        figures.merge(key + ".burst", r.burstRate(), Double::sum);
                                        figures.merge(key + ".max", r.maxSustained(), Double::sum);
                                    }
                                }
                            }
                            for (final String key : List.copyOf(figures.keySet())) {
                                if ((key.startsWith("eos") || key.startsWith("alos")) && !key.endsWith(".catchup")) {
                                    figures.put(key, figures.get(key) / mode.rounds()); // mean over rounds
                                }
                            }
                        }
                        if (parts.contains("tuning")) {
                            // Latency hypothesis: each hop (CDC -> repartition -> output) waits for the producer's
                            // linger (Streams default 100 ms) and, under read_committed, for fetch.max.wait (500 ms).
                            for (final Map<String, String> extra : List.of(Map.<String, String>of(),
                                    Map.of(KafkaClients.PASS_THROUGH.member("producer.linger.ms"), "5",
                                            KafkaClients.PASS_THROUGH.member("consumer.fetch.max.wait.ms"), "20"))) {
                                stack.pipeline(true, 100, 1, false, true, logs, extra, knobs.tuningRate());
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
                    if (parts.contains("restore")) {
                        restore(kafka, mode, report, logs, knobs.restoreCustomers());
                    }
                    if (parts.contains("memory") || parts.contains("memory-bounded")) {
                        memory(kafka, mode, report, logs, "bounded", Map.of());
                    }
                    if (parts.contains("memory")) {
                        // The same load on Kafka Streams' own RocksDB defaults (one cache and memtables per store),
                        // side by side in this run: what the bound saves.
                        memory(kafka, mode, report, logs, "streams-defaults",
                                Map.of(KafkaClients.PASS_THROUGH.member("rocksdb.config.setter"),
                                        StreamsDefaultRocksDb.class.getName()));
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
                             Stack stack = new Stack(cluster, pg, key, key, mode, knobs, report, flush
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
        // Issue 12's parts, each beside the ceilings of this run and the previous run's figure.
        ratio(report, "EOS / ALOS, app catch-up, commit 1 s", f.get("eos1000.catchup"), f.get("alos1000.catchup"),
                "issue 12 target >= 0.95", "catchup1000");
        ratio(report, "EOS / ALOS, app catch-up, commit 100 ms", f.get("eos100.catchup"), f.get("alos100.catchup"),
                "issue 12 target >= 0.85", "catchup100");
        ratio(report, "app catch-up (EOS, 100 ms) / capture backlog", f.get("eos100.catchup"), f.get("capture1"),
                "ceiling ratio", "catchup.capture");
        ratio(report, "app catch-up (EOS, 100 ms) / raw Kafka txn ceiling", f.get("eos100.catchup"),
                f.get("ceiling1"), "ceiling ratio", "");
        for (final long commitMs : List.of(100L, 1000L)) {
            final String key = "max.eos" + commitMs;
            final String what = "max sustained end to end (EOS, " + (commitMs == 100 ? "100 ms" : "1 s") + ")";
            ratio(report, what + " / capture backlog", f.get(key), f.get("capture1"), "ceiling ratio",
                    commitMs == 100 ? "max.capture" : "");
            ratio(report, what + " / raw Kafka txn ceiling", f.get(key), f.get("ceiling1"), "ceiling ratio", "");
            ratio(report, what + " / the writer alone", f.get(key), f.get("writer.alone"),
                    "ratio (below 1 with a pipeline-limited verdict: the writer had headroom)", "");
            if (f.get(key) != null) {
                report.add("ratios", what, "issue 12 target >= 2,500 changes/s", Stack.fmt(f.get(key))
                        + " changes/s; previous " + PREVIOUS.get(key));
            }
            final Double p99 = f.get("latency.eos" + commitMs);
            if (p99 != null) {
                report.add("ratios", "latency p99 (EOS, " + (commitMs == 100 ? "100 ms" : "1 s") + ", "
                        + "fixed rate), source commit -> committed output", commitMs == 100
                        ? "issue 12 target <= 600 ms at 1,000 changes/s" : "(no target at 1 s commits)",
                        String.format(Locale.ROOT, "%,.0f ms; previous %s", p99, PREVIOUS.get("latency.eos" + commitMs)));
            }
        }
        ratio(report, "capture-only / raw Kafka txn ceiling", f.get("capture1"), f.get("ceiling1"), "ceiling ratio",
                "capture.ceiling");
        for (final String ceiling : List.of("ceiling1", "capture1")) {
            if (f.get(ceiling) != null) {
                report.add("ratios", ceiling.equals("ceiling1") ? "raw Kafka txn ceiling (max.in.flight 1)"
                        : "capture backlog (max.in.flight 1)", "ceiling of this run", Stack.fmt(f.get(ceiling))
                        + "/s; previous " + PREVIOUS.get(ceiling));
            }
        }
        // The 0.1 parts.
        ratio(report, "EOS / ALOS, burst, commit 100 ms", f.get("eos100.burst"), f.get("alos100.burst"), "", "");
        ratio(report, "EOS / ALOS, max sustained (stepped, pipeline part), commit 100 ms", f.get("eos100.max"),
                f.get("alos100.max"), "", "");
        ratio(report, "EOS / ALOS, burst, commit 1 s", f.get("eos1000.burst"), f.get("alos1000.burst"), "", "");
        ratio(report, "EOS / ALOS, max sustained (stepped, pipeline part), commit 1 s", f.get("eos1000.max"),
                f.get("alos1000.max"), "", "");
        ratio(report, "pipeline / capture-only, burst (EOS, 100 ms)", f.get("eos100.burst"), f.get("capture1"), "", "");
        ratio(report, "pipeline / raw Kafka txn ceiling, burst (EOS, 100 ms)", f.get("eos100.burst"), f.get("ceiling1"), "", "");
        ratio(report, "raw Kafka, max.in.flight 5 / 1", f.get("ceiling5"), f.get("ceiling1"), "", "");
        ratio(report, "capture-only, max.in.flight 5 / 1", f.get("capture5"), f.get("capture1"), "", "");
        ratio(report, "pipeline burst (EOS, 100 ms), max.in.flight 5 / 1", f.get("inflight5.burst"), f.get("inflight1.burst"), "", "");
        ratio(report, "raw Kafka, log.flush.interval.messages=1 / default (fresh clusters)", f.get("flush1.ceiling1"),
                f.get("flush0.ceiling1"), "", "");
        ratio(report, "capture backlog, log.flush.interval.messages=1 / default (fresh clusters)", f.get("flush1.capture1"),
                f.get("flush0.capture1"), "", "");
        ratio(report, "pipeline burst (EOS, 100 ms), log.flush=1 / default (fresh clusters)", f.get("flush1.burst"),
                f.get("flush0.burst"), "", "");
    }

    private static void ratio(final Report report, final String name, final Double a, final Double b,
                              final String target, final String previous) {
        if (a != null && b != null && b > 0) {
            report.add("ratios", name, target.isEmpty() ? "ratio" : target,
                    String.format(Locale.ROOT, "%.2f (%s / %s)%s", a / b, Stack.fmt(a), Stack.fmt(b),
                            previous.isEmpty() ? "" : "; previous " + PREVIOUS.get(previous)));
        }
    }

    /**
     * (5) Restore after losing the local disk: N customers with 3 flights and 2 vehicles each, fed straight into
     * fresh CDC topics, processed by the app (EOS, commit 1 s); the app is stopped, its state directory deleted, and
     * started again on an empty one: the time from its start to ready (RUNNING, every restoration done, what
     * {@code StreamsApp.ready()} and {@code /health/ready} report), and the records it restored (from its log).
     */
    private static void restore(final KafkaTestCluster kafka, final Mode mode, final Report report, final Path logs,
                                final int n) throws Exception {
        final TopicCatalog catalog = new TopicCatalog("restore", "public", "rtdw", 6, (short) 3);
        kafka.createTopics(catalog.all());
        final String appId = "bench-restore";
        final Path state = Files.createTempDirectory("rtdw-bench-restore");
        final Map<String, String> env = Stack.appEnv(kafka.bootstrapServers(), appId, catalog, true, 1000, state);
        // Static membership with a fixed instance id, as the StatefulSet gives each pod its name: the restarted
        // instance takes its place in the group at once instead of waiting out the stopped member's session.
        env.put(StreamsSettings.INSTANCE_ID.name(), "bench-restore-0");
        final String config = String.format(Locale.ROOT, "exactly_once_v2, commit 1 s, -Xmx%dm, SerialGC, "
                + "6 partitions, RF 3, no standby, static membership", mode.memoryHeapMb());
        System.out.println("== restore " + config);
        try {
            final long started = System.nanoTime();
            try (StreamsChild app = StreamsChild.start(env, mode.memoryHeapMb(), logs.resolve("app-restore-1.log"))) {
                app.awaitReady(Duration.ofMinutes(3));
                report.add("5 restore", config, "baseline: start -> ready with empty state and empty topics",
                        String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - started) / 1e9));
                final long t0 = System.nanoTime();
                final long records = MemoryLoad.produce(kafka.bootstrapServers(), catalog, 1, n + 1, 3, 2);
                awaitProcessed(kafka.admin(), appId, List.of(catalog.customers(), catalog.flights(),
                        catalog.vehicles()), catalog.partitions(), Duration.ofMinutes(60));
                report.add("5 restore", config, String.format(Locale.ROOT,
                        "load: %,d customers + %,d children (%,d change records) processed", n, 5L * n, records),
                        String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - t0) / 1e9));
            }
            report.add("5 restore", config, "state directory before the loss (app stopped cleanly)",
                    String.format(Locale.ROOT, "%,d MB", StreamsChild.directoryBytes(state) / (1024 * 1024)));
            StreamsChild.deleteRecursively(state);
            Files.createDirectories(state);
            final Path log = logs.resolve("app-restore-2.log");
            final long t0 = System.nanoTime();
            final long startMs = System.currentTimeMillis();
            try (StreamsChild app = StreamsChild.start(env, mode.memoryHeapMb(), log)) {
                app.awaitReady(Duration.ofMinutes(60));
                // Kafka Streams may report RUNNING before its state updater starts a restoration: ready counts
                // only once every restoration the app logged as started has also been logged as done.
                long[] restored = restoredRecords(log);
                while (restored[1] == 0 || restored[2] > restored[1]) {
                    if (System.nanoTime() - t0 > TimeUnit.MINUTES.toNanos(60)) {
                        throw new IllegalStateException("restoration not done after 60 min: " + restored[1] + " of "
                                + restored[2] + " store partitions restored");
                    }
                    Thread.sleep(100);
                    restored = restoredRecords(log);
                }
                app.awaitReady(Duration.ofMinutes(60));
                final double readySecs = (System.nanoTime() - t0) / 1e9;
                final double restoreSecs = (restored[4] - restored[3]) / 1e3;
                report.add("5 restore", config, String.format(Locale.ROOT,
                        "after deleting the state directory: start -> ready (RUNNING, restoration done), "
                                + "%,d customers + %,d children", n, 5L * n),
                        String.format(Locale.ROOT, "%.1f s, %,d records restored into %d store partitions",
                                readySecs, restored[0], restored[1]));
                report.add("5 restore", config, "of which: start -> first restoration started (JVM start, group "
                        + "join, assignment)",
                        String.format(Locale.ROOT, "%.1f s", (restored[3] - startMs) / 1e3));
                report.add("5 restore", config, "of which: first restoration started -> last one done (app log)",
                        String.format(Locale.ROOT, "%.1f s = %s records/s", restoreSecs,
                                Stack.fmt(restored[0] / Math.max(0.001, restoreSecs))));
                report.add("5 restore", config, "RSS after the restore",
                        String.format(Locale.ROOT, "%,d MB", app.procStatusKb("VmRSS") / 1024));
            }
        } finally {
            StreamsChild.deleteRecursively(state);
        }
    }

    private static final java.util.regex.Pattern RESTORED =
            java.util.regex.Pattern.compile("restored \\S+ from \\S+ \\((\\d+) records\\)");
    private static final java.util.regex.Pattern RESTORING =
            java.util.regex.Pattern.compile("restoring \\S+ from \\S+ \\((\\d+) records\\)");

    /**
     * From the log lines of StreamsApp's restore listener ("restoring STORE from PARTITION (N records)", then
     * "restored STORE from PARTITION (N records)"): records restored, store partitions restored, store partitions
     * whose restoration started, epoch ms of the first "restoring" line and of the last "restored" one.
     */
    static long[] restoredRecords(final Path log) throws IOException {
        long records = 0;
        long done = 0;
        long started = 0;
        long first = 0;
        long last = 0;
        for (final String line : Files.readAllLines(log, java.nio.charset.StandardCharsets.ISO_8859_1)) {
            final java.util.regex.Matcher m = RESTORED.matcher(line);
            if (m.find()) {
                records += Long.parseLong(m.group(1));
                done++;
                last = logTime(line);
            } else if (RESTORING.matcher(line).find()) {
                started++;
                first = first == 0 ? logTime(line) : first;
            }
        }
        return new long[] {records, done, started, first, last};
    }

    /** Epoch ms of a log line that starts with the app's timestamp (2026-12-02T05:16:07,282, local time). */
    private static long logTime(final String line) {
        try {
            return LocalDateTime.parse(line.substring(0, 23), DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss,SSS"))
                    .atZone(java.time.ZoneId.systemDefault()).toInstant().toEpochMilli();
        } catch (final RuntimeException e) {
            return 0;
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
        final Map<String, String> env = Stack.appEnv(kafka.bootstrapServers(), "bench-mem-" + variant, catalog, true,
                1000, state);
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
