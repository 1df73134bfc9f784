package io.rtdw.testing.pinot;

import com.fasterxml.jackson.databind.JsonNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Runs Pinot 0.11 (ZooKeeper, controller, broker, server) in a child JVM with Pinot's own class path, and talks
 * to it over REST.
 *
 * <p>Why a child JVM: Pinot 0.11 needs avro 1.7.7, guava 20, jackson 2.12 and scala 2.12; our code and the Kafka
 * test cluster need avro 1.12 and Kafka 4.1. The class path comes from {@code target/pinot-runtime/
 * pinot-classpath.txt} (resolved at build time from {@code runtime/pom.xml}), plus our plugin jar (the decoder
 * and {@code PinotNodeMain}).
 *
 * <pre>
 * try (PinotLauncher pinot = PinotLauncher.builder().dataDir(dir).build().start()) {
 *     pinot.createSchema(PinotTables.schema());
 *     pinot.createTable(PinotTables.localTable(topic, bootstrap));
 *     JsonNode rows = pinot.query("SELECT COUNT(*) FROM unified_customer");
 * }
 * </pre>
 * The child is killed when {@link #close()} is called, when this JVM exits normally (shutdown hook), and when
 * this JVM dies abruptly (the child exits when its stdin, a pipe from us, closes).
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

    private final Builder config;
    private final PinotClient client;
    private final int zkPort;
    private final int controllerPort;
    private final int brokerPort;
    private final int serverPort;
    private final int serverAdminPort;
    private final int serverGrpcPort;
    private final String multistagePorts;
    private Process process;
    private Thread shutdownHook;

    private PinotLauncher(final Builder config) {
        this.config = config;
        this.zkPort = portOrFree(config.zkPort);
        this.controllerPort = portOrFree(config.controllerPort);
        this.brokerPort = portOrFree(config.brokerPort);
        this.serverPort = portOrFree(config.serverPort);
        this.serverAdminPort = portOrFree(0);
        this.serverGrpcPort = portOrFree(0);
        this.multistagePorts = portOrFree(0) + "," + portOrFree(0) + "," + portOrFree(0);
        this.client = new PinotClient(controllerUrl(), brokerUrl());
    }

    /** A builder; class path and plugin jar default to the system properties set by this module's build. */
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
                throw new IllegalStateException("plugin jar " + pluginJar + " is missing: run mvn package in pinot/");
            }
            final String pinotClasspath = Files.readString(classpathFile).trim();
            Files.createDirectories(dataDir);
            final List<String> command = new ArrayList<>();
            command.add(config.javaExecutable);
            command.add("-Xmx" + config.heap);
            command.add("-XX:+UseSerialGC");
            command.add("-XX:ActiveProcessorCount=2");
            command.addAll(JAVA_17_FLAGS);
            command.add("-cp");
            command.add(pluginJar + java.io.File.pathSeparator + pinotClasspath);
            command.add("io.rtdw.testing.pinot.PinotNodeMain");
            command.addAll(List.of("--data-dir", dataDir.toAbsolutePath().toString(),
                    "--zk-port", String.valueOf(zkPort), "--controller-port", String.valueOf(controllerPort),
                    "--broker-port", String.valueOf(brokerPort), "--server-port", String.valueOf(serverPort),
                    "--server-admin-port", String.valueOf(serverAdminPort),
                    "--server-grpc-port", String.valueOf(serverGrpcPort), "--multistage-ports", multistagePorts,
                    "--exit-on-stdin-eof", "true"));
            final Path log = logFile();
            final long began = System.nanoTime();
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            shutdownHook = new Thread(this::kill, "pinot-launcher-kill");
            Runtime.getRuntime().addShutdownHook(shutdownHook);
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

    private void awaitHealthy(final long began) {
        final long deadline = began + config.startTimeout.toNanos();
        final String server = "Server_localhost_" + serverPort;
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Pinot exited with " + process.exitValue() + " during start; see "
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
            sleep(500);
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

    /** A REST client of this Pinot (controller and broker). */
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

    /** Stops Pinot: SIGTERM, then SIGKILL after the stop timeout (Pinot's own shutdown can take >18 s). */
    @Override
    public void close() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(config.stopTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.info("Pinot did not stop within {}; killing it", config.stopTimeout);
                kill();
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            kill();
        }
        if (shutdownHook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (final IllegalStateException e) {
                // already shutting down: the hook runs anyway
            }
        }
        process = null;
    }

    private void kill() {
        final Process p = process;
        if (p != null && p.isAlive()) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static int portOrFree(final int port) {
        if (port > 0) {
            return port;
        }
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (final IOException e) {
            throw new UncheckedIOException("no free port", e);
        }
    }

    private static void sleep(final long ms) {
        try {
            Thread.sleep(ms);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
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

        private static Path pathProperty(final String name) {
            final String value = System.getProperty(name);
            return value == null ? null : Path.of(value);
        }

        /** The file listing Pinot's class path ({@code target/pinot-runtime/pinot-classpath.txt}). */
        public Builder classpathFile(final Path value) {
            this.classpathFile = value;
            return this;
        }

        /** Our plugin jar ({@code target/rtdw-pinot-*-plugin.jar}). */
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

        /** A launcher with these settings (not started). */
        public PinotLauncher build() {
            return new PinotLauncher(this);
        }
    }
}
