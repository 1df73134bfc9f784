package io.rtdw.local;

import io.rtdw.testing.ChildJvm;
import io.rtdw.testing.KafkaTestCluster;
import org.apache.kafka.common.Uuid;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Kafka as a small deployment runs it: one KRaft controller and three brokers, each a {@code kafka.Kafka} process of
 * its own (the {@code kafka_2.13} jars on the launcher's class path), on fixed ports, with their logs under
 * {@code <data-dir>/kafka/<node>} so that a second start on the same directory carries on where the first stopped.
 * Broker settings: {@link KafkaTestCluster#DURABLE_BROKER_CONFIG} (RF 3, min ISR 2, no auto-creation), the same as
 * the test cluster's.
 *
 * <p>Node ids: brokers 1, 2, 3 ({@code kafka-1..3}), the controller 100 ({@code kafka-controller}).
 */
final class KafkaNodes {

    static final int BROKERS = 3;
    static final int CONTROLLER_ID = 100;

    /** One node: its name (the supervisor's component), id, client or controller port, metrics port (or -1). */
    record Node(String name, int id, boolean controller, int port, int metricsPort) {
    }

    private final Path dir;
    private final List<Node> nodes;
    private final int controllerPort;

    /**
     * @param brokerPort     first broker's port; the others take the next ones
     * @param metricsPort    first JMX exporter port (brokers, then the controller); -1 = no exporter
     */
    KafkaNodes(final Path dir, final int controllerPort, final int brokerPort, final int metricsPort) {
        this.dir = dir;
        this.controllerPort = controllerPort;
        final List<Node> all = new ArrayList<>();
        all.add(new Node("kafka-controller", CONTROLLER_ID, true, controllerPort,
                metricsPort < 0 ? -1 : metricsPort + BROKERS));
        for (int i = 0; i < BROKERS; i++) {
            all.add(new Node("kafka-" + (i + 1), i + 1, false, brokerPort + i, metricsPort < 0 ? -1 : metricsPort + i));
        }
        this.nodes = List.copyOf(all);
    }

    List<Node> nodes() {
        return nodes;
    }

    String bootstrapServers() {
        return nodes.stream().filter(n -> !n.controller()).map(n -> "localhost:" + n.port())
                .collect(Collectors.joining(","));
    }

    /** The server.properties of a node. */
    Map<String, String> config(final Node node) {
        final Map<String, String> c = new LinkedHashMap<>();
        c.put("node.id", String.valueOf(node.id()));
        c.put("process.roles", node.controller() ? "controller" : "broker");
        c.put("controller.quorum.voters", CONTROLLER_ID + "@localhost:" + controllerPort);
        c.put("controller.listener.names", "CONTROLLER");
        c.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        if (node.controller()) {
            c.put("listeners", "CONTROLLER://localhost:" + node.port());
        } else {
            c.put("listeners", "PLAINTEXT://localhost:" + node.port());
            c.put("advertised.listeners", "PLAINTEXT://localhost:" + node.port());
            c.put("inter.broker.listener.name", "PLAINTEXT");
            c.putAll(KafkaTestCluster.DURABLE_BROKER_CONFIG);
            // A transaction coordinator that lost a broker keeps going on the other two.
            c.put("transaction.state.log.min.isr", "2");
        }
        c.put("log.dirs", logDir(node).toString());
        c.put("num.partitions", "1");
        // The local stack's disk is the user's: a day of changes, not a week.
        c.put("log.retention.hours", "24");
        c.put("log.segment.bytes", String.valueOf(64 * 1024 * 1024));
        return c;
    }

    Path logDir(final Node node) {
        return dir.resolve(node.name());
    }

    Path propertiesFile(final Node node) {
        return dir.resolve(node.name() + ".properties");
    }

    /**
     * Writes every node's properties and formats the log directories that are not formatted yet (a new data
     * directory), all with one cluster id kept in {@code <dir>/cluster.id}.
     *
     * @return true if anything was formatted (a first start), false if every node already had its data (a resume)
     */
    boolean prepare() {
        try {
            Files.createDirectories(dir);
            final Path idFile = dir.resolve("cluster.id");
            if (!Files.isRegularFile(idFile)) {
                Files.writeString(idFile, Uuid.randomUuid().toString());
            }
            final String clusterId = Files.readString(idFile).trim();
            boolean formatted = false;
            for (final Node node : nodes) {
                final StringBuilder text = new StringBuilder("# written by io.rtdw.local.KafkaNodes at each start\n");
                config(node).forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
                Files.writeString(propertiesFile(node), text);
                if (!Files.isRegularFile(logDir(node).resolve("meta.properties"))) {
                    format(node, clusterId);
                    formatted = true;
                }
            }
            return formatted;
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot prepare Kafka's directory " + dir, e);
        }
    }

    private void format(final Node node, final String clusterId) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final int code;
        try (PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8)) {
            code = kafka.tools.StorageTool.execute(new String[] {"format", "-t", clusterId, "-c",
                    propertiesFile(node).toString()}, print);
        } catch (final RuntimeException e) {
            throw new IllegalStateException("formatting " + logDir(node) + " failed: " + e.getMessage(), e);
        }
        if (code != 0) {
            throw new IllegalStateException("formatting " + logDir(node) + " failed (" + code + "): "
                    + out.toString(StandardCharsets.UTF_8));
        }
    }

    /**
     * Starts one node as a child JVM ({@code kafka.Kafka <node>.properties}); with {@code jmxAgent} and a metrics port,
     * Prometheus' JMX exporter serves the node's MBeans on {@code 127.0.0.1:<metricsPort>/metrics}.
     */
    ChildJvm start(final Node node, final String classpath, final Path jmxAgent, final Path jmxConfig,
                   final Path log, final Path workDir, final Map<String, String> env) {
        final List<String> jvm = new ArrayList<>(List.of("-Xmx" + (node.controller() ? 256 : 320) + "m", "-Xss512k",
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:MaxMetaspaceSize=160m",
                "-Dlog4j2.configurationFile=log4j2-local-child.xml"));
        if (jmxAgent != null && node.metricsPort() > 0) {
            jvm.add("-javaagent:" + jmxAgent.toAbsolutePath() + "=127.0.0.1:" + node.metricsPort() + ":"
                    + jmxConfig.toAbsolutePath());
        }
        return ChildJvm.java(node.name(), "kafka.Kafka").classpath(classpath).jvmArgs(jvm)
                .args(propertiesFile(node).toString()).onlyGivenEnv().env(env).log(log).workDir(workDir)
                .ownSession().start();
    }
}
