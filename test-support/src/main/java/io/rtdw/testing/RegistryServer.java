package io.rtdw.testing;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * A real Apicurio Registry server ({@value #DEFAULT_VERSION}, in-memory storage) in a child JVM, for integration
 * tests and the local stack.
 *
 * <pre>
 * RegistryServer registry = RegistryServer.shared();          // one per test JVM, stopped at JVM exit
 * RegistrySerdes serdes = RegistrySerdes.remote(registry.url(), true);
 *
 * try (RegistryServer own = RegistryServer.builder().port(18081).start()) { ... }   // a private one
 * </pre>
 *
 * <p><b>Where the server comes from.</b> {@code test-support}'s build unpacks the
 * {@code io.apicurio:apicurio-registry-app:<version>:zip:all} artifact (Maven Central) into its {@code target/} and
 * writes that path into the resource {@code io/rtdw/testing/registry-server.properties}; tests of every module read
 * it from there through this class. If that directory is gone (test-support taken from {@code ~/.m2}), the zip is
 * unpacked from the local Maven repository into the current module's {@code target/}. System properties override
 * both: {@code rtdw.registry.home} (an unpacked server) or {@code rtdw.registry.zip} (the zip).
 *
 * <p><b>Compatibility.</b> By default the server enforces the production rule, a default global
 * {@code COMPATIBILITY} rule of {@value #PRODUCTION_COMPATIBILITY} set by configuration
 * ({@code APICURIO_RULES_GLOBAL_COMPATIBILITY}, as the registry's Kubernetes deployment must set it), so a test that
 * registers an incompatible schema fails the way a service would in production. {@link Builder#compatibility}
 * changes or removes it.
 *
 * <p><b>Process.</b> {@code java -Xmx384m -jar apicurio-registry-app-<version>-runner.jar} on 127.0.0.1 and a free
 * port (or a fixed one), ready when {@code /health/ready} answers 200 (polled until a deadline: 180 s by default,
 * system property {@code rtdw.registry.startTimeoutSeconds}). Its output goes to a log file. The child also exits
 * when the test JVM dies without closing it (it watches the pipe of its stdin), so a killed build leaves no server.
 */
public final class RegistryServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RegistryServer.class);

    /** Server release used when the build resource does not say otherwise. */
    public static final String DEFAULT_VERSION = "3.0.9";
    /** The compatibility rule production enforces for every artifact (see {@code schemas/README.md}). */
    public static final String PRODUCTION_COMPATIBILITY = "BACKWARD_TRANSITIVE";
    /** Path of the Apicurio Registry v3 REST API. */
    public static final String V3_PATH = "/apis/registry/v3";
    /** Path of the Confluent-compatible REST API. */
    public static final String CCOMPAT_PATH = "/apis/ccompat/v7";

    private static final String RESOURCE = "/io/rtdw/testing/registry-server.properties";
    private static final String QUARKUS_MAIN = "io.quarkus.runner.GeneratedMain";
    private static final int PORT_ATTEMPTS = 3;

    private static RegistryServer shared;

    private final ChildJvm process;
    private final int port;
    private final Path log;
    private final boolean isShared;
    private final Duration startup;
    private volatile boolean closed;

    private RegistryServer(final ChildJvm process, final int port, final Path log, final boolean isShared,
                           final Duration startup) {
        this.process = process;
        this.port = port;
        this.log = log;
        this.isShared = isShared;
        this.startup = startup;
    }

    /** A builder for a server of its own (the caller closes it). */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The JVM-wide server: started on first use (on a free port, with the production compatibility rule), stopped
     * by a shutdown hook. {@link #close()} on it does nothing. Tests that must not share state use unique
     * artifact (topic) names, or a server of their own.
     */
    public static synchronized RegistryServer shared() {
        if (shared == null || !shared.isAlive()) {
            if (shared != null) {
                LOG.warn("the shared registry server (pid {}) died; starting a new one (its URL changes)", shared.pid());
            }
            final RegistryServer server = builder().name("shared").start(true);
            Runtime.getRuntime().addShutdownHook(new Thread(server::stop, "registry-server-shutdown"));
            shared = server;
        }
        return shared;
    }

    /** Base URL of the server, {@code http://127.0.0.1:<port>}. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    /** The v3 REST API, what {@code RTDW_REGISTRY_URL} and {@code RegistrySerdes.remote} take. */
    public String url() {
        return baseUrl() + V3_PATH;
    }

    /** The Confluent-compatible API (Pinot's Confluent decoder, Kafka UI, ksqlDB). */
    /** Serdes on this server, as a service configured with {@code RTDW_REGISTRY_URL=}{@link #url()} has them. */
    public io.rtdw.serde.RegistrySerdes serdes() {
        return io.rtdw.serde.RegistrySerdes.remote(url(), true);
    }

    public String ccompatUrl() {
        return baseUrl() + CCOMPAT_PATH;
    }

    public int port() {
        return port;
    }

    /** Process id of the server's JVM. */
    public long pid() {
        return process.pid();
    }

    /** The server's log file (stdout and stderr). */
    public Path log() {
        return log;
    }

    /** Time from launching the JVM to the first ready answer. */
    public Duration startupTime() {
        return startup;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Resident set size of the server's JVM in bytes (from {@code /proc}), or -1 where it cannot be read. */
    public long rssBytes() {
        try {
            for (final String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (final IOException | RuntimeException e) {
            // not Linux, or already gone
        }
        return -1;
    }

    /** Stops a server of one's own: SIGTERM, SIGKILL after 30 s. Does nothing on the {@link #shared()} one. */
    @Override
    public void close() {
        if (isShared) {
            LOG.debug("close() on the shared registry server ignored: it stops when the JVM exits");
            return;
        }
        stop();
    }

    private synchronized void stop() {
        if (closed) {
            return;
        }
        closed = true;
        final long began = System.nanoTime();
        if (process.stop(30) < 0) {
            LOG.warn("registry server pid {} ignored SIGTERM for 30 s: killed it", pid());
        }
        LOG.info("registry server pid {} stopped in {} ms", pid(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
    }

    @Override
    public String toString() {
        return "RegistryServer[" + url() + ", pid " + pid() + "]";
    }

    /**
     * The directory of the unpacked server (holding {@code apicurio-registry-app-<version>-runner.jar} and
     * {@code lib/}): {@code rtdw.registry.home}, else the one test-support's build unpacked, else the zip
     * ({@code rtdw.registry.zip} or the one in the local Maven repository) unpacked into {@code target/}.
     */
    public static Path distribution() {
        final Properties build = buildProperties();
        final String version = build.getProperty("version", DEFAULT_VERSION);
        final String home = System.getProperty("rtdw.registry.home");
        if (home != null && !home.isBlank()) {
            return requireRunner(Path.of(home), version, "system property rtdw.registry.home");
        }
        final String builtHome = build.getProperty("home");
        if (builtHome != null && Files.isRegularFile(Path.of(builtHome).resolve(runnerJar(version)))) {
            return Path.of(builtHome);
        }
        final String zipProperty = System.getProperty("rtdw.registry.zip");
        final Path zip = Path.of(zipProperty != null && !zipProperty.isBlank() ? zipProperty
                : build.getProperty("zip", Path.of(System.getProperty("user.home"), ".m2", "repository", "io",
                        "apicurio", "apicurio-registry-app", version,
                        "apicurio-registry-app-" + version + "-all.zip").toString()));
        if (!Files.isRegularFile(zip)) {
            throw new IllegalStateException("the Apicurio Registry server " + version + " is not on this machine: no "
                    + zip + ". Build test-support (mvn -pl test-support -am process-resources) or fetch it with "
                    + "mvn dependency:get -Dartifact=io.apicurio:apicurio-registry-app:" + version + ":zip:all");
        }
        final Path target = Files.isDirectory(Path.of("target")) ? Path.of("target")
                : Path.of(System.getProperty("java.io.tmpdir"));
        return requireRunner(unpack(zip, target.resolve("apicurio-registry-" + version).toAbsolutePath()), version,
                "zip " + zip);
    }

    static Properties buildProperties() {
        final Properties properties = new Properties();
        try (InputStream in = RegistryServer.class.getResourceAsStream(RESOURCE)) {
            if (in != null) {
                properties.load(in);
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return properties;
    }

    private static String runnerJar(final String version) {
        return "apicurio-registry-app-" + version + "-runner.jar";
    }

    private static Path requireRunner(final Path home, final String version, final String source) {
        if (!Files.isRegularFile(home.resolve(runnerJar(version)))) {
            throw new IllegalStateException("no " + runnerJar(version) + " in " + home + " (from " + source + ")");
        }
        return home;
    }

    /** Unpacks into a fresh sibling directory and renames it into place, so concurrent JVMs never see half a server. */
    static synchronized Path unpack(final Path zip, final Path destination) {
        if (Files.isDirectory(destination)) {
            return destination;
        }
        final long began = System.nanoTime();
        try {
            Files.createDirectories(destination.getParent());
            final Path temporary = Files.createTempDirectory(destination.getParent(), destination.getFileName() + ".");
            try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
                for (ZipEntry entry; (entry = in.getNextEntry()) != null; ) {
                    final Path file = temporary.resolve(entry.getName()).normalize();
                    if (!file.startsWith(temporary)) {
                        throw new IOException("zip entry outside the target: " + entry.getName());
                    }
                    if (entry.isDirectory()) {
                        Files.createDirectories(file);
                    } else {
                        Files.createDirectories(file.getParent());
                        Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
            try {
                Files.move(temporary, destination, StandardCopyOption.ATOMIC_MOVE);
            } catch (final FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
                TestFiles.freshDir(temporary);
                Files.delete(temporary);
            } catch (final IOException e) {
                if (!Files.isDirectory(destination)) {
                    throw e;
                }
                TestFiles.freshDir(temporary);
                Files.delete(temporary);
            }
            LOG.info("unpacked {} into {} in {} ms", zip, destination,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
            return destination;
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot unpack " + zip + " into " + destination, e);
        }
    }

    /** Settings of a server; {@link #start()} launches it and returns when it is ready. */
    public static final class Builder {

        private int port;
        private int heapMb = 384;
        private Duration readyTimeout = Duration.ofSeconds(Long.getLong("rtdw.registry.startTimeoutSeconds", 180));
        private Path logFile;
        private String name = "registry";
        private String compatibility = PRODUCTION_COMPATIBILITY;
        private final Map<String, String> env = new LinkedHashMap<>();
        private final Map<String, String> systemProperties = new LinkedHashMap<>();

        private Builder() {
        }

        /** A fixed port (default: a free ephemeral one). */
        public Builder port(final int fixedPort) {
            if (fixedPort < 0 || fixedPort > 65535) {
                throw new IllegalArgumentException("port " + fixedPort);
            }
            this.port = fixedPort;
            return this;
        }

        /** Maximum heap of the server's JVM (default 384 MB; the in-memory registry uses ~60 MB of it). */
        public Builder heapMb(final int mb) {
            this.heapMb = mb;
            return this;
        }

        /** How long to wait for {@code /health/ready} (default 180 s: the build machines are loaded). */
        public Builder readyTimeout(final Duration timeout) {
            this.readyTimeout = Objects.requireNonNull(timeout);
            return this;
        }

        /** Log file (default {@code target/registry-server-<name>-<port>.log}, or the temp dir outside a module). */
        public Builder logFile(final Path file) {
            this.logFile = file;
            return this;
        }

        /** A name for logs and the default log file. */
        public Builder name(final String serverName) {
            this.name = Objects.requireNonNull(serverName);
            return this;
        }

        /**
         * The default global {@code COMPATIBILITY} rule (default {@value #PRODUCTION_COMPATIBILITY}, like
         * production); {@code null} starts a registry without any rule.
         */
        public Builder compatibility(final String level) {
            this.compatibility = level;
            return this;
        }

        /** An environment variable of the server (Quarkus/Apicurio configuration, e.g. {@code APICURIO_...}). */
        public Builder env(final String key, final String value) {
            env.put(key, value);
            return this;
        }

        /** A {@code -D} system property of the server's JVM. */
        public Builder systemProperty(final String key, final String value) {
            systemProperties.put(key, value);
            return this;
        }

        /** Starts the server and waits until it is ready. */
        public RegistryServer start() {
            return start(false);
        }

        private RegistryServer start(final boolean isShared) {
            final Path home = distribution();
            final String version = buildProperties().getProperty("version", DEFAULT_VERSION);
            IllegalStateException last = null;
            for (int attempt = 1; attempt <= (port == 0 ? PORT_ATTEMPTS : 1); attempt++) {
                final int chosen = port == 0 ? ChildJvm.freePort() : port;
                try {
                    return launch(home, version, chosen, isShared);
                } catch (final PortTaken e) {
                    last = e;
                    LOG.warn("registry port {} was taken before the server bound it; trying another", chosen);
                }
            }
            throw last;
        }

        private RegistryServer launch(final Path home, final String version, final int chosenPort,
                                      final boolean isShared) {
            final Path logPath = logFile != null ? logFile : defaultLog(chosenPort);
            final List<String> jvm = new ArrayList<>(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-Dquarkus.http.port=" + chosenPort, "-Dquarkus.http.host=127.0.0.1"));
            systemProperties.forEach((k, v) -> jvm.add("-D" + k + "=" + v));
            // The runner jar's manifest Class-Path brings lib/; OrphanGuard (this jar or classes dir) wraps main and
            // ends the server when this JVM's end of its stdin pipe closes (a kill -9 of the test JVM included).
            final ChildJvm.Builder child = ChildJvm.java(name, OrphanGuard.class.getName()).heapMb(heapMb)
                    .jvmArgs(jvm).classpath(home.resolve(runnerJar(version)) + java.io.File.pathSeparator + codeSource())
                    .args(QUARKUS_MAIN).workDir(home).log(logPath).env(env);
            if (compatibility != null) {
                child.env("APICURIO_RULES_GLOBAL_COMPATIBILITY", compatibility);
            }
            final long began = System.nanoTime();
            final ChildJvm process = child.start();
            LOG.info("registry server '{}' starting: pid {}, port {}, log {}", name, process.pid(), chosenPort, logPath);
            try {
                awaitReady(process, chosenPort, logPath);
            } catch (final RuntimeException e) {
                process.kill();
                throw e;
            }
            final Duration startup = Duration.ofNanos(System.nanoTime() - began);
            final RegistryServer server = new RegistryServer(process, chosenPort, logPath, isShared, startup);
            LOG.info("registry server '{}' ready in {} ms at {} (pid {}, RSS {} MB, compatibility {})", name,
                    startup.toMillis(), server.url(), process.pid(), server.rssBytes() >> 20,
                    compatibility == null ? "none" : compatibility);
            return server;
        }

        private Path defaultLog(final int chosenPort) {
            final Path dir = Files.isDirectory(Path.of("target")) ? Path.of("target")
                    : Path.of(System.getProperty("java.io.tmpdir"));
            return dir.resolve("registry-server-" + name + "-" + chosenPort + ".log").toAbsolutePath();
        }

        private void awaitReady(final ChildJvm process, final int chosenPort, final Path logPath) {
            final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            final URI ready = URI.create("http://127.0.0.1:" + chosenPort + "/health/ready");
            final long deadline = System.nanoTime() + readyTimeout.toNanos();
            while (true) {
                if (!process.isAlive()) {
                    final String tail = tail(logPath);
                    if (tail.contains("Port " + chosenPort + " seems to be in use") || tail.contains("Address already in use")) {
                        throw new PortTaken(tail);
                    }
                    throw new IllegalStateException("the registry server exited with " + process.exitCode()
                            + " before it was ready; end of " + logPath + ":\n" + tail);
                }
                try {
                    final HttpResponse<Void> response = http.send(HttpRequest.newBuilder(ready)
                            .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.discarding());
                    if (response.statusCode() == 200) {
                        return;
                    }
                } catch (final IOException e) {
                    // not listening yet
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the registry server", e);
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the registry server was not ready within " + readyTimeout
                            + "; end of " + logPath + ":\n" + tail(logPath));
                }
                TestFiles.sleep(250);
            }
        }

        private static String tail(final Path file) {
            try {
                final List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
                return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
            } catch (final IOException | RuntimeException e) {
                return "(no log: " + e + ")";
            }
        }

        private static String codeSource() {
            try {
                return Path.of(RegistryServer.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                        .toString();
            } catch (final URISyntaxException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** The chosen port was taken between choosing and binding it. */
    private static final class PortTaken extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        PortTaken(final String log) {
            super("port taken:\n" + log);
        }
    }

    /**
     * Main class of the server's JVM: runs the given main class (Quarkus') and exits when stdin reaches its end,
     * which happens when the JVM that started it dies, even by {@code kill -9}. The exit runs Quarkus' shutdown
     * hooks; the JVM halts if they take more than 20 s.
     */
    public static final class OrphanGuard {

        private OrphanGuard() {
        }

        public static void main(final String[] args) throws Exception {
            final Thread watcher = new Thread(() -> {
                try {
                    while (System.in.read() != -1) {
                        // the parent never writes: only the end of the stream matters
                    }
                } catch (final IOException e) {
                    // the pipe broke: same as its end
                }
                final Thread halt = new Thread(() -> {
                    try {
                        Thread.sleep(20_000);
                    } catch (final InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    Runtime.getRuntime().halt(3);
                }, "orphan-guard-halt");
                halt.setDaemon(true);
                halt.start();
                System.err.println("OrphanGuard: the parent JVM is gone; stopping");
                System.exit(0);
            }, "orphan-guard");
            watcher.setDaemon(true);
            watcher.start();
            final String[] rest = new String[args.length - 1];
            System.arraycopy(args, 1, rest, 0, rest.length);
            Class.forName(args[0]).getMethod("main", String[].class).invoke(null, (Object) rest);
        }
    }
}
