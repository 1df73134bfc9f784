package io.rtdw.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.rtdw.testing.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An alert reaches its receiver: Debian's Prometheus (2.42) evaluates the built overlay's rules over a pod that
 * reports a stopped capture, sends the alert to Debian's Alertmanager (0.25) running the built overlay's
 * configuration, whose receiver reads its URL from the file where the Deployment mounts the Secret's key; here that
 * URL is a local HTTP server standing in for Slack, which must receive the message with the alert's summary and
 * runbook link. What is not the deployed setup: Prometheus' scrape job is a static target (no Kubernetes here) and
 * evaluates every second instead of every 15 s; Alertmanager's route, timing (30 s group wait) and receiver are as
 * deployed.
 */
class AlertDeliveryIT {

    private static final long DEADLINE_SECONDS = 150;

    @TempDir
    Path dir;

    @Test
    void aFiringAlertIsPostedToTheReceiverWithItsSummaryAndRunbook() throws Exception {
        final Path prometheusBinary = MonitoringTools.prometheus();
        final Path alertmanagerBinary = MonitoringTools.alertmanager();
        final String overlay = "prod";

        // The pod's /metrics: the PostgreSQL capture stopped on a TRUNCATE (CdcStoppedOnSourceChange fires at once).
        final HttpServer pod = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        pod.createContext("/metrics", exchange -> {
            final byte[] body = ("rtdw_cdc_halts_total{table=\"public.flight\",reason=\"truncate\"} 1\n"
                    + "rtdw_cdc_engines_streaming 1\n").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        // The receiver's endpoint.
        final List<String> received = new CopyOnWriteArrayList<>();
        final HttpServer slack = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        slack.createContext("/hook", exchange -> {
            received.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(200, 2);
            exchange.getResponseBody().write("ok".getBytes(StandardCharsets.UTF_8));
            exchange.close();
        });
        pod.start();
        slack.start();
        Process alertmanager = null;
        Process prometheus = null;
        try {
            // Alertmanager as deployed, the Secret's mount directory moved under the test directory.
            final Path secrets = Files.createDirectories(dir.resolve("secrets"));
            Files.writeString(secrets.resolve("slack-webhook-url"),
                    "http://127.0.0.1:" + slack.getAddress().getPort() + "/hook");
            final String amConfig = MonitoringTools.configMapKey(overlay, "alertmanager-config", "alertmanager.yml");
            assertTrue(amConfig.contains("/etc/alertmanager/secrets/"), "the receiver reads the mounted Secret");
            Files.writeString(dir.resolve("alertmanager.yml"), amConfig.replace("/etc/alertmanager/secrets/", secrets + "/"));
            final int amPort = ChildJvm.freePort();
            alertmanager = start(dir.resolve("alertmanager.log"), alertmanagerBinary.toString(),
                    "--config.file=" + dir.resolve("alertmanager.yml"), "--storage.path=" + dir.resolve("am-data"),
                    "--web.listen-address=127.0.0.1:" + amPort, "--cluster.listen-address=");

            Files.writeString(dir.resolve("rules.yml"), MonitoringTools.configMapKey(overlay, "prometheus-config", "rules.yml"));
            Files.writeString(dir.resolve("prometheus.yml"), String.join("\n",
                    "global: {scrape_interval: 1s, evaluation_interval: 1s}",
                    "rule_files: [" + dir.resolve("rules.yml") + "]",
                    "alerting:",
                    "  alertmanagers:",
                    "    - static_configs: [{targets: ['127.0.0.1:" + amPort + "']}]",
                    "scrape_configs:",
                    "  - job_name: rtdw-pods",
                    "    static_configs:",
                    "      - targets: ['127.0.0.1:" + pod.getAddress().getPort() + "']",
                    "        labels: {app: cdc-postgres, pod: cdc-postgres-0}",
                    ""));
            prometheus = start(dir.resolve("prometheus.log"), prometheusBinary.toString(),
                    "--config.file=" + dir.resolve("prometheus.yml"), "--storage.tsdb.path=" + dir.resolve("tsdb"),
                    "--web.listen-address=127.0.0.1:" + ChildJvm.freePort());

            final long began = System.nanoTime();
            final long deadline = began + TimeUnit.SECONDS.toNanos(DEADLINE_SECONDS);
            while (received.stream().noneMatch(b -> b.contains("CdcStoppedOnSourceChange")) && System.nanoTime() < deadline) {
                assertTrue(alertmanager.isAlive(), "Alertmanager exited:\n" + Files.readString(dir.resolve("alertmanager.log")));
                assertTrue(prometheus.isAlive(), "Prometheus exited:\n" + Files.readString(dir.resolve("prometheus.log")));
                Thread.sleep(250);
            }
            final String body = received.stream().filter(b -> b.contains("CdcStoppedOnSourceChange")).findFirst()
                    .orElseThrow(() -> new AssertionError("no notification in " + DEADLINE_SECONDS + " s; received "
                            + received + "\nAlertmanager:\n" + read(dir.resolve("alertmanager.log"))));
            System.out.printf("notification after %d s: %s%n", TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - began), body);

            final JsonNode attachment = MonitoringTools.YAML.readTree(body).get("attachments").get(0);
            assertEquals("[FIRING] CdcStoppedOnSourceChange (critical)", attachment.get("title").asText());
            final JsonNode rule = MonitoringTools.alertRules(overlay).stream()
                    .filter(r -> r.get("alert").asText().equals("CdcStoppedOnSourceChange")).findFirst().orElseThrow();
            final String text = attachment.get("text").asText();
            assertTrue(text.contains(rule.get("annotations").get("summary").asText()), text);
            assertTrue(text.contains("Runbook: k8s/RUNBOOK.md#alert-cdcstoppedonsourcechange"), text);
            assertTrue(received.stream().noneMatch(b -> b.contains("CdcNotStreaming") || b.contains("CdcNotRunning")),
                    "alerts whose condition does not hold were sent: " + received);
        } finally {
            stop(prometheus);
            stop(alertmanager);
            pod.stop(0);
            slack.stop(0);
        }
    }

    private static Process start(final Path log, final String... command) throws IOException {
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static void stop(final Process process) throws InterruptedException {
        if (process != null) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static String read(final Path file) {
        try {
            return Files.readString(file);
        } catch (final IOException e) {
            return "(" + e.getMessage() + ")";
        }
    }
}
