package io.rtdw.k8s;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.rtdw.streams.config.StreamsSettings;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ksqlDB in the production overlay runs headless ({@code ksql.queries.file}), where ksqlDB 0.29 starts no HTTP
 * server: no probe may call HTTP, and the exec probes must read what the logging configuration writes. The probe
 * script itself is run here with bash against the real queries file (the statements joined as the init container
 * joins them) and log lines in Kafka Streams' format, so its counting is tested, not only its wiring. Also: the
 * arrays' cap in the statements is the streams app's, and COLLECT_LIST keeps more than the cap.
 */
class KsqlDbProbeTest {

    private static final String PROD = "prod";
    private static final Path REPOSITORY = Overlays.moduleDir().getParent();
    private static final Pattern PERSISTENT = Pattern.compile(
            "CREATE (TABLE|STREAM) IF NOT EXISTS (\\w+)\\s+WITH \\([^)]*\\)\\s+AS\\s+SELECT", Pattern.CASE_INSENSITIVE);

    private static StatefulSet ksql;
    private static Container server;
    private static Map<String, String> probeFiles;

    @BeforeAll
    static void build() {
        ksql = Overlays.get(PROD, StatefulSet.class, "ksqldb");
        server = ksql.getSpec().getTemplate().getSpec().getContainers().get(0);
        final String configMap = volume("probe").getConfigMap().getName();
        probeFiles = Overlays.get(PROD, ConfigMap.class, configMap).getData();
    }

    @Test
    void headlessModeHasNoHttpProbeAndNoPort() {
        assertEquals("/queries/queries.sql", Resources.envValue(server, "KSQL_KSQL_QUERIES_FILE"), "headless mode");
        for (final Probe probe : new Probe[] {server.getStartupProbe(), server.getReadinessProbe(), server.getLivenessProbe()}) {
            assertNotNull(probe, "startup, readiness and liveness probes");
            assertNull(probe.getHttpGet(), "headless ksqlDB serves no HTTP: " + probe);
            assertNull(probe.getTcpSocket(), "headless ksqlDB listens on no port: " + probe);
            assertNotNull(probe.getExec(), "an exec probe: " + probe);
        }
        assertTrue(server.getPorts() == null || server.getPorts().isEmpty(), "no container port: nothing listens");
        assertTrue(Resources.env(server, "KSQL_LISTENERS").isEmpty(), "no listener in headless mode");
        final Service service = Overlays.get(PROD, Service.class, "ksqldb");
        assertTrue(service.getSpec().getPorts() == null || service.getSpec().getPorts().isEmpty(), "no Service port");
    }

    @Test
    void probesRunTheScriptOverTheFilesTheLoggingWrites() throws IOException {
        final String scriptPath = mountPath("probe") + "/probe.sh";
        assertEquals(List.of("bash", scriptPath, "live"), server.getStartupProbe().getExec().getCommand());
        assertEquals(List.of("bash", scriptPath, "ready"), server.getReadinessProbe().getExec().getCommand());
        assertEquals(List.of("bash", scriptPath, "live"), server.getLivenessProbe().getExec().getCommand());

        assertEquals("-Dlog4j.configuration=file:" + mountPath("probe") + "/log4j.properties",
                Resources.envValue(server, "KSQL_LOG4J_OPTS"));
        final Properties log4j = new Properties();
        log4j.load(new StringReader(probeFiles.get("log4j.properties")));
        final String dir = mountPath("probe-files");
        assertTrue(volume("probe-files").getEmptyDir() != null, "the probe files are on an emptyDir");
        assertEquals(dir + "/streams-state.log", log4j.getProperty("log4j.appender.probeState.File"));
        assertEquals("false", log4j.getProperty("log4j.appender.probeState.Append"), "truncated when the JVM starts");
        assertEquals("INFO, probeState", log4j.getProperty("log4j.logger.org.apache.kafka.streams.KafkaStreams"));
        assertEquals(dir + "/stream-threads.log", log4j.getProperty("log4j.appender.probeThreads.File"));
        assertEquals("false", log4j.getProperty("log4j.appender.probeThreads.Append"), "empty when the JVM starts");
        assertEquals("INFO, probeThreads",
                log4j.getProperty("log4j.logger.org.apache.kafka.streams.processor.internals.StreamThread"));
        assertTrue(probeFiles.get("probe.sh").contains("dir=${RTDW_KSQLDB_PROBE_DIR:-" + dir + "}"));
        assertTrue(probeFiles.get("probe.sh").contains("queries=${RTDW_KSQLDB_QUERIES_FILE:-"
                + Resources.envValue(server, "KSQL_KSQL_QUERIES_FILE") + "}"));
        assertTrue(Resources.envValue(server, "KSQL_OPTS").contains("-XX:+ExitOnOutOfMemoryError"));
    }

    @Test
    void readyOnlyWhenEveryPersistentQueryReachedRunning(@TempDir final Path tmp) throws Exception {
        final Path queries = joinedStatements(tmp);
        final List<String> appIds = applicationIds(Files.readString(queries));
        assertTrue(appIds.size() >= 7, "persistent queries: " + appIds);

        final Path state = tmp.resolve("streams-state.log");
        final List<String> lines = new ArrayList<>();
        for (final String appId : appIds) {
            lines.add(stateLine(appId, "CREATED", "REBALANCING"));
        }
        Files.write(state, lines);
        assertEquals(1, probe(tmp, queries, "ready"), "nothing RUNNING yet");

        // All but the last reach RUNNING, the first one twice (after a rebalance): still not ready.
        for (final String appId : appIds.subList(0, appIds.size() - 1)) {
            lines.add(stateLine(appId, "REBALANCING", "RUNNING"));
        }
        lines.add(stateLine(appIds.get(0), "RUNNING", "REBALANCING"));
        lines.add(stateLine(appIds.get(0), "REBALANCING", "RUNNING"));
        Files.write(state, lines);
        assertEquals(1, probe(tmp, queries, "ready"), "one query still restoring");

        lines.add(stateLine(appIds.get(appIds.size() - 1), "REBALANCING", "RUNNING"));
        Files.write(state, lines);
        assertEquals(0, probe(tmp, queries, "ready"), "every query RUNNING");

        Files.delete(state);
        assertEquals(1, probe(tmp, queries, "ready"), "no state file: the JVM has not configured its logging yet");
    }

    @Test
    void aliveOnlyWhileStreamThreadsWrite(@TempDir final Path tmp) throws Exception {
        final Path queries = joinedStatements(tmp);
        final Path threads = tmp.resolve("stream-threads.log");
        assertEquals(1, probe(tmp, queries, "live"), "no file yet");
        Files.writeString(threads, "");
        assertEquals(1, probe(tmp, queries, "live"), "created empty by log4j at JVM start: no thread ran yet");
        Files.writeString(threads, "[2026-12-02 08:00:00,000] INFO stream-thread [x-StreamThread-1] Processed 12 total "
                + "records, ran 0 punctuators, and committed 3 total tasks since the last update\n");
        assertEquals(0, probe(tmp, queries, "live"), "a thread wrote just now");
        Files.setLastModifiedTime(threads, FileTime.from(Instant.now().minusSeconds(11 * 60)));
        assertEquals(1, probe(tmp, queries, "live"), "no thread wrote for 11 minutes");
    }

    /** The arrays' cap in the statements is the streams app's RTDW_MAX_CHILDREN; COLLECT_LIST keeps more. */
    @Test
    void theCapIsTheStreamsAppsAndTheCollectedListsAreLonger() throws IOException {
        final StatefulSet app = Overlays.get(PROD, StatefulSet.class, "streams-app");
        final String cap = Resources.env(app.getSpec().getTemplate().getSpec().getContainers().get(0),
                StreamsSettings.MAX_CHILDREN.name()).map(e -> e.getValue()).orElse(StreamsSettings.MAX_CHILDREN.defaultValue());
        final String joined = Files.readString(REPOSITORY.resolve("ksql/statements/040_unified_joined.sql"));
        final Matcher slice = Pattern.compile("LEAST\\((\\d+), ARRAY_LENGTH\\([fv]\\.`(flights|vehicles)`\\)\\)").matcher(joined);
        int arrays = 0;
        while (slice.find()) {
            assertEquals(cap, slice.group(1), "the cap of " + slice.group(2));
            arrays++;
        }
        assertEquals(2, arrays, "040 caps flights and vehicles");
        final int collected = Integer.parseInt(Resources.envValue(server, "KSQL_KSQL_FUNCTIONS_COLLECT__LIST_LIMIT"));
        assertTrue(collected >= 10 * Integer.parseInt(cap), "COLLECT_LIST keeps " + collected
                + " children, not well above the cap " + cap + ": dropped children would not come back");
    }

    /** What the init container does: the statement files in name order, joined. */
    private static Path joinedStatements(final Path tmp) throws IOException {
        final StringBuilder joined = new StringBuilder();
        try (Stream<Path> files = Files.list(REPOSITORY.resolve("ksql/statements"))) {
            for (final Path f : files.filter(p -> p.toString().endsWith(".sql")).sorted().toList()) {
                joined.append(Files.readString(f));
            }
        }
        final Path queries = tmp.resolve("queries.sql");
        Files.writeString(queries, joined);
        return queries;
    }

    /**
     * The Kafka Streams application id of each persistent query, as ksqlDB 0.29 names them
     * ({@code QueryApplicationId}: {@code _confluent-ksql-<service id>query_<query id>}; query ids
     * {@code CTAS_<NAME>_<n>} / {@code CSAS_<NAME>_<n>}, the name upper-cased as ksqlDB does for unquoted names).
     */
    private static List<String> applicationIds(final String queries) {
        final List<String> ids = new ArrayList<>();
        final Matcher m = PERSISTENT.matcher(queries);
        int n = 1;
        while (m.find()) {
            final String kind = m.group(1).equalsIgnoreCase("TABLE") ? "CTAS" : "CSAS";
            ids.add("_confluent-ksql-" + Resources.envValue(server, "KSQL_KSQL_SERVICE_ID") + "query_" + kind + "_"
                    + m.group(2).toUpperCase(Locale.ROOT) + "_" + n++);
        }
        return ids;
    }

    /** A line as log4j.properties' layout writes Kafka Streams' state transition (KafkaStreams' log prefix). */
    private static String stateLine(final String appId, final String from, final String to) {
        return "[2026-12-02 08:00:00,000] INFO stream-client [" + appId + "-3f2a9c1e-8d7b-4e5f-a1b2-c3d4e5f60718] "
                + "State transition from " + from + " to " + to;
    }

    private static int probe(final Path dir, final Path queries, final String what) throws Exception {
        final Path script = dir.resolve("probe.sh");
        Files.writeString(script, probeFiles.get("probe.sh"));
        final ProcessBuilder pb = new ProcessBuilder("bash", script.toString(), what).redirectErrorStream(true);
        pb.environment().put("RTDW_KSQLDB_PROBE_DIR", dir.toString());
        pb.environment().put("RTDW_KSQLDB_QUERIES_FILE", queries.toString());
        final Process p = pb.start();
        final String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "probe.sh " + what + " did not finish");
        System.out.println("probe.sh " + what + " -> " + p.exitValue() + " " + output.strip());
        return p.exitValue();
    }

    private static Volume volume(final String name) {
        return ksql.getSpec().getTemplate().getSpec().getVolumes().stream().filter(v -> v.getName().equals(name))
                .findFirst().orElseThrow(() -> new AssertionError("no volume " + name));
    }

    private static String mountPath(final String volume) {
        return server.getVolumeMounts().stream().filter(m -> m.getName().equals(volume)).map(VolumeMount::getMountPath)
                .findFirst().orElseThrow(() -> new AssertionError("volume " + volume + " is not mounted"));
    }
}
