package io.rtdw.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The files LocalPrometheus generates, checked without starting Prometheus ({@code promtool} is Debian's). */
class LocalPrometheusTest {

    static final Path REPOSITORY = LocalPrometheus.repositoryRoot(Path.of(""));

    static Map<String, List<String>> targets() {
        final Map<String, List<String>> targets = new LinkedHashMap<>();
        targets.put("cdc", List.of("127.0.0.1:8081"));
        targets.put("streams", List.of("127.0.0.1:8082"));
        targets.put("lake-sink", List.of("127.0.0.1:8083"));
        targets.put("launcher", List.of("127.0.0.1:8084"));
        targets.put("reconcile", List.of("127.0.0.1:8085"));
        targets.put("kafka", List.of("127.0.0.1:9404", "127.0.0.1:9405", "127.0.0.1:9406"));
        return targets;
    }

    /** The alert rules of the ConfigMap, counted on its text (not through the class under test). */
    static int alertRulesInConfigMap() throws Exception {
        return (int) Files.readAllLines(REPOSITORY.resolve("k8s/base/monitoring/prometheus-config.yaml")).stream()
                .filter(line -> line.matches("\\s+- alert: \\w+\\s*")).count();
    }

    /** The panels a generated page defines: the JSON its script starts with. */
    static JsonNode sections(final String page) throws Exception {
        final String start = "var SECTIONS = ";
        final int from = page.indexOf(start) + start.length();
        return new ObjectMapper().readTree(page.substring(from, page.indexOf(";\n", from)));
    }

    @Test
    void generatedConfigurationPassesPromtoolWithTheProjectsAlertRules(@TempDir final Path dir) throws Exception {
        final Path config = LocalPrometheus.writeFiles(dir, 9090, targets(), REPOSITORY, Duration.ofSeconds(5));
        final Process promtool = new ProcessBuilder(LocalPrometheus.binary("promtool").toString(), "check", "config",
                config.toString()).redirectErrorStream(true).start();
        final String output = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(promtool.waitFor(60, TimeUnit.SECONDS), "promtool finished");
        assertEquals(0, promtool.exitValue(), output);
        final int rules = alertRulesInConfigMap();
        assertTrue(rules > 20, "the ConfigMap's alert rules were counted: " + rules);
        assertTrue(output.contains("SUCCESS: " + rules + " rules found"), output);
    }

    @Test
    void everyTargetIsScrapedUnderItsJobWithTheK8sAppLabel(@TempDir final Path dir) throws Exception {
        final Path config = LocalPrometheus.writeFiles(dir, 9191, targets(), REPOSITORY, Duration.ofSeconds(2));
        final JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(config.toFile());
        assertEquals("2000ms", root.path("global").path("scrape_interval").asText());
        assertEquals(dir.resolve("rules.yml").toAbsolutePath().toString(), root.path("rule_files").get(0).asText());
        final Map<String, List<String>> jobs = new LinkedHashMap<>();
        final Map<String, String> apps = new LinkedHashMap<>();
        for (final JsonNode job : root.path("scrape_configs")) {
            final List<String> hostPorts = new ArrayList<>();
            for (final JsonNode group : job.path("static_configs")) {
                group.path("targets").forEach(t -> hostPorts.add(t.asText()));
                apps.put(job.path("job_name").asText(), group.path("labels").path("app").asText());
            }
            jobs.put(job.path("job_name").asText(), hostPorts);
        }
        final Map<String, List<String>> expected = new LinkedHashMap<>();
        expected.put("prometheus", List.of("127.0.0.1:9191"));
        expected.putAll(targets());
        assertEquals(expected, jobs);
        // The rules CdcNotRunning and CdcNotStreaming select the capture by the k8s pods' app label.
        assertEquals("cdc-postgres", apps.get("cdc"));
        assertEquals("streams-app", apps.get("streams"));
        assertEquals("kafka", apps.get("kafka"));
    }

    @Test
    void pageCarriesEveryDashboardQueryAndNothingGoExpands(@TempDir final Path dir) throws Exception {
        LocalPrometheus.writeFiles(dir, 9090, targets(), REPOSITORY, Duration.ofSeconds(5));
        final String page = Files.readString(dir.resolve("consoles/rtdw.html"));
        assertFalse(page.contains("{{"), "Prometheus expands console pages as Go templates");
        final JsonNode sections = sections(page);
        final List<String> onPage = new ArrayList<>();
        sections.forEach(s -> s.path("panels").forEach(p -> p.path("targets")
                .forEach(t -> onPage.add(p.path("title").asText() + " | " + t.path("expr").asText()))));
        final JsonNode dashboard = new ObjectMapper().readTree(
                REPOSITORY.resolve("k8s/base/monitoring/dashboards/rtdw-pipeline.json").toFile());
        int dashboardQueries = 0;
        for (final JsonNode panel : dashboard.path("panels")) {
            for (final JsonNode target : panel.path("targets")) {
                dashboardQueries++;
                final String entry = panel.path("title").asText() + " | " + target.path("expr").asText();
                assertTrue(onPage.contains(entry), "on the page: " + entry);
            }
        }
        assertTrue(dashboardQueries >= 10, "the dashboard's queries were read: " + dashboardQueries);
        for (final String local : List.of("rtdw_local_component_restarts_total", "rtdw_local_freshness_ms",
                "rtdw_reconcile_agree", "rtdw_reconcile_differences", "rtdw_cdc_changes_total")) {
            assertTrue(onPage.stream().anyMatch(q -> q.contains(local)), "a local panel queries " + local);
        }
    }
}
