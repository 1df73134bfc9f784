package io.rtdw.local;

import io.rtdw.testing.pinot.LocalPinotSettings;
import io.rtdw.testing.pinot.LocalPinot;
import io.rtdw.streams.config.StreamsSettings;
import io.rtdw.runtime.Env;
import io.rtdw.runtime.OpsServer;
import io.rtdw.lake.LakeSinkConfig;
import io.rtdw.cdc.CdcConfig;
import com.fasterxml.jackson.databind.JsonNode;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.testing.ChildJvm;
import io.rtdw.runtime.KafkaClients;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.testing.RegistryServer;
import io.rtdw.testing.S3ProxyServer;
import io.rtdw.testing.pinot.PinotClient;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import io.rtdw.catalog.TopicProvisioner;
import io.rtdw.runtime.ServiceMetrics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import org.apache.kafka.common.TopicPartition;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The whole pipeline on this machine, one command, like a small deployment: Kafka (a KRaft controller and 3 brokers,
 * one process each, {@link KafkaNodes}), PostgreSQL (embedded), s3proxy, the registry, Pinot 0.11, CDC, the streams
 * app, the lake sink and the workload generator, each process supervised ({@link Supervisor}: restarted when it
 * exits); its state in {@code <data-dir>/stack.properties} for {@code rtdw status} / {@code rtdw down}
 * ({@link StackControl}); its own metrics on {@code --ops-port}; live progress; a clean stop with BI results from
 * Pinot and the Parquet files' location; {@code --keep-data} resumes a kept run. Options:
 * {@link LocalStackOptions#HELP}.
 *
 * <p>No SLF4J logger here on purpose: PostgreSQL's and the libraries' logs go to {@code <data-dir>/logs/launcher.log}
 * (set before the first logger exists), the console shows only what a user needs to follow the run.
 */
public final class LocalStack {

    static {
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", "log4j2-local-stack.xml");
        }
    }

    static final String BUCKET = "rtdw-lake";
    private static final String S3_ACCESS = "rtdw-local";
    private static final String S3_SECRET = "rtdw-local-secret";
    private static final String MARKER = ".rtdw-local-stack";
    private static final long GIB = 1024L * 1024 * 1024;

    private final LocalStackOptions options;
    private final Path dataDir;
    private final Path logs;
    private final TopicCatalog catalog = TopicCatalog.DEFAULT;
    private final String mongoUri = blankToNull(Env.read(System.getenv(), env -> env.get(CdcConfig.MONGODB_URI)));
    private final long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
    private final Supervisor supervisor;
    private final KafkaNodes kafkaNodes;
    private final PinotClient pinot;
    private final List<String> stoppedCleanly = new ArrayList<>();
    private final java.util.concurrent.ScheduledExecutorService ticker = java.util.concurrent.Executors
            .newSingleThreadScheduledExecutor(r -> {
                final Thread t = new Thread(r, "local-stack-supervisor");
                t.setDaemon(true);
                return t;
            });
    private final Freshness pinotFreshness = new Freshness();
    private final Freshness parquetFreshness = new Freshness();
    private volatile Admin admin;
    private EmbeddedPostgres postgres;
    private OpsServer ops;
    private ServiceMetrics metrics;
    /** True when --keep-data found a previous run's data in the data directory: it carries on from there. */
    private boolean resumed;
    private volatile boolean stopRequested;
    private volatile boolean shutDown;
    private long readyAtMs = -1;
    private long firstPinotRowAtMs = -1;
    private long peakRss;
    private Map<String, Long> peakRssByPart = Map.of();
    private Progress last;

    LocalStack(final LocalStackOptions options) {
        this.options = options;
        this.dataDir = options.dataDir().toAbsolutePath().normalize();
        this.logs = dataDir.resolve("logs");
        this.supervisor = new Supervisor(Backoff.DEFAULT, System::currentTimeMillis,
                line -> System.out.println("[supervisor] " + line), this::writeStatus);
        this.kafkaNodes = new KafkaNodes(dataDir.resolve("kafka"), options.port("--kafka-controller-port"),
                options.port("--kafka-port"), jmxAgent() == null ? -1 : options.port("--kafka-metrics-port"));
        // Short timeouts: a progress line must not hang on a Pinot that is still starting.
        this.pinot = new PinotClient("http://localhost:" + options.port("--pinot-controller-port"),
                "http://localhost:" + options.port("--pinot-broker-port"), Duration.ofSeconds(15));
    }

    public static void main(final String[] args) {
        final LocalStackOptions options;
        try {
            if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
                System.out.print(LocalStackOptions.HELP);
                return;
            }
            options = LocalStackOptions.parse(args);
        } catch (final IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        final List<String> problems = new ArrayList<>(options.portsInUse());
        problems.addAll(missingFiles());
        if (!problems.isEmpty()) {
            System.err.println("cannot start the local stack:");
            problems.forEach(p -> System.err.println("  - " + p));
            System.exit(2);
            return;
        }
        final LocalStack stack = new LocalStack(options);
        try {
            stack.prepareDataDir();
        } catch (final IllegalStateException | UncheckedIOException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        // Ctrl-C and SIGTERM only ask the main thread to stop: JVM shutdown hooks would run concurrently with the
        // Kafka test kit's own hook, which deletes the brokers' log directories under them (the brokers then halt
        // the JVM). The main thread stops everything in pipeline order and only then exits.
        stack.handleStopSignals();
        // Safety net for an unexpected exit (an Error, System.exit in a library): no child outlives the launcher.
        Runtime.getRuntime().addShutdownHook(new Thread(stack::killEverythingLeft, "local-stack-kill"));
        int status = 0;
        try {
            stack.start();
            stack.runUntilDone();
        } catch (final RuntimeException e) {
            if (!stack.stopRequested) {
                System.err.println("\nthe local stack failed: " + e.getMessage()
                        + (e.getCause() == null ? "" : "\n  cause: " + e.getCause()));
                status = 1;
            }
        }
        stack.shutdown(stack.stopRequested ? "Ctrl-C / SIGTERM" : status == 0 ? "end of --duration" : "failure");
        System.exit(status);
    }

    private void handleStopSignals() {
        for (final String name : List.of("INT", "TERM")) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> {
                    if (stopRequested) {
                        System.out.println("\nstill stopping; a kill -9 of pid " + ProcessHandle.current().pid()
                                + " would leave the components running (their pids are in "
                                + StackStatusFile.path(dataDir) + ")");
                    }
                    stopRequested = true;
                });
            } catch (final IllegalArgumentException e) {
                // signal not available on this platform: the shutdown hook still kills the children
            }
        }
    }

    private void killEverythingLeft() {
        if (shutDown) {
            return;
        }
        supervisor.close();
        supervisor.allProcesses().forEach(ProcessHandle::destroyForcibly);
        if (postgres != null) {
            try {
                postgres.close();
            } catch (final IOException | RuntimeException e) {
                // best effort on the way out
            }
        }
    }

    // ---------------------------------------------------------------- start

    static Path s3proxyJar() {
        return Path.of(System.getProperty("rtdw.s3proxy.jar",
                "local-stack/target/tools/s3proxy-4.1.0-jar-with-dependencies.jar"));
    }

    static Path pinotClasspathFile() {
        return Path.of(System.getProperty("rtdw.pinot.classpathFile", "pinot/target/pinot-runtime/pinot-classpath.txt"));
    }

    static Path pinotPluginJar() {
        return Path.of(System.getProperty("rtdw.pinot.pluginJar", "pinot/target/rtdw-pinot-0.1.0-SNAPSHOT-plugin.jar"));
    }

    /** Prometheus' JMX exporter agent for the Kafka nodes, if the build copied it (else the brokers run without). */
    static Path jmxAgent() {
        final Path jar = Path.of(System.getProperty("rtdw.jmx.agent",
                "local-stack/target/tools/jmx_prometheus_javaagent.jar"));
        return Files.isRegularFile(jar) ? jar : null;
    }

    private static List<String> missingFiles() {
        final List<String> missing = new ArrayList<>();
        for (final Path p : List.of(s3proxyJar(), pinotClasspathFile(), pinotPluginJar())) {
            if (!Files.isRegularFile(p)) {
                missing.add(p.toAbsolutePath() + " is missing: build first (./run-local.sh does, or "
                        + "mvn -DskipTests install from the repository root)");
            }
        }
        return missing;
    }

    /**
     * Without --keep-data a previous run's data is removed: everything starts empty. With --keep-data a previous
     * run's data is resumed: Kafka's logs, PostgreSQL, Pinot, the registry's database, the streams state and the
     * bucket carry on where they stopped. A directory whose launcher still runs is refused either way.
     */
    void prepareDataDir() {
        try {
            if (Files.isDirectory(dataDir)) {
                try (Stream<Path> entries = Files.list(dataDir)) {
                    final boolean empty = entries.findAny().isEmpty();
                    if (!empty && !Files.exists(dataDir.resolve(MARKER))) {
                        throw new IllegalStateException("--data-dir " + dataDir + " is not empty and was not made by the "
                                + "local stack; choose another directory (nothing was deleted)");
                    }
                }
                final StackStatusFile running = StackStatusFile.read(dataDir);
                if (running != null && ProcessHandle.of(running.launcherPid()).map(ProcessHandle::isAlive).orElse(false)
                        && running.launcherPid() != ProcessHandle.current().pid()) {
                    throw new IllegalStateException("a local stack (launcher pid " + running.launcherPid() + ") runs on "
                            + dataDir + " already: ./rtdw status, ./rtdw down");
                }
                if (Files.exists(dataDir.resolve(MARKER))) {
                    if (options.keepData() && Files.isDirectory(dataDir.resolve("kafka"))) {
                        resumed = true;
                        System.out.println("--keep-data: resuming the previous run's data in " + dataDir);
                    } else {
                        System.out.println("removing the previous run's data in " + dataDir);
                        deleteTree(dataDir);
                    }
                }
            }
            Files.createDirectories(logs);
            Files.writeString(dataDir.resolve(MARKER), "made by io.rtdw.local.LocalStack; its data is deleted at its "
                    + "next start unless that start has --keep-data\n");
            System.setProperty("rtdw.local.log", logs.resolve("launcher.log").toString());
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot prepare " + dataDir, e);
        }
    }

    void start() {
        System.out.printf("rtdw local stack: rate %s changes/s, seed %d, %s, data in %s%n", fmt(options.rate()),
                options.seed(), options.duration().isZero() ? "until Ctrl-C" : "for " + options.duration().toSeconds()
                        + " s after start-up", dataDir);
        if (mongoUri == null) {
            System.out.println("MongoDB: no MONGODB_URI, and no MongoDB can run embedded (no server binary for this "
                    + "machine). Vehicle changes are therefore NOT captured from MongoDB: the workload generator "
                    + "writes them in Debezium's MongoDB event shape and they are mapped and produced to "
                    + catalog.vehicles().name() + " exactly as the capture would.");
        } else {
            System.out.println("MongoDB: capturing vehicle from MONGODB_URI (change streams; it must be a replica set)");
        }

        startOps();
        // Slow starters first, in their own JVMs, so they come up while the rest starts (Pinot needs Kafka).
        // Initialise logging on this thread, now that the log file is known: two threads initialising SLF4J at
        // once (Kafka and zonky below) print "substitute logger" warnings to the console.
        org.slf4j.LoggerFactory.getILoggerFactory();
        startS3();
        // The registry starts in its own JVM beside everything else; the services need it, Kafka does not.
        final long registryBegan = System.nanoTime();
        final java.util.concurrent.CompletableFuture<Void> schemaRegistry = java.util.concurrent.CompletableFuture
                .runAsync(this::startRegistry);
        // PostgreSQL needs nothing else: it starts beside Kafka (a few seconds saved on 2 cores).
        final long pgBegan = System.nanoTime();
        final java.util.concurrent.CompletableFuture<Void> pg = java.util.concurrent.CompletableFuture.runAsync(
                this::startPostgres);
        final long kafkaBegan = System.nanoTime();
        System.out.println("Kafka: 1 KRaft controller + 3 brokers, one process each" + (resumed ? " (resuming their logs)"
                : ""));
        startKafka();
        System.out.printf("Kafka: 3 brokers up in %.1f s%n", (System.nanoTime() - kafkaBegan) / 1e9);
        System.out.println("  bootstrap servers " + kafkaNodes.bootstrapServers());
        // LocalPinot creates its table once the output topic exists: Pinot's slow start overlaps topic creation.
        startPinot();
        step("topics: " + catalog.all().size() + " from TopicCatalog (RF 3, min ISR 2)" + (resumed ? ", checked" : ""),
                () -> {
                    try {
                        new TopicProvisioner(admin, 60_000).ensure(catalog.all());
                    } catch (final InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException(e);
                    }
                });
        join(pg);
        System.out.printf("PostgreSQL 17 (embedded, wal_level=logical%s) on port %d: up in %.1f s (started beside Kafka)%n",
                resumed ? ", its data resumed" : "", options.port("--pg-port"), (System.nanoTime() - pgBegan) / 1e9);
        join(schemaRegistry);
        System.out.printf("Apicurio Registry %s (H2 database in %s, %s) at %s: up in %.1f s%n",
                RegistryServer.DEFAULT_VERSION, dataDir.resolve("registry"), RegistryServer.PRODUCTION_COMPATIBILITY,
                registryUrl(), (System.nanoTime() - registryBegan) / 1e9);
        startCdc();
        startStreams();
        startLakeSink();
        ticker.scheduleWithFixedDelay(this::supervise, 500, 500, TimeUnit.MILLISECONDS);

        awaitReady("s3proxy", () -> answers("http://localhost:" + options.port("--s3-port") + "/"));
        awaitReady("CDC", () -> ok(url("--cdc-http-port", "/health/ready")));
        awaitReady("streams app", () -> ok(url("--streams-http-port", "/health/ready")));
        awaitReady("lake sink", () -> ok(url("--lake-http-port", "/health/ready")));
        awaitReady("Pinot", () -> pinot.countOrMinusOne("SELECT COUNT(*) FROM unified_customer") >= 0);
        startWorkload();
        startReconciler();
        startPrometheus();
        awaitReady("reconciler", () -> ok(url("--reconcile-port", "/health/live")));
        if (supervisor.get("prometheus") != null) {
            awaitReady("Prometheus", () -> answers("http://127.0.0.1:" + options.port("--prometheus-port") + "/-/ready"));
        }
        readyAtMs = System.currentTimeMillis();
        System.out.printf("stack up %.1f s after launch%s.%n", (readyAtMs - jvmStart) / 1000.0,
                resumed ? " (resumed)" : "");
        printEndpoints();
    }

    private static void join(final java.util.concurrent.CompletableFuture<Void> future) {
        try {
            future.join();
        } catch (final java.util.concurrent.CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    /** Everything a new user needs to connect, once the stack is up. */
    private void printEndpoints() {
        final String h = "localhost";
        System.out.println("connect:");
        System.out.printf("  PostgreSQL   jdbc:postgresql://%s:%d/postgres  user postgres, password postgres%n", h,
                options.port("--pg-port"));
        System.out.printf("               (psql -h %s -p %d -U postgres postgres)%n", h, options.port("--pg-port"));
        System.out.printf("  Kafka        bootstrap %s (controller %s:%d)%n", kafkaNodes.bootstrapServers(), h,
                options.port("--kafka-controller-port"));
        System.out.printf("  registry     %s (Apicurio v3 API; Confluent-compatible: http://%s:%d%s)%n", registryUrl(),
                h, options.port("--registry-port"), RegistryServer.CCOMPAT_PATH);
        System.out.printf("  Pinot        UI http://%s:%d, SQL on the broker http://%s:%d/query/sql (table unified_customer)%n",
                h, options.port("--pinot-controller-port"), h, options.port("--pinot-broker-port"));
        System.out.printf("  S3           http://%s:%d, bucket %s, access key %s, secret key %s (files: %s)%n", h,
                options.port("--s3-port"), BUCKET, S3_ACCESS, S3_SECRET, dataDir.resolve("s3").resolve(BUCKET));
        System.out.printf("  ops          launcher http://%s:%d/metrics; CDC :%d, streams :%d, lake sink :%d "
                        + "(/metrics, /health/ready)%n", h, options.port("--ops-port"), options.port("--cdc-http-port"),
                options.port("--streams-http-port"), options.port("--lake-http-port"));
        System.out.println(jmxAgent() == null ? "  Kafka JMX    no exporter (its jar was not built into local-stack/target/tools)"
                : String.format(Locale.ROOT, "  Kafka JMX    http://%s:%d..%d/metrics (brokers 1-3, then the controller)",
                        h, options.port("--kafka-metrics-port"), options.port("--kafka-metrics-port") + KafkaNodes.BROKERS));
        final Supervisor.Component prometheus = supervisor.get("prometheus");
        System.out.println(prometheus == null ? "  Prometheus   not running (see above)" : String.format(Locale.ROOT,
                "  Prometheus   http://%s:%d (alerts: /classic/alerts), health page http://%s:%d/consoles/rtdw.html",
                h, options.port("--prometheus-port"), h, options.port("--prometheus-port")));
        System.out.printf("  reconcile    every 30 s, verdict on http://%s:%d/metrics (rtdw_reconcile_*), runs in %s%n", h,
                options.port("--reconcile-port"), log("reconcile"));
        System.out.println("  commands     ./rtdw status --data-dir " + dataDir + "   ./rtdw down --data-dir " + dataDir);
        System.out.println("  logs         " + logs);
    }

    private void startKafka() {
        final boolean formatted = kafkaNodes.prepare();
        if (resumed && formatted) {
            System.out.println("  (some nodes had no data: formatted them)");
        }
        final Path config = jmxConfig();
        for (final KafkaNodes.Node node : kafkaNodes.nodes()) {
            startSupervised(node.name(), node.port() + (node.metricsPort() > 0 && jmxAgent() != null
                            ? "," + node.metricsPort() : ""),
                    "tcp://localhost:" + node.port(), () -> Supervisor.Proc.of(kafkaNodes.start(node,
                            classpath(), jmxAgent(), config, log(node.name()), dataDir, baseEnv())));
        }
        final Map<String, Object> client = new HashMap<>();
        client.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafkaNodes.bootstrapServers());
        client.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        client.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 20_000);
        admin = Admin.create(client);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (true) {
            supervisor.tick();
            try {
                if (admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size() == KafkaNodes.BROKERS) {
                    return;
                }
            } catch (final Exception e) {
                // not up yet
            }
            if (stopRequested) {
                throw new IllegalStateException("stopped during start-up");
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Kafka's 3 brokers were not up after 180 s; see "
                        + logs.resolve("kafka-1.log") + " and the others");
            }
            sleep(300);
        }
    }

    /** The JMX exporter's rules: every MBean, names lower-cased (Kafka's own metric names). */
    private Path jmxConfig() {
        final Path config = dataDir.resolve("kafka").resolve("jmx-exporter.yaml");
        try {
            Files.createDirectories(config.getParent());
            Files.writeString(config, "lowercaseOutputName: true\nlowercaseOutputLabelNames: true\n"
                    + "rules:\n  - pattern: \".*\"\n");
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return config;
    }

    /**
     * The registry keeps its schemas in an H2 database under the data directory: a restarted registry (by the
     * supervisor, or a resumed run) knows the ids the topics' records carry.
     */
    private void startRegistry() {
        final String db = dataDir.resolve("registry").resolve("registry").toString();
        startSupervised("registry", String.valueOf(options.port("--registry-port")),
                "http://localhost:" + options.port("--registry-port") + "/health/ready", () -> {
                    final RegistryServer server = RegistryServer.builder().name("registry")
                            .port(options.port("--registry-port")).logFile(log("registry"))
                            .systemProperty("apicurio.storage.kind", "sql")
                            .systemProperty("apicurio.storage.sql.kind", "h2")
                            .systemProperty("apicurio.datasource.url", "jdbc:h2:file:" + db + ";DB_CLOSE_ON_EXIT=FALSE")
                            .systemProperty("apicurio.datasource.username", "sa")
                            .systemProperty("apicurio.datasource.password", "sa")
                            .start();
                    return registryProc(server);
                });
    }

    private static Supervisor.Proc registryProc(final RegistryServer server) {
        return new Supervisor.Proc() {
            public long pid() {
                return server.pid();
            }

            public boolean isAlive() {
                return server.isAlive();
            }

            public int exitCode() {
                return -1; // RegistryServer does not expose it
            }

            public List<ProcessHandle> tree() {
                return ProcessHandle.of(server.pid()).stream().toList();
            }

            public int stop(final long seconds) {
                server.close();
                return 0;
            }
        };
    }

    /**
     * Starts any process under the supervisor ({@link Supervisor.Proc}: a {@link ChildJvm} through
     * {@link Supervisor.Proc#of}, or a wrapper such as the registry's, or Prometheus' binary), with its ports and
     * health check in the status file and its {@code rtdw_local_component_*} metrics.
     */
    Supervisor.Component startSupervised(final String name, final String ports, final String health,
                                         final java.util.function.Supplier<Supervisor.Proc> starter) {
        final Supervisor.Component c = supervisor.start(name, ports, health, starter);
        componentMetrics(c);
        final Supervisor.Proc p = c.process();
        System.out.printf("  started %-16s pid %d, log %s%n", name, p.pid(), log(name));
        return c;
    }

    private void supervise() {
        try {
            supervisor.tick();
        } catch (final RuntimeException e) {
            System.out.println("[supervisor] " + e);
        }
    }

    private void startS3() {
        // Launched now, awaited with the others: with the filesystem backend the bucket is a directory made here.
        startSupervised("s3proxy", String.valueOf(options.port("--s3-port")),
                "http://localhost:" + options.port("--s3-port") + "/",
                () -> Supervisor.Proc.of(S3ProxyServer.builder(dataDir).jar(s3proxyJar().toAbsolutePath())
                        .port(options.port("--s3-port")).allInterfaces().credentials(S3_ACCESS, S3_SECRET)
                        .buckets(BUCKET).heapMb(192).log(log("s3proxy")).ownSession().launch().process()));
    }

    private void startPinot() {
        final Map<String, String> env = serviceEnv();
        env.put(LocalPinotSettings.DATA_DIR.name(), dataDir.resolve("pinot").toString());
        env.put(LocalPinotSettings.CONTROLLER_PORT.name(), String.valueOf(options.port("--pinot-controller-port")));
        env.put(LocalPinotSettings.BROKER_PORT.name(), String.valueOf(options.port("--pinot-broker-port")));
        env.put(LocalPinotSettings.ZK_PORT.name(), String.valueOf(options.port("--pinot-zk-port")));
        env.put(LocalPinotSettings.SERVER_PORT.name(), String.valueOf(options.port("--pinot-server-port")));
        env.put(LocalPinotSettings.HEAP.name(), "768m");
        env.put(LocalPinotSettings.CLASSPATH_FILE.name(), pinotClasspathFile().toAbsolutePath().toString());
        env.put(LocalPinotSettings.PLUGIN_JAR.name(), pinotPluginJar().toAbsolutePath().toString());
        launch("pinot", options.port("--pinot-controller-port") + "," + options.port("--pinot-broker-port") + ","
                        + options.port("--pinot-zk-port") + "," + options.port("--pinot-server-port"),
                "http://localhost:" + options.port("--pinot-broker-port") + "/health",
                () -> javaChild("pinot", 128, LocalPinot.class.getName(), List.of(), env));
    }

    private void startPostgres() {
        try {
            postgres = EmbeddedPostgres.builder()
                    .setPort(options.port("--pg-port"))
                    .setDataDirectory(dataDir.resolve("postgres"))
                    // zonky: true = initdb afresh at start and delete at close; a kept run keeps both ways
                    .setCleanDataDirectory(!options.keepData())
                    // Stopped by shutdown() after CDC and the workload, not by a hook racing with them.
                    .setRegisterShutdownHook(false)
                    .setServerConfig("wal_level", "logical")
                    .setServerConfig("max_wal_senders", "4")
                    .setServerConfig("max_replication_slots", "4")
                    .setOutputRedirector(ProcessBuilder.Redirect.appendTo(log("postgres").toFile()))
                    .setErrorRedirector(ProcessBuilder.Redirect.appendTo(log("postgres").toFile()))
                    .start();
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot start PostgreSQL (see " + log("postgres") + ")", e);
        }
    }

    private Map<String, String> pgEnv() {
        final Map<String, String> env = serviceEnv();
        env.put(CdcConfig.PG_HOST.name(), "localhost");
        env.put(CdcConfig.PG_PORT.name(), String.valueOf(options.port("--pg-port")));
        env.put(CdcConfig.PG_DATABASE.name(), "postgres");
        env.put(CdcConfig.PG_USER.name(), "postgres");
        if (mongoUri != null) {
            env.put(CdcConfig.MONGODB_URI.name(), mongoUri);
        }
        return env;
    }

    private void startCdc() {
        final Map<String, String> env = pgEnv();
        env.put(CdcConfig.SOURCES.name(), mongoUri == null ? "postgres" : "postgres,mongodb");
        // cdc-sources' init SQL (the source tables' DDL, REPLICA IDENTITY FULL, the publication), applied idempotently.
        env.put(CdcConfig.PG_INIT_SCHEMA.name(), "true");
        if (mongoUri != null) {
            // The capture refuses a vehicle collection without pre-images (a moved or deleted vehicle must reach
            // its old customer's partition): create it with them, or enable them (idempotent).
            io.rtdw.cdc.mongodb.MongoCapture.prepareCollection(mongoUri, catalog.mongoDb());
        }
        env.put(OpsServer.HTTP_PORT.name(), String.valueOf(options.port("--cdc-http-port")));
        launch("cdc", String.valueOf(options.port("--cdc-http-port")), url("--cdc-http-port", "/health/ready"),
                () -> javaChild("cdc", 384, "io.rtdw.cdc.CdcMain", List.of(), env));
    }

    private void startStreams() {
        final Map<String, String> env = serviceEnv();
        env.put(StreamsSettings.STATE_DIR.name(), dataDir.resolve("streams-state").toString());
        // One instance: a standby replica would have nowhere to live.
        env.put(StreamsSettings.STANDBY_REPLICAS.name(), "0");
        // Static membership, as the StatefulSet's pods have (their name): Kafka Streams does not leave its group on
        // close, so a restarted or resumed dynamic member waited for the old member's session to expire (45 s) before
        // it got its partitions; with the same instance id the coordinator hands them over at once.
        env.put(StreamsSettings.INSTANCE_ID.name(), "rtdw-local-streams-0");
        env.put(OpsServer.HTTP_PORT.name(), String.valueOf(options.port("--streams-http-port")));
        launch("streams", String.valueOf(options.port("--streams-http-port")),
                url("--streams-http-port", "/health/ready"),
                () -> javaChild("streams", 384, "io.rtdw.streams.StreamsApp", List.of(), env));
    }

    private void startLakeSink() {
        final Map<String, String> env = serviceEnv();
        env.put(LakeSinkConfig.S3_ENDPOINT.name(), "http://localhost:" + options.port("--s3-port"));
        env.put(LakeSinkConfig.S3_BUCKET.name(), BUCKET);
        env.put(LakeSinkConfig.S3_ACCESS_KEY.name(), S3_ACCESS);
        env.put(LakeSinkConfig.S3_SECRET_KEY.name(), S3_SECRET);
        env.put(OpsServer.HTTP_PORT.name(), String.valueOf(options.port("--lake-http-port")));
        // Short intervals so a short local run shows files; production keeps the defaults (60 s, 15 min).
        env.put(LakeSinkConfig.FLUSH_INTERVAL_MS.name(), "5000");
        env.put(LakeSinkConfig.SNAPSHOT_INTERVAL_MS.name(), "20000");
        launch("lake-sink", String.valueOf(options.port("--lake-http-port")), url("--lake-http-port", "/health/ready"),
                () -> javaChild("lake-sink", 384, "io.rtdw.lake.LakeSinkMain", List.of(), env));
    }

    private void startWorkload() {
        final Map<String, String> env = pgEnv();
        // The generator inserts explicit ids from its seed: a resumed run (or a restart) regenerates the changes
        // applied before without applying them, from the count the generator keeps in this file.
        final Path count = dataDir.resolve("workload-applied");
        launch("workload", "", "", () -> {
            final List<String> args = new ArrayList<>(List.of("--seed", String.valueOf(options.seed()),
                    "--rate", fmt(options.rate()), "--changes", "1000000000",
                    "--vehicles", mongoUri == null ? "kafka" : "mongodb", "--count-file", count.toString(),
                    "--skip", String.valueOf(appliedBefore(count))));
            return javaChild("workload", 192, "io.rtdw.dev.workload.WorkloadMain", args, env);
        });
        System.out.println("workload generator started (" + (appliedBefore(count) > 0
                ? "resuming after the " + appliedBefore(count) + " changes applied before; " : "") + (mongoUri == null
                ? "customers, flights -> PostgreSQL; vehicles -> Debezium MongoDB events -> Kafka"
                : "customers, flights -> PostgreSQL; vehicles -> MongoDB") + ")");
    }

    /** What {@code rtdw reconcile} compares here: the sources, the output topic, Pinot and the bucket's snapshot. */
    private List<String> reconcileArgs() {
        final List<String> args = new ArrayList<>(List.of("--pinot", "http://localhost:"
                + options.port("--pinot-broker-port"), "--lake", dataDir.resolve("s3").resolve(BUCKET).toString()));
        if (mongoUri == null) {
            args.add("--vehicles-from-topic");
        }
        return args;
    }

    /**
     * {@code rtdw reconcile --every 30s}: its verdict over time on its own /metrics (Prometheus scrapes it, the health
     * page draws it), each run in its log.
     */
    private void startReconciler() {
        final List<String> args = new ArrayList<>(reconcileArgs());
        args.addAll(List.of("--every", "30s", "--http-port", String.valueOf(options.port("--reconcile-port"))));
        launch("reconcile", String.valueOf(options.port("--reconcile-port")), url("--reconcile-port", "/health/live"),
                () -> javaChild("reconcile", 384, "io.rtdw.cli.Reconcile", args, pgEnv()));
    }

    /**
     * Prometheus (Debian's binary) scraping every component, with the k8s alert rules, and the health page. Without
     * the binary or the repository's files the stack runs without it and says so.
     */
    private void startPrometheus() {
        final Map<String, List<String>> targets = new LinkedHashMap<>();
        targets.put("cdc", List.of("127.0.0.1:" + options.port("--cdc-http-port")));
        targets.put("streams", List.of("127.0.0.1:" + options.port("--streams-http-port")));
        targets.put("lake-sink", List.of("127.0.0.1:" + options.port("--lake-http-port")));
        targets.put("launcher", List.of("127.0.0.1:" + options.port("--ops-port")));
        targets.put("reconcile", List.of("127.0.0.1:" + options.port("--reconcile-port")));
        if (jmxAgent() != null) {
            final List<String> kafka = new ArrayList<>();
            for (int i = 0; i <= KafkaNodes.BROKERS; i++) {
                kafka.add("127.0.0.1:" + (options.port("--kafka-metrics-port") + i));
            }
            targets.put("kafka", kafka);
        }
        final Path root;
        try {
            LocalPrometheus.binary("prometheus");
            root = LocalPrometheus.repositoryRoot(Path.of(System.getProperty("rtdw.repo.root", "")));
        } catch (final IllegalStateException e) {
            System.out.println("Prometheus not started: " + e.getMessage());
            return;
        }
        final int port = options.port("--prometheus-port");
        startSupervised("prometheus", String.valueOf(port), "http://127.0.0.1:" + port + "/-/ready", () -> {
            try {
                return prometheusProc(LocalPrometheus.start(dataDir, port, targets, log("prometheus"), root,
                        LocalPrometheus.DEFAULT_SCRAPE_INTERVAL));
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting Prometheus", e);
            }
        });
    }

    private static Supervisor.Proc prometheusProc(final LocalPrometheus prometheus) {
        return new Supervisor.Proc() {
            public long pid() {
                return prometheus.pid();
            }

            public boolean isAlive() {
                return ProcessHandle.of(prometheus.pid()).map(ProcessHandle::isAlive).orElse(false);
            }

            public int exitCode() {
                return -1; // not kept by LocalPrometheus
            }

            public List<ProcessHandle> tree() {
                return ProcessHandle.of(prometheus.pid()).stream().toList();
            }

            public int stop(final long seconds) {
                prometheus.close();
                return 0;
            }
        };
    }

    /**
     * The last word of a run: {@code rtdw reconcile --wait} once the workload is stopped, the pipeline drained and the
     * lake sink has written its final snapshot. Its report's lines, for the summary.
     */
    private List<String> finalReconcile() {
        final java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream();
        final java.io.PrintStream out = new java.io.PrintStream(buffer, true, java.nio.charset.StandardCharsets.UTF_8);
        final List<String> args = new ArrayList<>(reconcileArgs());
        args.addAll(List.of("--wait", "90s"));
        final long began = System.nanoTime();
        int code;
        try {
            code = io.rtdw.cli.Reconcile.run(args, pgEnv(), out, out, () -> false);
        } catch (final RuntimeException e) {
            out.println("reconcile failed: " + e);
            code = io.rtdw.cli.Help.FAILED;
        }
        final List<String> lines = new ArrayList<>(List.of(buffer.toString(java.nio.charset.StandardCharsets.UTF_8)
                .split("\n")));
        lines.add(String.format(Locale.ROOT, "(./rtdw reconcile exit %d, %.1f s: %s)", code,
                (System.nanoTime() - began) / 1e9, code == io.rtdw.cli.Help.OK ? "every copy agrees with the sources"
                        : "the copies do NOT all agree with the sources"));
        return lines;
    }

    /** How many changes the workload generator applied in earlier runs on this data directory (0 if none). */
    static long appliedBefore(final Path countFile) {
        try {
            return Files.isRegularFile(countFile) ? Long.parseLong(Files.readString(countFile).trim()) : 0;
        } catch (final IOException | NumberFormatException e) {
            return 0;
        }
    }

    private String classpath() {
        return System.getProperty("rtdw.local.classpath", System.getProperty("java.class.path"));
    }

    private ChildJvm javaChild(final String name, final int heapMb, final String mainClass, final List<String> args,
                               final Map<String, String> env) {
        final String classpath = classpath();
        final List<String> jvm = new ArrayList<>(List.of("-Xmx" + heapMb + "m", "-Xss512k", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-XX:MaxMetaspaceSize=192m"));
        if ("pinot".equals(name)) {
            // The services and the workload choose the runtime's logging themselves; LocalPinot would find the test
            // kit's log4j2-test.xml on this class path, so it gets ours (stdout, no log4j shutdown hook).
            jvm.add("-Dlog4j2.configurationFile=log4j2-local-child.xml");
        }
        // Each child works in the data directory: whatever it writes relative to its working directory (Pinot's
        // logs/pinot-all.log) stays with the run instead of landing in the user's current directory. It sees only the
        // environment the launcher gives it (a stray KAFKA_* or PG_* of the user's shell cannot reconfigure it), and
        // runs in its own session: Ctrl-C reaches only the launcher, which stops the children in pipeline order.
        return ChildJvm.java(name, mainClass).classpath(classpath).jvmArgs(jvm).args(args).onlyGivenEnv().env(env)
                .log(log(name)).workDir(dataDir).ownSession().start();
    }

    /** What every child that talks to Kafka gets: the brokers and the registry (its fixed port gives the URL). */
    private Map<String, String> serviceEnv() {
        final Map<String, String> env = baseEnv();
        env.put(KafkaClients.BOOTSTRAP_SERVERS.name(), kafkaNodes.bootstrapServers());
        env.put(RegistrySerdes.URL.name(), registryUrl());
        return env;
    }

    private String registryUrl() {
        return "http://127.0.0.1:" + options.port("--registry-port") + RegistryServer.V3_PATH;
    }

    /** The environment of a child: only what the launcher sets (plus PATH/HOME/JAVA), never the user's RTDW_*. */
    private static Map<String, String> baseEnv() {
        final Map<String, String> env = new HashMap<>();
        for (final String name : List.of("PATH", "HOME", "USER", "LANG", "TMPDIR")) {
            final String value = System.getenv(name);
            if (value != null) {
                env.put(name, value);
            }
        }
        return env;
    }

    /**
     * Starts a named child JVM under the supervisor: restarted with back-off when it exits, listed by
     * {@code rtdw status} with its ports and health URL. The seam for more components (Prometheus, the reconciler).
     */
    Supervisor.Component launch(final String name, final String ports, final String health,
                                final java.util.function.Supplier<ChildJvm> starter) {
        return startSupervised(name, ports, health, () -> Supervisor.Proc.of(starter.get()));
    }

    private Path log(final String name) {
        return logs.resolve(name + ".log");
    }

    private void step(final String what, final Runnable action) {
        final long began = System.nanoTime();
        System.out.print(what + " ... ");
        System.out.flush();
        action.run();
        System.out.printf("up in %.1f s%n", (System.nanoTime() - began) / 1e9);
    }

    private void awaitReady(final String what, final BooleanSupplier ready) {
        final long began = System.nanoTime();
        final long deadline = began + TimeUnit.SECONDS.toNanos(240);
        System.out.print("waiting for " + what + " ... ");
        System.out.flush();
        while (!ready.getAsBoolean()) {
            for (final Supervisor.Component c : supervisor.components()) {
                // The supervisor restarts what exits; one that keeps exiting during start-up is a broken set-up.
                if (c.restarts() >= 3 && !c.isUp()) {
                    throw new IllegalStateException(c.name + " exited " + (c.restarts() + 1) + " times during start-up;"
                            + " last lines of " + log(c.name) + ":\n" + tail(log(c.name), 15));
                }
            }
            if (stopRequested) {
                throw new IllegalStateException("stopped during start-up");
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(what + " not ready after 240 s; see the logs in " + logs);
            }
            sleep(500);
        }
        System.out.printf("ready (%.1f s)%n", (System.nanoTime() - began) / 1e9);
    }

    private String url(final String portOption, final String path) {
        return "http://localhost:" + options.port(portOption) + path;
    }

    private static boolean ok(final String url) {
        return Scrape.get(url) != null;
    }

    /** Any HTTP answer (s3proxy answers 403 to an anonymous request, which proves it listens). */
    private static boolean answers(final String url) {
        try {
            HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(3))
                    .GET().build(), HttpResponse.BodyHandlers.discarding());
            return true;
        } catch (final IOException e) {
            return false;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String tail(final Path file, final int n) {
        try {
            final List<String> lines = Files.readAllLines(file);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
        } catch (final IOException | UncheckedIOException e) {
            return "(cannot read " + file + ")";
        }
    }

    /** The status file for rtdw status / rtdw down, rewritten whenever a component starts, exits or stops. */
    private synchronized void writeStatus() {
        final List<StackStatusFile.Component> list = new ArrayList<>();
        for (final Supervisor.Component c : supervisor.components()) {
            list.add(new StackStatusFile.Component(c.name, c.pid(), c.state(), c.restarts(), c.ports, c.health));
        }
        final long pg = postmasterPid();
        if (pg > 0) {
            list.add(new StackStatusFile.Component("postgres", pg, postgresAlive() ? Supervisor.UP : Supervisor.STOPPED,
                    0, String.valueOf(options.port("--pg-port")), "tcp://localhost:" + options.port("--pg-port")));
        }
        try {
            new StackStatusFile(ProcessHandle.current().pid(), url("--ops-port", "/metrics"),
                    java.time.Instant.now().toString(), list).write(dataDir);
        } catch (final UncheckedIOException e) {
            // the next change writes it again; status is an aid, not part of the pipeline
        }
    }

    private boolean postgresAlive() {
        final long pg = postmasterPid();
        return pg > 0 && ProcessHandle.of(pg).map(ProcessHandle::isAlive).orElse(false);
    }

    /** The launcher's own /metrics and /health on --ops-port: each component's state and restarts, freshness. */
    private void startOps() {
        metrics = new ServiceMetrics("local");
        try {
            ops = OpsServer.start("local-stack", options.port("--ops-port"), new OpsServer.Health() {
                public boolean live() {
                    return !shutDown;
                }

                public boolean ready() {
                    return readyAtMs > 0 && !shutDown;
                }

                public String detail() {
                    return readyAtMs > 0 ? "running" : "starting";
                }
            }, metrics);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot serve the launcher's metrics on --ops-port "
                    + options.port("--ops-port"), e);
        }
        metrics.gauge("freshness.ms", "Source commit to visible in the sink (README: freshness definition).",
                () -> last == null ? Double.NaN : last.pinotFreshMs(), "sink", "pinot");
        metrics.gauge("freshness.ms", "Source commit to visible in the sink (README: freshness definition).",
                () -> last == null ? Double.NaN : last.lakeLatencyMs(), "sink", "parquet");
    }

    /** Registers a component's metrics once it is known (the supervisor keeps the object for the stack's life). */
    private void componentMetrics(final Supervisor.Component c) {
        if (metrics == null) {
            return;
        }
        Gauge.builder("rtdw.local.component.up", c, x -> x.isUp() ? 1 : 0)
                .description("1 while the component's process runs, 0 while it is down or restarting")
                .tag("component", c.name).strongReference(true).register(metrics.registry());
        FunctionCounter.builder("rtdw.local.component.restarts", c, x -> x.restarts())
                .description("Restarts of the component by the launcher's supervisor")
                .tag("component", c.name).register(metrics.registry());
    }

    // ---------------------------------------------------------------- run

    private void runUntilDone() {
        final long end = options.duration().isZero() ? Long.MAX_VALUE : readyAtMs + options.duration().toMillis();
        while (!stopRequested && System.currentTimeMillis() < end) {
            final long wakeUp = Math.min(end, System.currentTimeMillis() + options.progressEvery().toMillis());
            while (!stopRequested && System.currentTimeMillis() < wakeUp) {
                sleep(Math.min(200, Math.max(1, wakeUp - System.currentTimeMillis())));
            }
            if (stopRequested) {
                break;
            }
            last = progress();
            System.out.println(last.line((System.currentTimeMillis() - readyAtMs) / 1000) + supervisionLine());
            if (!postgresAlive()) {
                // zonky's postmaster is not restartable from here (see README): without it nothing is captured
                throw new IllegalStateException("PostgreSQL (pid file " + dataDir.resolve("postgres") + ") is gone; "
                        + "see " + log("postgres"));
            }
        }
    }

    /** Restarts so far and what is down now, for the progress line ("" when nothing was ever restarted). */
    private String supervisionLine() {
        final long now = System.currentTimeMillis();
        final List<String> restarted = new ArrayList<>();
        final List<String> down = new ArrayList<>();
        for (final Supervisor.Component c : supervisor.components()) {
            if (c.restarts() > 0) {
                restarted.add(c.name + " " + c.restarts());
            }
            if (!c.isUp()) {
                final long in = c.restartInMs(now);
                down.add(c.name + (in >= 0 ? String.format(Locale.ROOT, " down, restarting in %.0f s", in / 1000.0)
                        : " " + c.state()));
            }
        }
        return (restarted.isEmpty() ? "" : " | restarts: " + String.join(", ", restarted))
                + (down.isEmpty() ? "" : " | " + String.join(", ", down));
    }

    /**
     * One reading of the whole stack. From the source commit time: {@code lagLastMs}/{@code lagMaxMs} to the output
     * topic (streams app); {@code pinotFreshMs} and {@code lakeLatencyMs} (Parquet) the freshness of each sink as
     * {@link Freshness} defines it (flat while the pipeline is idle).
     */
    record Progress(Map<String, Long> captured, long unifiedOut, double lagLastMs, double lagMaxMs,
                    double pinotFreshMs, double lakeLatencyMs, long pinotRows, long pinotLive, long parquetFiles,
                    long deadLetters, long rssBytes) {
        String line(final long secondsSinceUp) {
            final String tables = captured.entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                    .collect(Collectors.joining(", "));
            return String.format(Locale.ROOT, "[%4ds] captured: %s | unified out %d | lag: out %s (max %s) | freshness: Pinot %s,"
                            + " Parquet %s | Pinot rows %s (%s live) | Parquet files %d | dead letters %d"
                            + " | RSS %.2f GiB",
                    secondsSinceUp, tables, unifiedOut, ms(lagLastMs), ms(lagMaxMs), ms(pinotFreshMs),
                    ms(lakeLatencyMs), na(pinotRows), na(pinotLive), parquetFiles, deadLetters,
                    rssBytes / (double) GIB);
        }

        private static String ms(final double v) {
            if (Double.isNaN(v) || v < 0) {
                return "-";
            }
            return v < 10_000 ? String.format(Locale.ROOT, "%.0f ms", v) : String.format(Locale.ROOT, "%.1f s", v / 1000);
        }

        private static String na(final long v) {
            return v < 0 ? "-" : String.valueOf(v);
        }
    }

    private Progress progress() {
        final Map<String, Double> cdc = Scrape.prometheus(Scrape.get(url("--cdc-http-port", "/metrics")));
        final Map<String, Double> streams = Scrape.prometheus(Scrape.get(url("--streams-http-port", "/metrics")));
        final Map<String, Double> lake = Scrape.prometheus(Scrape.get(url("--lake-http-port", "/metrics")));
        final Map<String, Long> captured = new LinkedHashMap<>();
        captured.put("customers", (long) Scrape.sum(cdc, "rtdw_cdc_changes_total",
                "topic=\"" + catalog.customers().name() + "\"").orElse(0));
        captured.put("flight", (long) Scrape.sum(cdc, "rtdw_cdc_changes_total",
                "topic=\"" + catalog.flights().name() + "\"").orElse(0));
        final OptionalDouble vehicles = Scrape.sum(cdc, "rtdw_cdc_changes_total",
                "topic=\"" + catalog.vehicles().name() + "\"");
        // Without MongoDB the vehicle events bypass the CDC process: count what reached their topic.
        captured.put(mongoUri == null ? "vehicle (events)" : "vehicle",
                vehicles.isPresent() ? (long) vehicles.getAsDouble() : endOffsets(catalog.vehicles().name()));
        final long pinotRows = pinot.countOrMinusOne("SELECT COUNT(*) FROM unified_customer");
        final long pinotLive = pinot.countOrMinusOne("SELECT COUNT(*) FROM unified_customer WHERE deleted = false");
        if (pinotRows > 0 && firstPinotRowAtMs < 0) {
            firstPinotRowAtMs = System.currentTimeMillis();
        }
        final long deadLetters = (long) (Scrape.sum(cdc, "rtdw_cdc_dead_letters_total").orElse(0)
                + Scrape.sum(streams, "rtdw_streams_dead_letters_total").orElse(0)
                + Scrape.sum(lake, "rtdw_lake_dead_letters_total").orElse(0));
        final long newestInPinot = pinot.countOrMinusOne("SELECT MAX(source_ts_ms) FROM unified_customer");
        final long now = System.currentTimeMillis();
        final Map<Integer, Long> committedEnd = committedEndOffsets(catalog.unifiedCustomers().name());
        // Caught up: per partition, the sink reached the last committed record. The read_committed end offset is
        // the offset after the last transaction's commit marker: Pinot's next offset stops at the marker (end - 1),
        // the last file's last record is the one before it (end - 2). An aborted transaction at the very end keeps a
        // sink "behind" until the next commit on that partition.
        final Map<Integer, Long> pinotNext = Scrape.pinotConsumingOffsets(
                Scrape.get(url("--pinot-controller-port", "/tables/unified_customer/consumingSegmentsInfo")));
        final boolean pinotCaughtUp = reaches(pinotNext, committedEnd, 1);
        final double pinotFresh = pinotFreshness.pinot(now, newestInPinot > 0 ? newestInPinot : -1, pinotCaughtUp);
        final Map<Integer, Long> files = Scrape.changelogLastOffsets(dataDir.resolve("s3").resolve(BUCKET));
        final boolean lakeCaughtUp = reaches(files, committedEnd, 2);
        final double parquetFresh = parquetFreshness.parquet(now, files.isEmpty() ? -1
                        : files.values().stream().mapToLong(Long::longValue).sum(),
                Scrape.sum(lake, "rtdw_lake_last_file_source_latency_ms").orElse(Double.NaN), lakeCaughtUp);
        return new Progress(captured, (long) Scrape.sum(streams, "rtdw_streams_output_records_total").orElse(0),
                Scrape.sum(streams, "rtdw_streams_source_to_output_lag_ms").orElse(Double.NaN),
                Scrape.sum(streams, "rtdw_streams_source_to_output_lag_max_ms").orElse(Double.NaN),
                pinotFresh, parquetFresh,
                pinotRows, pinotLive, Scrape.parquetFiles(dataDir.resolve("s3").resolve(BUCKET), "changelog"),
                deadLetters, measureRss());
    }

    private long endOffsets(final String topic) {
        final Map<Integer, Long> ends = endOffsets(topic, org.apache.kafka.common.IsolationLevel.READ_UNCOMMITTED);
        return ends.isEmpty() ? -1 : ends.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Per partition, the offset after the last committed transaction (read_committed's end), empty on failure. */
    private Map<Integer, Long> committedEndOffsets(final String topic) {
        return endOffsets(topic, org.apache.kafka.common.IsolationLevel.READ_COMMITTED);
    }

    private Map<Integer, Long> endOffsets(final String topic, final org.apache.kafka.common.IsolationLevel isolation) {
        try {
            final List<TopicPartition> partitions = admin.describeTopics(List.of(topic)).allTopicNames()
                    .get(10, TimeUnit.SECONDS).get(topic).partitions().stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            final Map<Integer, Long> ends = new HashMap<>();
            admin.listOffsets(partitions.stream().collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest())),
                            new org.apache.kafka.clients.admin.ListOffsetsOptions(isolation))
                    .all().get(10, TimeUnit.SECONDS).forEach((tp, r) -> ends.put(tp.partition(), r.offset()));
            return ends;
        } catch (final Exception e) {
            return Map.of();
        }
    }

    /** True if, for every partition with records, the sink's position is at least its end offset less {@code gap}. */
    static boolean reaches(final Map<Integer, Long> sink, final Map<Integer, Long> committedEnd, final long gap) {
        return !committedEnd.isEmpty() && committedEnd.entrySet().stream()
                .allMatch(e -> e.getValue() <= 0 || sink.getOrDefault(e.getKey(), -1L) >= e.getValue() - gap);
    }

    /** Total RSS of the launcher, every child JVM, the registry and PostgreSQL's processes; remembers the peak. */
    private long measureRss() {
        final Map<String, Long> parts = new LinkedHashMap<>();
        parts.put("launcher", Scrape.rssBytes(ProcessHandle.current().pid()));
        for (final Supervisor.Component c : supervisor.components()) {
            final Supervisor.Proc p = c.process();
            parts.put(c.name, p == null ? 0 : p.tree().stream().mapToLong(h -> Scrape.rssBytes(h.pid())).sum());
        }
        final long pg = postmasterPid();
        if (pg > 0) {
            parts.put("postgres", ProcessHandle.of(pg).map(h -> Stream.concat(Stream.of(h), h.descendants())
                    .mapToLong(p -> Scrape.rssBytes(p.pid())).sum()).orElse(0L));
        }
        final long total = parts.values().stream().mapToLong(Long::longValue).sum();
        if (total > peakRss) {
            peakRss = total;
            peakRssByPart = parts;
        }
        return total;
    }

    private long postmasterPid() {
        try {
            final List<String> lines = Files.readAllLines(dataDir.resolve("postgres").resolve("postmaster.pid"));
            return lines.isEmpty() ? -1 : Long.parseLong(lines.get(0).trim());
        } catch (final IOException | RuntimeException e) {
            return -1;
        }
    }

    // ---------------------------------------------------------------- stop

    /** Stops everything in pipeline order, once, and prints the summary. Safe to call from the shutdown hook. */
    synchronized void shutdown(final String why) {
        if (shutDown) {
            return;
        }
        shutDown = true;
        System.out.println("\nstopping (" + why + ") ...");
        final boolean wasUp = readyAtMs > 0;
        ticker.shutdownNow();
        supervisor.close(); // no restarts from now on
        stop("workload", 10);
        stop("reconcile", 10);
        final List<String> bi = new ArrayList<>();
        final List<String> verdict = new ArrayList<>();
        long pgCustomers = -1;
        if (wasUp) {
            drain();
            last = progress();
            System.out.println(last.line((System.currentTimeMillis() - readyAtMs) / 1000));
            bi.addAll(biQueries());
            pgCustomers = postgresCustomers();
        }
        // The lake sink flushes its open files and writes a final snapshot on SIGTERM; stop it before what feeds it is
        // gone, and before the final reconcile, which compares that snapshot.
        stop("lake-sink", 30);
        if (wasUp) {
            System.out.println("  reconciling the sources with every copy (rtdw reconcile --wait 90s) ...");
            verdict.addAll(finalReconcile());
        }
        for (final String name : List.of("streams", "cdc", "pinot", "s3proxy", "registry")) {
            stop(name, "pinot".equals(name) ? 40 : 30);
        }
        // Every other supervised component (added later by name), then Kafka: brokers, the controller last.
        for (final Supervisor.Component c : supervisor.components()) {
            if (!c.name.startsWith("kafka-")) {
                stop(c.name, 30);
            }
        }
        if (postgres != null) {
            try {
                postgres.close();
                stoppedCleanly.add("postgres");
            } catch (final IOException e) {
                System.out.println("  PostgreSQL did not stop cleanly: " + e.getMessage());
            }
        }
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
        final List<KafkaNodes.Node> nodes = kafkaNodes.nodes();
        for (int i = nodes.size() - 1; i >= 0; i--) {
            stop(nodes.get(i).name(), 60);
        }
        if (ops != null) {
            ops.close();
        }
        writeStatus();
        if (!options.keepData()) {
            for (final String dir : List.of("postgres", "pinot", "streams-state", "kafka", "registry")) {
                deleteQuietly(dataDir.resolve(dir));
            }
            deleteQuietly(dataDir.resolve("workload-applied"));
        }
        summary(wasUp, bi, pgCustomers, verdict);
    }

    /** Stops a supervised component for good (once: a second call finds it stopped and does nothing). */
    private void stop(final String name, final long seconds) {
        final Supervisor.Component c = supervisor.get(name);
        if (c == null || Supervisor.STOPPED.equals(c.state())) {
            return;
        }
        if (!Supervisor.wasRunning(c)) {
            supervisor.stop(name, seconds);
            System.out.printf("  %-16s was not running (%s)%n", name, c.state());
            return;
        }
        final long began = System.nanoTime();
        final int code = supervisor.stop(name, seconds);
        System.out.printf("  stopped %-16s in %.1f s (%s)%n", name, (System.nanoTime() - began) / 1e9,
                code == -1 ? "killed after " + seconds + " s" : "exit " + code);
        if (code != -1) {
            stoppedCleanly.add(name);
        }
    }

    /** Waits until the streams app's output stops growing (the pipeline has caught up), at most 30 s. */
    private void drain() {
        final long deadline = System.currentTimeMillis() + 30_000;
        long previous = -1;
        int stable = 0;
        while (System.currentTimeMillis() < deadline && stable < 3) {
            final long out = (long) Scrape.sum(Scrape.prometheus(Scrape.get(url("--streams-http-port", "/metrics"))),
                    "rtdw_streams_output_records_total").orElse(-1);
            stable = out == previous ? stable + 1 : 0;
            previous = out;
            sleep(1000);
        }
        // Pinot consumes asynchronously; a moment more so the BI results include the last records.
        sleep(2000);
    }

    private List<String> biQueries() {
        final Map<String, String> queries = new LinkedHashMap<>();
        queries.put("live customers per profession (top 5)", "SELECT profession, COUNT(*) FROM unified_customer "
                + "WHERE deleted = false GROUP BY profession ORDER BY COUNT(*) DESC LIMIT 5");
        queries.put("flights per airline (top 5)", "SELECT flight_airlines, COUNT(*) FROM unified_customer "
                + "WHERE deleted = false AND flight_count > 0 GROUP BY flight_airlines ORDER BY COUNT(*) DESC LIMIT 5");
        queries.put("vehicles per maker (top 5)", "SELECT vehicle_makers, COUNT(*) FROM unified_customer "
                + "WHERE deleted = false AND vehicle_count > 0 GROUP BY vehicle_makers ORDER BY COUNT(*) DESC LIMIT 5");
        queries.put("customers with a flight and a vehicle", "SELECT COUNT(*) FROM unified_customer "
                + "WHERE deleted = false AND flight_count > 0 AND vehicle_count > 0");
        queries.put("live / deleted customers", "SELECT deleted, COUNT(*) FROM unified_customer GROUP BY deleted");
        final List<String> out = new ArrayList<>();
        for (final Map.Entry<String, String> q : queries.entrySet()) {
            out.add("  " + q.getKey() + "\n    " + q.getValue());
            final List<List<JsonNode>> rows;
            try {
                rows = pinot.rows(q.getValue());
            } catch (final RuntimeException e) {
                out.add("    (Pinot did not answer)");
                continue;
            }
            for (final List<JsonNode> row : rows) {
                out.add("    -> " + row.stream().map(JsonNode::asText).collect(Collectors.joining(" | ")));
            }
        }
        return out;
    }

    private long postgresCustomers() {
        if (postgres == null) {
            return -1;
        }
        try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM public.customers")) {
            return rs.next() ? rs.getLong(1) : -1;
        } catch (final Exception e) {
            return -1;
        }
    }

    private void summary(final boolean wasUp, final List<String> bi, final long pgCustomers,
                         final List<String> verdict) {
        final Path bucket = dataDir.resolve("s3").resolve(BUCKET);
        final long files = Scrape.parquetFiles(bucket, "changelog");
        System.out.println("\n================ rtdw local stack: summary ================");
        if (wasUp) {
            System.out.printf("start-up: stack up %.1f s after launch; first row in Pinot %s%n",
                    (readyAtMs - jvmStart) / 1000.0, firstPinotRowAtMs < 0 ? "never seen"
                            : String.format(Locale.ROOT, "%.1f s after launch", (firstPinotRowAtMs - jvmStart) / 1000.0));
        }
        if (last != null) {
            System.out.println("final reading: " + last.line((System.currentTimeMillis() - readyAtMs) / 1000));
        }
        if (pgCustomers >= 0) {
            System.out.println("customers in PostgreSQL at the end: " + pgCustomers + " (Pinot live rows: "
                    + (last == null ? "-" : last.pinotLive()) + ")");
        }
        if (!wasUp) {
            System.out.println("the stack did not come up; each component's log is in " + logs);
            return;
        }
        System.out.printf("peak RSS %.2f GiB in total:%n", peakRss / (double) GIB);
        peakRssByPart.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()))
                .forEach(e -> System.out.printf("    %-36s %6.0f MiB%n", e.getKey(), e.getValue() / 1048576.0));
        if (!bi.isEmpty()) {
            System.out.println("BI queries on Pinot (table unified_customer):");
            bi.forEach(System.out::println);
        }
        if (!verdict.isEmpty()) {
            System.out.println("reconcile (sources = output topic = Pinot = Parquet snapshot?):");
            verdict.forEach(line -> System.out.println("  " + line));
        }
        System.out.println("Parquet files: " + files + " changelog files under " + bucket.resolve("changelog")
                + (Files.isDirectory(bucket.resolve("snapshot")) ? ", snapshot in " + bucket.resolve("snapshot") : ""));
        System.out.println("query them (DuckDB inside the rtdw command; views changelog and snapshot):");
        System.out.println("  ./rtdw sql --lake " + bucket + " \"SELECT count(*) AS changes, count(DISTINCT customer_id)"
                + " AS customers FROM changelog\"");
        if (Files.isDirectory(bucket.resolve("snapshot"))) {
            System.out.println("  ./rtdw sql --lake " + bucket + " \"SELECT profession, count(*) FROM snapshot"
                    + " GROUP BY ALL ORDER BY 2 DESC\"");
        }
        System.out.println("logs: " + logs + (options.keepData() ? "; all data kept in " + dataDir
                + " (./rtdw up --keep-data --data-dir " + dataDir + " resumes it)"
                : "; PostgreSQL's, Kafka's, Pinot's and the registry's data removed (--keep-data keeps them)"));
        final List<String> all = new ArrayList<>();
        supervisor.components().forEach(c -> all.add(c.name));
        all.add("postgres");
        final List<String> unclean = all.stream().filter(n -> !stoppedCleanly.contains(n)).toList();
        System.out.println(unclean.isEmpty() ? "every component stopped cleanly"
                : "stopped by force or not started: " + String.join(", ", unclean));
        System.out.flush();
    }

    // ---------------------------------------------------------------- helpers

    private static void deleteQuietly(final Path dir) {
        try {
            deleteTree(dir);
        } catch (final IOException | UncheckedIOException e) {
            System.out.println("  could not remove " + dir + ": " + e.getMessage());
        }
    }

    private static void deleteTree(final Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (final Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static String fmt(final double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }

    private static String blankToNull(final String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static void sleep(final long ms) {
        try {
            Thread.sleep(ms);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
