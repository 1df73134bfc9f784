package io.rtdw.pinot;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.testing.KafkaClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The local stack's way to run Pinot: the {@code LocalPinot} command as its own process, configured only by
 * environment, creating the table before the topic exists (it retries) and serving queries; SIGTERM stops it
 * and leaves no Pinot JVM behind.
 */
class LocalPinotIT {

    @RegisterExtension
    static final KafkaClusterExtension KAFKA = new KafkaClusterExtension();

    @Test
    void commandStartsPinotWithTheTableAndStopsItCompletely() throws Exception {
        final TopicCatalog catalog = new TopicCatalog("rtdw", "public", "rtdw", 2, (short) 3);
        final Path work = Path.of("target", "it", "local-pinot");
        if (Files.exists(work)) {
            try (var files = Files.walk(work)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        Files.createDirectories(work);
        final int broker = freePort();
        final List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse("java"), "-Xmx128m",
                "-cp", System.getProperty("java.class.path"), LocalPinot.class.getName()));
        final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(work.resolve("local-pinot.out").toFile());
        builder.environment().put("KAFKA_BOOTSTRAP_SERVERS", KAFKA.cluster().bootstrapServers());
        builder.environment().put("RTDW_TOPIC_PARTITIONS", "2");
        builder.environment().put("RTDW_PINOT_DATA_DIR", work.resolve("data").toAbsolutePath().toString());
        builder.environment().put("RTDW_PINOT_CONTROLLER_PORT", String.valueOf(freePort()));
        builder.environment().put("RTDW_PINOT_BROKER_PORT", String.valueOf(broker));
        builder.environment().put("RTDW_PINOT_ZK_PORT", String.valueOf(freePort()));
        builder.environment().put("RTDW_PINOT_SERVER_PORT", String.valueOf(freePort()));
        builder.environment().put("RTDW_PINOT_CLASSPATH_FILE", System.getProperty("rtdw.pinot.classpathFile"));
        builder.environment().put("RTDW_PINOT_PLUGIN_JAR", System.getProperty("rtdw.pinot.pluginJar"));
        final Process localPinot = builder.start();
        try {
            // The topic appears only after Pinot is up: the command must wait for it rather than fail.
            awaitOutput(work.resolve("local-pinot.out"), "table not created yet", localPinot);
            KAFKA.cluster().createTopics(List.of(catalog.unifiedCustomers()));
            awaitOutput(work.resolve("local-pinot.out"), "Pinot is up", localPinot);
            try (UnifiedCustomerScenario scenario = new UnifiedCustomerScenario(KAFKA.cluster().bootstrapServers(),
                    catalog.unifiedCustomers(), "local-pinot-it")) {
                scenario.upsert(List.of(1, 2, 3));
                scenario.delete(List.of(2));
            }
            assertEquals("2", awaitCount(broker, "SELECT COUNT(*) FROM unified_customer WHERE deleted = false", "2"));
            final List<ProcessHandle> pinotJvms = localPinot.descendants().toList();
            assertFalse(pinotJvms.isEmpty(), "Pinot runs in a child JVM of the command");

            localPinot.destroy();
            assertTrue(localPinot.waitFor(60, TimeUnit.SECONDS), "SIGTERM stops the command");
            for (final ProcessHandle jvm : pinotJvms) {
                jvm.onExit().get(30, TimeUnit.SECONDS);
                assertFalse(jvm.isAlive(), "no Pinot JVM left behind");
            }
        } finally {
            localPinot.descendants().forEach(ProcessHandle::destroyForcibly);
            localPinot.destroyForcibly();
        }
    }

    private static String awaitCount(final int brokerPort, final String sql, final String expected) throws Exception {
        final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        String last = null;
        while (System.nanoTime() < deadline) {
            final String body = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + brokerPort + "/query/sql"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"sql\":\"" + sql + "\"}")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            final var rows = new com.fasterxml.jackson.databind.ObjectMapper().readTree(body).path("resultTable").path("rows");
            last = rows.isEmpty() ? body : rows.get(0).get(0).asText();
            if (expected.equals(last)) {
                return last;
            }
            Thread.sleep(500);
        }
        return last;
    }

    private static void awaitOutput(final Path out, final String text, final Process process) throws Exception {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (System.nanoTime() < deadline) {
            if (Files.exists(out) && Files.readString(out).contains(text)) {
                return;
            }
            if (!process.isAlive()) {
                throw new AssertionError("LocalPinot exited with " + process.exitValue() + ":\n" + Files.readString(out));
            }
            Thread.sleep(250);
        }
        throw new AssertionError("LocalPinot never printed '" + text + "'; see " + out);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
