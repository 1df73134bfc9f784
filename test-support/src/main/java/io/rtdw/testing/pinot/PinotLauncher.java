package io.rtdw.testing.pinot;

import com.fasterxml.jackson.databind.JsonNode;
import io.rtdw.testing.ChildJvm;
import io.rtdw.testing.TestFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Runs Pinot 0.11 (ZooKeeper, controller, broker, server) in a child JVM with Pinot's own class path, and talks
 * to it over REST.
 *
 * <p>Why a child JVM: Pinot 0.11 needs avro 1.7.7, guava 20, jackson 2.12 and scala 2.12; our code and the Kafka
 * test cluster need avro 1.12 and Kafka 4.1. The class path comes from {@code pinot/target/pinot-runtime/
 * pinot-classpath.txt} (resolved at build time from {@code pinot/runtime/pom.xml}), plus rtdw-pinot's plugin jar
 * (the decoder) and {@link PinotNodeMain}, whose class file is copied under the data directory: the test kit's
 * jar itself must not be on Pinot's class path (its {@code log4j2-test.xml} would take over Pinot's logging).
 *
 * <pre>
 * try (PinotLauncher pinot = PinotLauncher.builder().dataDir(dir).build().start()) {
 *     pinot.createSchema(PinotTables.schema());
 *     pinot.createTable(PinotTables.localTable(topic, bootstrap));
 *     JsonNode rows = pinot.query("SELECT COUNT(*) FROM unified_customer");
 * }
 * </pre>
 * The child is stopped when {@link #close()} is called, killed when this JVM exits normally (shutdown hook of
 * {@link ChildJvm}), and exits by itself when this JVM dies abruptly (its stdin, a pipe from us, closes).
 */
public final class PinotLauncher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PinotLauncher.class);

    /** Java 17 needs these for Pinot 0.11 (Jersey/Grizzly reflection, off-heap buffers). */
    public static final List<String> JAVA_17_FLAGS = List.of(
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED");

    /** The principal with every permission when {@link Builder#basicAuth} is set. */
    public static final String ADMIN = "admin";
    /** The read-only principal (the BI analysts' login) when {@link Builder#basicAuth} is set. */
    public static final String BI = "bi";

    private final Builder config;
    private final PinotClient client;
    private final int zkPort;
    private final int controllerPort;
    private final int brokerPort;
    private final int serverPort;
    private final int serverAdminPort;
    private final int serverGrpcPort;
    private final String multistagePorts;
    private ChildJvm process;

    private PinotLauncher(final Builder config) {
        this.config = config;
        this.zkPort = portOrFree(config.zkPort);
        this.controllerPort = portOrFree(config.controllerPort);
        this.brokerPort = portOrFree(config.brokerPort);
        this.serverPort = portOrFree(config.serverPort);
        this.serverAdminPort = portOrFree(0);
        this.serverGrpcPort = portOrFree(0);
        this.multistagePorts = portOrFree(0) + "," + portOrFree(0) + "," + portOrFree(0);
        final PinotClient anonymous = new PinotClient(controllerUrl(), brokerUrl());
        this.client = config.adminPassword == null ? anonymous : anonymous.withBasicAuth(ADMIN, config.adminPassword);
    }

    /** A builder; class path file and plugin jar default to the system properties the pinot and local-stack builds set. */
    public static Builder builder() {
        return new Builder();
    }

    /** Starts the child JVM and waits until controller, broker and server are up. */
    public PinotLauncher start() {
        final Path classpathFile = Objects.requireNonNull(config.classpathFile,
                "Pinot class path file not set (system property rtdw.pinot.classpathFile)");
        final Path pluginJar = Objects.requireNonNull(config.pluginJar,
                "plugin jar not set (system property rtdw.pinot.pluginJar)");
        final Path dataDir = Objects.requireNonNull(config.dataDir, "dataDir");
        try {
            if (!Files.isRegularFile(pluginJar)) {
                throw new IllegalStateException("plugin jar " + pluginJar
                        + " is missing: build the pinot module (mvn -pl pinot package)");
            }
            final String pinotClasspath = Files.readString(classpathFile).trim();
            Files.createDirectories(dataDir);
            final Path log = logFile();
            final long began = System.nanoTime();
            process = ChildJvm.java("pinot", PinotNodeMain.class.getName())
                    .javaExecutable(config.javaExecutable)
                    .jvmArgs("-Xmx" + config.heap, "-XX:+UseSerialGC", "-XX:ActiveProcessorCount=2")
                    .jvmArgs(JAVA_17_FLAGS)
                    .classpath(String.join(File.pathSeparator, stageNodeMain(dataDir).toString(),
                            pluginJar.toString(), pinotClasspath))
                    .args("--data-dir", dataDir.toAbsolutePath().toString(),
                            "--zk-port", String.valueOf(zkPort), "--controller-port", String.valueOf(controllerPort),
                            "--broker-port", String.valueOf(brokerPort), "--server-port", String.valueOf(serverPort),
                            "--server-admin-port", String.valueOf(serverAdminPort),
                            "--server-grpc-port", String.valueOf(serverGrpcPort), "--multistage-ports", multistagePorts,
                            "--exit-on-stdin-eof", "true", "--extra-config", writeExtraConfig(dataDir).toString())
                    .env(config.env).log(log).start();
            LOG.info("Pinot 0.11 starting (pid {}), controller {}, broker {}, log {}", process.pid(), controllerUrl(),
                    brokerUrl(), log);
            awaitHealthy(began);
            LOG.info("Pinot healthy after {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
            return this;
        } catch (final IOException e) {
            close();
            throw new UncheckedIOException("cannot start Pinot", e);
        } catch (final RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Copies {@link PinotNodeMain}'s class file (it needs nothing but the JDK and, at run time, Pinot) into a
     * directory of its own under {@code dataDir}, which goes on Pinot's class path instead of this kit's jar.
     */
    private static Path stageNodeMain(final Path dataDir) throws IOException {
        final String resource = PinotNodeMain.class.getName().replace('.', '/') + ".class";
        final Path dir = dataDir.resolve("node-main").toAbsolutePath();
        final Path target = dir.resolve(resource);
        Files.createDirectories(target.getParent());
        try (InputStream in = PinotNodeMain.class.getClassLoader().getResourceAsStream(resource)) {
            Files.copy(Objects.requireNonNull(in, resource), target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return dir;
    }

    /**
     * The settings {@link PinotNodeMain} hands to the services: none, or HTTP Basic Auth on the controller and the
     * broker (Pinot 0.11's {@code BasicAuthAccessControlFactory} of each; keys read from
     * {@code org.apache.pinot.controller.api.access.BasicAuthAccessControlFactory} ({@code
     * controller.admin.access.control.principals}), {@code CommonConstants.Broker.ACCESS_CONTROL_CONFIG_PREFIX}
     * plus {@code class} / {@code principals}, and {@code BasicAuthUtils}: {@code <prefix>.<name>.password},
     * {@code .permissions} (default all), {@code .tables} (default all)).
     */
    private Path writeExtraConfig(final Path dataDir) throws IOException {
        final java.util.Properties props = new java.util.Properties();
        if (config.adminPassword != null) {
            props.setProperty("controller.admin.access.control.factory.class",
                    "org.apache.pinot.controller.api.access.BasicAuthAccessControlFactory");
            props.setProperty("pinot.broker.access.control.class",
                    "org.apache.pinot.broker.broker.BasicAuthAccessControlFactory");
            // As in k8s/base/pinot: the controller knows only admin, the broker only bi.
            props.setProperty("controller.admin.access.control.principals", ADMIN);
            props.setProperty("controller.admin.access.control.principals." + ADMIN + ".password", config.adminPassword);
            props.setProperty("pinot.broker.access.control.principals", BI);
            props.setProperty("pinot.broker.access.control.principals." + BI + ".password", config.biPassword);
        }
        final Path file = dataDir.resolve("extra-config.properties").toAbsolutePath();
        try (java.io.Writer out = Files.newBufferedWriter(file)) {
            props.store(out, "written by PinotLauncher for PinotNodeMain --extra-config");
        }
        return file;
    }

    private void awaitHealthy(final long began) {
        final long deadline = began + config.startTimeout.toNanos();
        final String server = "Server_localhost_" + serverPort;
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Pinot exited with " + process.exitCode() + " during start; see "
                        + logFile());
            }
            if ("OK".equals(client.getOrNull(controllerUrl() + "/health"))
                    && "OK".equals(client.getOrNull(brokerUrl() + "/health"))) {
                final String instances = client.getOrNull(controllerUrl() + "/instances");
                if (instances != null && instances.contains(server)) {
                    return;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Pinot not healthy within " + config.startTimeout + "; see " + logFile());
            }
            TestFiles.sleep(500);
        }
    }

    /** Controller base URL, e.g. {@code http://localhost:9000}. */
    public String controllerUrl() {
        return "http://localhost:" + controllerPort;
    }

    /** Broker base URL (queries: {@code POST /query/sql}). */
    public String brokerUrl() {
        return "http://localhost:" + brokerPort;
    }

    /** Where the child's stdout and stderr go. */
    public Path logFile() {
        return config.dataDir.resolve("pinot.log");
    }

    /**
     * A REST client of this Pinot (controller and broker); when auth is on, logged in as {@link #ADMIN}, whom only
     * the controller knows (queries: {@code client().withBasicAuth(BI, ...)}).
     */
    public PinotClient client() {
        return client;
    }

    /** Adds (or replaces) a schema through the controller. */
    public void createSchema(final String schemaJson) {
        client.createSchema(schemaJson);
    }

    /** Creates a table through the controller. */
    public void createTable(final String tableConfigJson) {
        client.createTable(tableConfigJson);
    }

    /** See {@link PinotClient#createTableIfAbsent}. */
    public boolean createTableIfAbsent(final String tableConfigJson) {
        return client.createTableIfAbsent(tableConfigJson);
    }

    /** See {@link PinotClient#query}. */
    public JsonNode query(final String sql) {
        return client.query(sql);
    }

    /** See {@link PinotClient#rows}. */
    public List<List<JsonNode>> rows(final String sql) {
        return client.rows(sql);
    }

    /**
     * Waits until {@code table} holds at least {@code expected} rows, every version counted
     * ({@code OPTION(skipUpsert=true)}); a wait, not a timed assertion: an {@link AssertionError} naming the count seen
     * and Pinot's log after {@code timeout}. Errors and empty answers while the consuming segments are being created
     * count as not yet.
     */
    public void awaitIngested(final String table, final long expected, final Duration timeout) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        long seen = -1;
        while (System.nanoTime() < deadline) {
            try {
                seen = client.count("SELECT COUNT(*) FROM " + table + " OPTION(skipUpsert=true)");
                if (seen >= expected) {
                    return;
                }
            } catch (final IllegalStateException | IndexOutOfBoundsException e) {
                // the table's consuming segments are still being created (an error, or no result row yet)
            }
            TestFiles.sleep(500);
        }
        throw new AssertionError("Pinot ingested " + seen + " of " + expected + " records into " + table + "; see "
                + logFile());
    }

    /** Stops Pinot: SIGTERM, then SIGKILL after the stop timeout (Pinot's own shutdown can take >18 s). */
    @Override
    public void close() {
        if (process == null) {
            return;
        }
        if (process.isAlive() && process.stop(Math.max(1, config.stopTimeout.toSeconds())) == -1) {
            LOG.info("Pinot did not stop within {}; it was killed", config.stopTimeout);
        }
        process.close();
        process = null;
    }

    private static int portOrFree(final int port) {
        return port > 0 ? port : ChildJvm.freePort();
    }

    /** Settings of a {@link PinotLauncher}; ports of 0 mean "any free port". */
    public static final class Builder {
        private Path classpathFile = pathProperty("rtdw.pinot.classpathFile");
        private Path pluginJar = pathProperty("rtdw.pinot.pluginJar");
        private Path dataDir;
        private String heap = "768m";
        private String javaExecutable = ProcessHandle.current().info().command().orElse("java");
        private Duration startTimeout = Duration.ofSeconds(180);
        private Duration stopTimeout = Duration.ofSeconds(10);
        private int zkPort;
        private int controllerPort;
        private int brokerPort;
        private int serverPort;
        private String adminPassword;
        private String biPassword;
        private final java.util.Map<String, String> env = new java.util.LinkedHashMap<>();

        private static Path pathProperty(final String name) {
            final String value = System.getProperty(name);
            return value == null ? null : Path.of(value);
        }

        /** The file listing Pinot's class path ({@code target/pinot-runtime/pinot-classpath.txt}). */
        public Builder classpathFile(final Path value) {
            this.classpathFile = value;
            return this;
        }

        /** rtdw-pinot's plugin jar, the decoder ({@code pinot/target/rtdw-pinot-*-plugin.jar}). */
        public Builder pluginJar(final Path value) {
            this.pluginJar = value;
            return this;
        }

        /** Where ZooKeeper, controller and server keep their data, and the log file. */
        public Builder dataDir(final Path value) {
            this.dataDir = value;
            return this;
        }

        /** Max heap of the child, e.g. {@code 768m}. */
        public Builder heap(final String value) {
            this.heap = value;
            return this;
        }

        /** The {@code java} to run Pinot with (default: the one running this JVM). */
        public Builder javaExecutable(final String value) {
            this.javaExecutable = value;
            return this;
        }

        public Builder startTimeout(final Duration value) {
            this.startTimeout = value;
            return this;
        }

        public Builder stopTimeout(final Duration value) {
            this.stopTimeout = value;
            return this;
        }

        /** Fixed ports (0 = any free port). */
        public Builder ports(final int zk, final int controller, final int broker, final int server) {
            this.zkPort = zk;
            this.controllerPort = controller;
            this.brokerPort = broker;
            this.serverPort = server;
            return this;
        }

        /**
         * HTTP Basic Auth on the controller and the broker (off unless called), as the k8s manifests set it: the
         * controller knows only {@link #ADMIN} (every permission), the broker only {@link #BI} (queries).
         */
        public Builder basicAuth(final String admin, final String bi) {
            this.adminPassword = Objects.requireNonNull(admin, "admin password");
            this.biPassword = Objects.requireNonNull(bi, "bi password");
            return this;
        }

        /**
         * An environment variable of Pinot's JVM, as a Pinot server pod's environment (for example the decoder's
         * {@code RTDW_MASK_FIELDS}); none is set unless given here.
         */
        public Builder env(final String name, final String value) {
            env.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** A launcher with these settings (not started). */
        public PinotLauncher build() {
            return new PinotLauncher(this);
        }
    }
}
