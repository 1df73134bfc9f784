package io.rtdw.local;

import io.rtdw.streams.config.StreamsSettings;
import io.rtdw.runtime.OpsServer;
import io.rtdw.lake.LakeSinkConfig;
import io.rtdw.cdc.CdcConfig;
import com.fasterxml.jackson.databind.JsonNode;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.testing.ChildJvm;
import io.rtdw.testing.KafkaTestCluster;
import io.rtdw.runtime.KafkaClients;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.testing.RegistryServer;
import io.rtdw.testing.S3ProxyServer;
import io.rtdw.testing.pinot.PinotClient;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.apache.kafka.clients.admin.OffsetSpec;
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
 * The whole pipeline on this machine, one command: Kafka (3 brokers, in this JVM), PostgreSQL (embedded), s3proxy,
 * Pinot 0.11, CDC, the streams app, the lake sink and the workload generator; live progress; a clean stop with BI
 * results from Pinot and the Parquet files' location. Options: {@link LocalStackOptions#HELP}.
 *
 * <p>No SLF4J logger here on purpose: Kafka's and PostgreSQL's logs go to {@code <data-dir>/logs/launcher.log}
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
    private final String mongoUri = blankToNull(System.getenv("MONGODB_URI"));
    private final long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
    private final Map<String, ChildJvm> children = new LinkedHashMap<>();
    private final PinotClient pinot;
    private final List<String> stoppedCleanly = new ArrayList<>();
    private KafkaTestCluster kafka;
    private volatile RegistryServer registry;
    private EmbeddedPostgres postgres;
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
                                + " would leave the components running (their pids are in " + dataDir.resolve("pids")
                                + ")");
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
        children.values().forEach(c -> c.tree().forEach(ProcessHandle::destroyForcibly));
        final RegistryServer schemas = registry;
        if (schemas != null) {
            ProcessHandle.of(schemas.pid()).ifPresent(ProcessHandle::destroyForcibly);
        }
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
     * A previous run's data is removed: Kafka starts empty every run (its logs live in a temporary directory), and
     * the bucket's file names are Kafka offsets, so old files would collide with the new run's.
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
                if (Files.exists(dataDir.resolve(MARKER))) {
                    System.out.println("removing the previous run's data in " + dataDir);
                    deleteTree(dataDir);
                }
            }
            Files.createDirectories(logs);
            Files.writeString(dataDir.resolve(MARKER), "made by io.rtdw.local.LocalStack; deleted at its next start\n");
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

        // Slow starters first, in their own JVMs, so they come up while the rest starts (Pinot needs Kafka).
        // Initialise logging on this thread, now that the log file is known: two threads initialising SLF4J at
        // once (Kafka and zonky below) print "substitute logger" warnings to the console.
        org.slf4j.LoggerFactory.getILoggerFactory();
        startS3();
        // The registry starts in its own JVM beside everything else; the services need it, Kafka does not.
        final long registryBegan = System.nanoTime();
        final java.util.concurrent.CompletableFuture<Void> schemaRegistry = java.util.concurrent.CompletableFuture
                .runAsync(() -> registry = RegistryServer.builder().name("registry").port(options.port("--registry-port"))
                        .logFile(log("registry")).start());
        // PostgreSQL needs nothing else: it starts beside Kafka (a few seconds saved on 2 cores).
        final long pgBegan = System.nanoTime();
        final java.util.concurrent.CompletableFuture<Void> pg = java.util.concurrent.CompletableFuture.runAsync(
                this::startPostgres);
        step("Kafka: 3 brokers + 1 KRaft controller (in this JVM)", () -> quietly(() -> kafka = KafkaTestCluster.start()));
        System.out.println("  bootstrap servers " + kafka.bootstrapServers());
        // LocalPinot creates its table once the output topic exists: Pinot's slow start overlaps topic creation.
        startPinot();
        step("topics: " + catalog.all().size() + " from TopicCatalog (RF 3, min ISR 2)",
                () -> kafka.createTopics(catalog.all()));
        try {
            pg.join();
        } catch (final java.util.concurrent.CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
        System.out.printf("PostgreSQL 17 (embedded, wal_level=logical) on port %d: up in %.1f s (started beside Kafka)%n",
                options.port("--pg-port"), (System.nanoTime() - pgBegan) / 1e9);
        try {
            schemaRegistry.join();
        } catch (final java.util.concurrent.CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
        System.out.printf("Apicurio Registry %s (in-memory, %s) at %s: up in %.1f s%n", RegistryServer.DEFAULT_VERSION,
                RegistryServer.PRODUCTION_COMPATIBILITY, registry.url(), (System.nanoTime() - registryBegan) / 1e9);
        writePids();
        startCdc();
        startStreams();
        startLakeSink();

        awaitReady("s3proxy", () -> answers("http://localhost:" + options.port("--s3-port") + "/"));
        awaitReady("CDC", () -> ok(url("--cdc-http-port", "/health/ready")));
        awaitReady("streams app", () -> ok(url("--streams-http-port", "/health/ready")));
        awaitReady("lake sink", () -> ok(url("--lake-http-port", "/health/ready")));
        awaitReady("Pinot", () -> pinot.countOrMinusOne("SELECT COUNT(*) FROM unified_customer") >= 0);
        startWorkload();
        readyAtMs = System.currentTimeMillis();
        System.out.printf("stack up %.1f s after launch. Pinot UI http://localhost:%d, SQL on the broker "
                        + "http://localhost:%d/query/sql, S3 http://localhost:%d (bucket %s), logs in %s%n",
                (readyAtMs - jvmStart) / 1000.0, options.port("--pinot-controller-port"),
                options.port("--pinot-broker-port"), options.port("--s3-port"), BUCKET, logs);
        writePids();
    }

    private void startS3() {
        // Launched now, awaited with the others: with the filesystem backend the bucket is a directory made here.
        launch(S3ProxyServer.builder(dataDir).jar(s3proxyJar().toAbsolutePath()).port(options.port("--s3-port"))
                .allInterfaces().credentials(S3_ACCESS, S3_SECRET).buckets(BUCKET).heapMb(192)
                .log(log("s3proxy")).ownSession().launch().process());
    }

    private void startPinot() {
        final Map<String, String> env = serviceEnv();
        env.put("RTDW_PINOT_DATA_DIR", dataDir.resolve("pinot").toString());
        env.put("RTDW_PINOT_CONTROLLER_PORT", String.valueOf(options.port("--pinot-controller-port")));
        env.put("RTDW_PINOT_BROKER_PORT", String.valueOf(options.port("--pinot-broker-port")));
        env.put("RTDW_PINOT_ZK_PORT", String.valueOf(options.port("--pinot-zk-port")));
        env.put("RTDW_PINOT_SERVER_PORT", String.valueOf(options.port("--pinot-server-port")));
        env.put("RTDW_PINOT_HEAP", "768m");
        env.put("RTDW_PINOT_CLASSPATH_FILE", pinotClasspathFile().toAbsolutePath().toString());
        env.put("RTDW_PINOT_PLUGIN_JAR", pinotPluginJar().toAbsolutePath().toString());
        launch(javaChild("pinot", 128, "io.rtdw.testing.pinot.LocalPinot", List.of(), env));
    }

    private void startPostgres() {
        try {
            postgres = EmbeddedPostgres.builder()
                    .setPort(options.port("--pg-port"))
                    .setDataDirectory(dataDir.resolve("postgres"))
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
        launch(javaChild("cdc", 384, "io.rtdw.cdc.CdcMain", List.of(), env));
    }

    private void startStreams() {
        final Map<String, String> env = serviceEnv();
        env.put(StreamsSettings.STATE_DIR.name(), dataDir.resolve("streams-state").toString());
        // One instance: a standby replica would have nowhere to live.
        env.put(StreamsSettings.STANDBY_REPLICAS.name(), "0");
        env.put(OpsServer.HTTP_PORT.name(), String.valueOf(options.port("--streams-http-port")));
        launch(javaChild("streams", 384, "io.rtdw.streams.StreamsApp", List.of(), env));
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
        launch(javaChild("lake-sink", 384, "io.rtdw.lake.LakeSinkMain", List.of(), env));
    }

    private void startWorkload() {
        final Map<String, String> env = pgEnv();
        final List<String> args = new ArrayList<>(List.of("--seed", String.valueOf(options.seed()),
                "--rate", fmt(options.rate()), "--changes", "1000000000",
                "--vehicles", mongoUri == null ? "kafka" : "mongodb"));
        launch(javaChild("workload", 192, "io.rtdw.dev.workload.WorkloadMain", args, env));
        System.out.println("workload generator started (" + (mongoUri == null
                ? "customers, flights -> PostgreSQL; vehicles -> Debezium MongoDB events -> Kafka"
                : "customers, flights -> PostgreSQL; vehicles -> MongoDB") + ")");
    }

    private ChildJvm javaChild(final String name, final int heapMb, final String mainClass, final List<String> args,
                               final Map<String, String> env) {
        final String classpath = System.getProperty("rtdw.local.classpath", System.getProperty("java.class.path"));
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
        env.put(KafkaClients.BOOTSTRAP_SERVERS.name(), kafka.bootstrapServers());
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

    private void launch(final ChildJvm child) {
        children.put(child.name(), child);
        System.out.printf("  started %-9s pid %d, log %s%n", child.name(), child.pid(), child.log());
        writePids();
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

    /** Runs {@code action} with System.out going to the launcher log: Kafka's formatter prints to stdout. */
    private void quietly(final Runnable action) {
        final java.io.PrintStream console = System.out;
        try (java.io.PrintStream toLog = new java.io.PrintStream(new java.io.FileOutputStream(
                logs.resolve("launcher.log").toFile(), true), true, java.nio.charset.StandardCharsets.UTF_8)) {
            System.setOut(toLog);
            action.run();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            System.setOut(console);
        }
    }

    private void awaitReady(final String what, final BooleanSupplier ready) {
        final long began = System.nanoTime();
        final long deadline = began + TimeUnit.SECONDS.toNanos(240);
        System.out.print("waiting for " + what + " ... ");
        System.out.flush();
        while (!ready.getAsBoolean()) {
            for (final ChildJvm child : children.values()) {
                if (!child.isAlive()) {
                    throw new IllegalStateException(child.name() + " exited with " + child.exitCode()
                            + " during start-up; last lines of " + child.log() + ":\n" + child.tail(15));
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

    private void writePids() {
        final StringBuilder pids = new StringBuilder("launcher " + ProcessHandle.current().pid() + "\n");
        children.values().forEach(c -> pids.append(c.name()).append(' ').append(c.pid()).append('\n'));
        final RegistryServer schemas = registry;
        if (schemas != null) {
            pids.append("registry ").append(schemas.pid()).append('\n');
        }
        final long pg = postmasterPid();
        if (pg > 0) {
            pids.append("postgres ").append(pg).append('\n');
        }
        try {
            Files.writeString(dataDir.resolve("pids"), pids);
        } catch (final IOException e) {
            // only an aid for cleaning up after a kill -9 of the launcher
        }
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
            System.out.println(last.line((System.currentTimeMillis() - readyAtMs) / 1000));
            for (final ChildJvm child : children.values()) {
                if (!child.isAlive()) {
                    throw new IllegalStateException(child.name() + " exited with " + child.exitCode()
                            + "; last lines of " + child.log() + ":\n" + child.tail(15));
                }
            }
        }
    }

    /**
     * One reading of the whole stack. Lags, all from the source commit time: {@code lagLastMs}/{@code lagMaxMs} to
     * the output topic (streams app), {@code pinotFreshMs} = now minus the newest {@code source_ts_ms} in Pinot
     * (while changes flow, the end-to-end lag to a queryable row), {@code lakeLatencyMs} to a visible Parquet file
     * (oldest row of the last file, so it includes the sink's flush interval).
     */
    record Progress(Map<String, Long> captured, long unifiedOut, double lagLastMs, double lagMaxMs,
                    double pinotFreshMs, double lakeLatencyMs, long pinotRows, long pinotLive, long parquetFiles,
                    long deadLetters, long rssBytes) {
        String line(final long secondsSinceUp) {
            final String tables = captured.entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                    .collect(Collectors.joining(", "));
            return String.format(Locale.ROOT, "[%4ds] captured: %s | unified out %d | lag: out %s (max %s), Pinot %s,"
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
        return new Progress(captured, (long) Scrape.sum(streams, "rtdw_streams_output_records_total").orElse(0),
                Scrape.sum(streams, "rtdw_streams_source_to_output_lag_ms").orElse(Double.NaN),
                Scrape.sum(streams, "rtdw_streams_source_to_output_lag_max_ms").orElse(Double.NaN),
                newestInPinot > 0 ? System.currentTimeMillis() - newestInPinot : Double.NaN,
                Scrape.sum(lake, "rtdw_lake_last_file_source_latency_ms").orElse(Double.NaN),
                pinotRows, pinotLive, Scrape.parquetFiles(dataDir.resolve("s3").resolve(BUCKET), "changelog"),
                deadLetters, measureRss());
    }

    private long endOffsets(final String topic) {
        try {
            final List<TopicPartition> partitions = kafka.partitions(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            return kafka.admin().listOffsets(partitions.stream().collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest())))
                    .all().get(10, TimeUnit.SECONDS).values().stream().mapToLong(r -> r.offset()).sum();
        } catch (final Exception e) {
            return -1;
        }
    }

    /** Total RSS of the launcher, every child JVM, the registry and PostgreSQL's processes; remembers the peak. */
    private long measureRss() {
        final Map<String, Long> parts = new LinkedHashMap<>();
        parts.put("launcher (Kafka, PostgreSQL client)", Scrape.rssBytes(ProcessHandle.current().pid()));
        for (final ChildJvm child : children.values()) {
            parts.put(child.name(), child.tree().stream().mapToLong(h -> Scrape.rssBytes(h.pid())).sum());
        }
        final RegistryServer schemas = registry;
        if (schemas != null) {
            parts.put("registry", schemas.rssBytes());
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
        final ChildJvm workload = children.get("workload");
        if (workload != null) {
            stop(workload, 10);
        }
        final List<String> bi = new ArrayList<>();
        long pgCustomers = -1;
        if (wasUp) {
            drain();
            last = progress();
            System.out.println(last.line((System.currentTimeMillis() - readyAtMs) / 1000));
            bi.addAll(biQueries());
            pgCustomers = postgresCustomers();
        }
        // The lake sink flushes its open files on SIGTERM; stop it before what feeds it is gone.
        for (final String name : List.of("lake-sink", "streams", "cdc", "pinot", "s3proxy")) {
            final ChildJvm child = children.get(name);
            if (child != null) {
                stop(child, "pinot".equals(name) ? 40 : 30);
            }
        }
        if (registry != null) {
            registry.close();
            stoppedCleanly.add("registry");
        }
        if (postgres != null) {
            try {
                postgres.close();
                stoppedCleanly.add("postgres");
            } catch (final IOException e) {
                System.out.println("  PostgreSQL did not stop cleanly: " + e.getMessage());
            }
        }
        if (kafka != null) {
            kafka.close();
            stoppedCleanly.add("kafka");
        }
        if (!options.keepData()) {
            for (final String dir : List.of("postgres", "pinot", "streams-state")) {
                deleteQuietly(dataDir.resolve(dir));
            }
        }
        summary(wasUp, bi, pgCustomers);
    }

    private void stop(final ChildJvm child, final long seconds) {
        if (!child.isAlive()) {
            System.out.printf("  %-9s had already exited (%d)%n", child.name(), child.exitCode());
            return;
        }
        final long began = System.nanoTime();
        final int code = child.stop(seconds);
        System.out.printf("  stopped %-9s in %.1f s (%s)%n", child.name(), (System.nanoTime() - began) / 1e9,
                code == -1 ? "killed after " + seconds + " s" : "exit " + code);
        if (code != -1) {
            stoppedCleanly.add(child.name());
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

    private void summary(final boolean wasUp, final List<String> bi, final long pgCustomers) {
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
        System.out.println("Parquet files: " + files + " changelog files under " + bucket.resolve("changelog")
                + (Files.isDirectory(bucket.resolve("snapshot")) ? ", snapshot in " + bucket.resolve("snapshot") : ""));
        System.out.println("read them with DuckDB:");
        System.out.println("  duckdb -c \"SELECT count(*) AS changes, count(DISTINCT customer_id) AS customers FROM "
                + "read_parquet('" + bucket.resolve("changelog") + "/*/*/*.parquet', hive_partitioning = true)\"");
        if (Files.isDirectory(bucket.resolve("snapshot"))) {
            System.out.println("  duckdb -c \"SELECT profession, count(*) FROM '" + bucket.resolve("snapshot")
                    + "/latest*.parquet' WHERE NOT deleted GROUP BY ALL ORDER BY 2 DESC\"");
        }
        System.out.println("logs: " + logs + (options.keepData() ? "; all data kept in " + dataDir
                : "; PostgreSQL and Pinot data removed (--keep-data keeps them)"));
        final List<String> all = new ArrayList<>(children.keySet());
        all.add("postgres");
        all.add("kafka");
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
