package io.rtdw.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.rtdw.catalog.TopicCatalog;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.DoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The real Prometheus (Debian's binary) started by LocalPrometheus, scraping small exporters whose values this test
 * sets, and the health page opened in headless Chromium (Debian's {@code chromium}): every panel shows the values
 * the exporters serve, and the panels whose series nothing serves here say "no data".
 */
class LocalPrometheusIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final String CUSTOMERS = TopicCatalog.DEFAULT.customers().name();
    private static final String FLIGHTS = TopicCatalog.DEFAULT.flights().name();
    /** Counters that grow with the wall clock, per second: their rate is known. */
    private static final double CUSTOMERS_PER_S = 50;
    private static final double FLIGHTS_PER_S = 20;
    private static final double OUTPUT_PER_S = 30;

    private static final List<HttpServer> EXPORTERS = new ArrayList<>();
    private static final long T0 = System.nanoTime();
    /** When Prometheus first scraped any of the exporters (System.nanoTime), 0 before. */
    private static final AtomicLong FIRST_SCRAPE = new AtomicLong();
    /** rate(...[1m]) divides by the whole minute: it is exact only once a minute of samples is in its window. */
    private static final Duration RATE_WINDOW = Duration.ofSeconds(63);
    private static LocalPrometheus prometheus;
    private static Path dir;

    @BeforeAll
    static void start() throws Exception {
        final Map<String, List<String>> targets = new LinkedHashMap<>();
        targets.put("cdc", List.of(exporter(t -> String.format(
                "rtdw_cdc_changes_total{topic=\"%s\"} %.3f%nrtdw_cdc_changes_total{topic=\"%s\"} %.3f%n"
                        + "rtdw_cdc_dead_letters_total 2%n",
                CUSTOMERS, CUSTOMERS_PER_S * t, FLIGHTS, FLIGHTS_PER_S * t))));
        targets.put("streams", List.of(exporter(t -> String.format(
                "rtdw_streams_source_to_output_lag_ms 1234%nrtdw_streams_source_to_output_lag_max_ms 5678%n"
                        + "rtdw_streams_output_records_total %.3f%nrtdw_streams_dead_letters_total 0%n"
                        + "kafka_consumer_fetch_manager_records_lag_max{client_id=\"a\"} 17%n",
                OUTPUT_PER_S * t))));
        targets.put("lake-sink", List.of(exporter(t -> String.format(
                "rtdw_lake_last_file_source_latency_ms 25000%nrtdw_lake_dead_letters_total 5%n"
                        + "kafka_consumer_fetch_manager_records_lag_max{client_id=\"b\"} 3%n"))));
        targets.put("launcher", List.of(exporter(t -> String.format(
                "rtdw_local_component_up{component=\"cdc\"} 1%nrtdw_local_component_up{component=\"streams\"} 1%n"
                        + "rtdw_local_component_restarts_total{component=\"cdc\"} 0%n"
                        + "rtdw_local_component_restarts_total{component=\"streams\"} 3%n"
                        + "rtdw_local_freshness_ms{sink=\"pinot\"} 4321%nrtdw_local_freshness_ms{sink=\"parquet\"} 8765%n"))));
        targets.put("reconcile", List.of(exporter(t -> String.format(
                "rtdw_reconcile_agree 0%nrtdw_reconcile_differences{copy=\"output\"} 0%n"
                        + "rtdw_reconcile_differences{copy=\"pinot\"} 7%nrtdw_reconcile_differences{copy=\"parquet\"} 2%n"))));
        // A controller's JMX exporter as H1's brokers expose it: without it, KafkaActiveControllerCount (absent())
        // fires after 2 minutes, which a slow run of this test could reach.
        targets.put("kafka", List.of(exporter(t -> String.format(
                "kafka_controller_kafkacontroller_activecontrollercount 1%n"))));
        dir = Path.of(System.getProperty("rtdw.local.itDir", "target/it")).resolve("prometheus-" + System.currentTimeMillis());
        final int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        prometheus = LocalPrometheus.start(dir, port, targets, dir.resolve("logs/prometheus.log"),
                LocalPrometheusTest.REPOSITORY, Duration.ofSeconds(1));
        System.out.printf("prometheus ready %d ms after its start, RSS %.1f MiB, pid %d, %s%n",
                prometheus.readyMillis(), Scrape.rssBytes(prometheus.pid()) / 1048576.0, prometheus.pid(),
                prometheus.pageUrl());
    }

    /** A {@code /metrics} endpoint serving the text for t = seconds since the test started. */
    private static String exporter(final DoubleFunction<String> text) throws IOException {
        final HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/metrics", exchange -> {
            FIRST_SCRAPE.compareAndSet(0, System.nanoTime());
            final byte[] body = text.apply((System.nanoTime() - T0) / 1e9).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        EXPORTERS.add(server);
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterAll
    static void stop() {
        if (prometheus != null) {
            final long pid = prometheus.pid();
            System.out.printf("prometheus RSS %.1f MiB before its stop%n", Scrape.rssBytes(pid) / 1048576.0);
            prometheus.close();
            assertTrue(ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true), "prometheus stopped");
        }
        EXPORTERS.forEach(server -> server.stop(0));
    }

    private static JsonNode api(final String path) throws IOException {
        final String body = Scrape.get(prometheus.url() + path);
        return body == null ? JSON.createObjectNode() : JSON.readTree(body);
    }

    private static int seriesOf(final String promql) throws IOException {
        return api("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8))
                .path("data").path("result").size();
    }

    @Test
    void loadsTheProjectsAlertRules() throws Exception {
        int alerting = 0;
        for (final JsonNode group : api("/api/v1/rules").path("data").path("groups")) {
            for (final JsonNode rule : group.path("rules")) {
                alerting += "alerting".equals(rule.path("type").asText()) ? 1 : 0;
            }
        }
        assertEquals(LocalPrometheusTest.alertRulesInConfigMap(), alerting);
    }

    @Test
    void healthPageShowsWhatTheExportersServe() throws Exception {
        // Samples first: every exporter scraped, every series there, and a minute of them for the rates.
        final long deadline = System.nanoTime() + WAIT.toNanos();
        while (seriesOf("rate(rtdw_cdc_changes_total[1m])") < 2 || seriesOf("rate(rtdw_streams_output_records_total[1m])") < 1
                || seriesOf("{__name__=~\"rtdw_.*\"}") < 19
                || seriesOf("up == 1") < 7
                || FIRST_SCRAPE.get() == 0 || System.nanoTime() - FIRST_SCRAPE.get() < RATE_WINDOW.toNanos()) {
            if (System.nanoTime() > deadline) {
                fail("Prometheus has not scraped every exporter within " + WAIT.toSeconds() + " s");
            }
            Thread.sleep(250);
        }

        final Map<String, Panel> panels = openPage();

        final Set<String> noData = new TreeSet<>();
        panels.forEach((title, panel) -> {
            assertTrue(Set.of("data", "no data").contains(panel.state), title + " is in state " + panel.state);
            if (panel.state.equals("no data")) {
                noData.add(title);
                assertTrue(panel.body.contains(">no data<"), title + " says no data: " + panel.body);
            } else {
                assertTrue(!panel.values.isEmpty(), title + " shows values: " + panel.body);
                assertTrue(panel.body.contains("<polyline"), title + " draws lines: " + panel.body);
            }
        });
        // The k8s dashboard's panels whose series come from exporters the local stack has not got here.
        assertEquals(new TreeSet<>(Set.of("Consumer lag (records)", "PostgreSQL replication slot lag (bytes)",
                "Kafka replication health", "Streams state and restoration")), noData);

        assertEquals(Map.of("cdc", "1", "streams", "1"),
                values(panels, "Components up (1) or down (0), as the launcher's supervisor sees them"));
        assertEquals(Map.of("cdc", "0", "streams", "3"), values(panels, "Component restarts by the supervisor"));
        assertEquals(Map.of("pinot", "4321 ms", "parquet", "8765 ms"),
                values(panels, "Freshness: source commit to Pinot and to Parquet, measured by the launcher (ms)"));
        assertEquals(Map.of("streams", "17", "lake-sink", "3"),
                values(panels, "Lag: records behind on the largest partition, per consumer"));
        assertEquals(Map.of("cdc", "2", "streams", "0", "lake-sink", "5"),
                values(panels, "Dead letters written since start, per service"));
        assertEquals(Map.of("agree", "0"),
                values(panels, "Reconcile verdict: every copy agrees with the sources (1) or not (0)"));
        assertEquals(Map.of("output", "0", "pinot", "7", "parquet", "2"),
                values(panels, "Reconcile: customers that differ from the sources, per copy"));
        assertEquals(Map.of("firing", "0"), values(panels, "Alerts firing (details on Prometheus' Alerts page)"));
        assertEquals(Map.of("prometheus", "1", "cdc", "1", "streams", "1", "lake-sink", "1", "launcher", "1",
                "reconcile", "1", "kafka", "1"), values(panels, "Scrape targets up (1) or down (0)"));
        final Map<String, String> captured = values(panels, "Throughput: source changes captured (records/s)");
        assertEquals(Set.of(CUSTOMERS, FLIGHTS), captured.keySet());
        assertRate(CUSTOMERS_PER_S, captured.get(CUSTOMERS));
        assertRate(FLIGHTS_PER_S, captured.get(FLIGHTS));

        // The k8s dashboard's panels, fed by the services' own metrics.
        assertEquals(Map.of("last record", "1234 ms", "max since start", "5678 ms"),
                values(panels, "Freshness: source commit to output (ms)"));
        assertEquals(Map.of("Parquet (last file)", "25 s"),
                values(panels, "Freshness: source commit to Pinot and to Parquet (ms)"));
        final Map<String, String> throughput = values(panels, "Throughput: CDC topics in, unified records out (records/s)");
        assertEquals(Set.of("app wrote"), throughput.keySet());
        assertRate(OUTPUT_PER_S, throughput.get("app wrote"));
        assertEquals(Map.of("streams app", "0"), values(panels, "Dead letters"));
    }

    @Test
    void aTakenPortFailsTheStartAndNamesTheLog() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            final Path log = dir.resolve("taken/prometheus.log");
            final IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> LocalPrometheus.start(dir.resolve("taken"), taken.getLocalPort(), Map.of(), log,
                            LocalPrometheusTest.REPOSITORY, Duration.ofSeconds(1)));
            assertTrue(e.getMessage().contains(log.toString()), e.getMessage());
            assertTrue(Files.readString(log).contains("address already in use"), Files.readString(log));
        }
    }

    @Test
    void samplesOfAPreviousRunSurviveARestartOnTheSameDataDirectory() throws Exception {
        final Path keep = dir.resolve("keep");
        final Map<String, List<String>> targets = Map.of("launcher", List.of(exporter(t -> "rtdw_kept 42\n")));
        final double firstSample;
        try (LocalPrometheus first = start(keep, targets)) {
            firstSample = awaitSample(first, "rtdw_kept");
        }
        try (LocalPrometheus second = start(keep, Map.of())) {
            // No target now: a value at the first run's sample time can only come from the kept TSDB.
            final JsonNode result = JSON.readTree(Scrape.get(second.url() + "/api/v1/query?query=rtdw_kept&time="
                    + firstSample)).path("data").path("result");
            assertEquals(1, result.size(), result.toString());
            assertEquals("42", result.get(0).path("value").get(1).asText());
        }
    }

    private static LocalPrometheus start(final Path dataDir, final Map<String, List<String>> targets) throws Exception {
        final int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        return LocalPrometheus.start(dataDir, port, targets, dataDir.resolve("prometheus.log"),
                LocalPrometheusTest.REPOSITORY, Duration.ofSeconds(1));
    }

    /** Waits until {@code metric} has a sample; the sample's time in seconds. */
    private static double awaitSample(final LocalPrometheus p, final String metric) throws Exception {
        final long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            final String body = Scrape.get(p.url() + "/api/v1/query?query=timestamp(" + metric + ")");
            final JsonNode result = body == null ? JSON.createArrayNode() : JSON.readTree(body).path("data").path("result");
            if (result.size() > 0) {
                return result.get(0).path("value").get(1).asDouble();
            }
            Thread.sleep(200);
        }
        return fail("no sample of " + metric + " within " + WAIT.toSeconds() + " s");
    }

    @Test
    void pageLinksToPrometheusOwnPagesThatExist() throws Exception {
        final String page = Files.readString(prometheus.directory().resolve("consoles/rtdw.html"));
        final Matcher link = Pattern.compile("href=\"\\.\\./([^\"]+)\"").matcher(page);
        int links = 0;
        while (link.find()) {
            links++;
            assertTrue(Scrape.get(prometheus.url() + "/" + link.group(1)) != null, link.group(1) + " answers 200");
        }
        assertEquals(3, links, "alerts, targets, graph");
    }

    private static void assertRate(final double expected, final String shown) {
        assertTrue(shown != null && shown.endsWith("/s"), "a rate: " + shown);
        final double value = Double.parseDouble(shown.substring(0, shown.length() - 2));
        assertTrue(Math.abs(value - expected) <= expected * 0.1, "about " + expected + "/s: " + shown);
    }

    private static Map<String, String> values(final Map<String, Panel> panels, final String title) {
        final Panel panel = panels.get(title);
        assertTrue(panel != null, "a panel titled " + title + " among " + panels.keySet());
        return panel.values;
    }

    /** A panel as the browser rendered it: its state, legend names and latest values, and its HTML. */
    private record Panel(String state, Map<String, String> values, String body) {
    }

    private static final Pattern PANEL = Pattern.compile(
            "<section class=\"panel\" data-title=\"([^\"]*)\" data-state=\"([^\"]*)\">(.*?)</section>", Pattern.DOTALL);
    private static final Pattern ROW = Pattern.compile("<td class=\"name\">([^<]*)</td><td class=\"value\">([^<]*)</td>");

    /** Opens the page in headless Chromium until it reports itself rendered; every panel by title. */
    private static Map<String, Panel> openPage() throws Exception {
        final Path chromium = LocalPrometheus.binary("chromium");
        final long deadline = System.nanoTime() + WAIT.toNanos();
        String dom = "";
        int attempt = 0;
        while (!dom.contains("<body data-state=\"ready\">")) {
            if (System.nanoTime() > deadline) {
                fail("the page did not render within " + WAIT.toSeconds() + " s; last DOM:\n" + dom);
            }
            attempt++;
            dom = chromium(chromium, "page-" + attempt, "--virtual-time-budget=10000", "--dump-dom");
        }
        chromium(chromium, "shot", "--virtual-time-budget=10000", "--window-size=1240,2100",
                "--screenshot=" + Path.of("target/health-page.png").toAbsolutePath());
        final Map<String, Panel> panels = new TreeMap<>();
        final Matcher panel = PANEL.matcher(dom);
        while (panel.find()) {
            final Map<String, String> values = new TreeMap<>();
            final Matcher row = ROW.matcher(panel.group(3));
            while (row.find()) {
                values.put(unescape(row.group(1)), unescape(row.group(2)));
            }
            panels.put(unescape(panel.group(1)), new Panel(panel.group(2), values, panel.group(3)));
        }
        final int expected = pagePanels();
        assertEquals(expected, panels.size(), "every panel of the page rendered:\n" + dom);
        return panels;
    }

    /** The number of panels the generated page defines (each section's panels, counted on its JSON). */
    private static int pagePanels() throws Exception {
        int count = 0;
        for (final JsonNode section : LocalPrometheusTest.sections(
                Files.readString(prometheus.directory().resolve("consoles/rtdw.html")))) {
            count += section.path("panels").size();
        }
        return count;
    }

    private static String chromium(final Path chromium, final String profile, final String... args) throws Exception {
        final List<String> command = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox",
                "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--user-data-dir=" + dir.resolve("chromium-" + profile).toAbsolutePath()));
        command.addAll(List.of(args));
        command.add(prometheus.pageUrl());
        final Path out = dir.resolve("chromium-" + profile + ".out");
        final Path err = dir.resolve("chromium-" + profile + ".err");
        final Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                .start();
        if (!process.waitFor(90, TimeUnit.SECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            fail("chromium did not finish in 90 s: " + command);
        }
        assertEquals(0, process.exitValue(), "chromium " + command + ": " + Files.readString(err));
        return Files.readString(out);
    }

    private static String unescape(final String html) {
        return html.replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">")
                .replace("&amp;", "&");
    }
}
